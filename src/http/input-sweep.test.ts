import { randomUUID } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { beforeAll, describe, expect, it } from 'vitest';
import { bearer, signInAdmin } from '../../test/auth.js';
import { createTestTenant, type TestTenant } from '../../test/factories.js';
import { useTestServer } from '../../test/server.js';

/**
 * Every operation of the published OpenAPI document, sent what an attacker
 * or a broken client sends: NUL characters in each string of the query, the
 * path and the JSON body; forged cursors (well-formed base64url JSON with keys
 * of the wrong type, huge numbers, arrays, nested objects); and values of the
 * wrong type or beyond the range of the column behind them. Nothing may be a
 * server error, and every refusal is problem+json with a code.
 */

interface Schema {
  type?: string | string[];
  format?: string;
  enum?: unknown[];
  const?: unknown;
  anyOf?: Schema[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  minItems?: number;
  minimum?: number;
  minLength?: number;
  pattern?: string;
  default?: unknown;
}

interface Parameter {
  in: 'query' | 'path' | 'header' | 'cookie';
  name: string;
  schema: Schema;
}

interface Operation {
  method: string;
  path: string;
  parameters: Parameter[];
  body?: { schema: Schema; example?: unknown };
}

const t = useTestServer();

// Operations that end or change the signed-in session come last, so the rest are swept signed in.
const LAST = /\/(auth|me|settings|users)(\/|$)/;

let operations: Operation[] = [];
let tt: TestTenant;
let token = '';
const ids: Record<string, string> = {};

// Real records for path ids and id properties, so requests reach services and SQL, not only 404s.
const ID_OF_PROPERTY: Record<string, string> = {
  contactId: 'contacts',
  contactIds: 'contacts',
  organizationId: 'organizations',
  dealId: 'deals',
  leadId: 'leads',
  noteId: 'notes',
  roleId: 'roles',
  parentId: 'roles',
  moveUsersTo: 'roles',
  profileId: 'profiles',
  ownerGroupId: 'groups',
  groupId: 'groups',
  pipelineId: 'pipelines',
  stageId: 'stages',
  tagIds: 'tags',
  ownerId: 'users',
  assigneeId: 'users',
  userId: 'users',
  actorId: 'users',
  memberIds: 'users',
  subjectId: 'subjects',
  entityId: 'contacts',
};

function idFor(name: string, collection?: string): string {
  return ids[ID_OF_PROPERTY[name] ?? collection ?? ''] ?? randomUUID();
}

function alternatives(schema: Schema): Schema[] {
  return schema.anyOf ? schema.anyOf.flatMap(alternatives) : [schema];
}

function typesOf(schema: Schema): Set<string> {
  return new Set(alternatives(schema).flatMap((s) => (s.type === undefined ? ['any'] : Array.isArray(s.type) ? s.type : [s.type])));
}

function formatsOf(schema: Schema): Set<string> {
  return new Set(alternatives(schema).flatMap((s) => (s.format ? [s.format] : [])));
}

let unique = 0;

/** A value the schema accepts, close to what a real client sends. */
function sample(schema: Schema, name: string): unknown {
  if (schema.const !== undefined) return schema.const;
  if (schema.enum) return schema.enum[0];
  if (schema.default !== undefined) return schema.default;
  const choice = alternatives(schema).find((s) => s.type !== 'null') ?? schema;
  if (choice !== schema) return sample(choice, name);
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'string': {
      if (schema.format === 'uuid') return idFor(name);
      if (schema.format === 'email') return `sweep-${++unique}@example.test`;
      if (schema.format === 'date-time') return new Date(Date.now() + 86_400_000).toISOString();
      if (schema.format === 'date') return '2030-06-30';
      if (schema.format === 'uri') return 'https://example.test/';
      if (schema.pattern === '^[A-Z]{3}$') return 'EUR';
      return `sweep ${++unique}`.padEnd(schema.minLength ?? 0, 'x');
    }
    case 'integer':
    case 'number':
      return Math.max(schema.minimum ?? 1, 1);
    case 'boolean':
      return false;
    case 'array': {
      if (name in ID_OF_PROPERTY) return [idFor(name)];
      return schema.minItems ? [sample(schema.items ?? {}, name)] : [];
    }
    case 'object':
      return Object.fromEntries((schema.required ?? []).map((key) => [key, sample(schema.properties?.[key] ?? {}, key)]));
    default:
      return 'sweep';
  }
}

/** A body the route accepts: its documented example (with real ids), else one built from the schema. */
function validBody(op: Operation): Record<string, unknown> {
  const schema = op.body!.schema;
  const base = (op.body!.example ?? sample(schema, '')) as Record<string, unknown>;
  const body = structuredClone(base);
  for (const [key, property] of Object.entries(schema.properties ?? {})) {
    if (key in body && (formatsOf(property).has('uuid') || key in ID_OF_PROPERTY)) body[key] = sample(property, key);
  }
  return body;
}

function cursorOf(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function nested(depth: number): unknown {
  let value: unknown = 'deep';
  for (let n = 0; n < depth; n++) value = { a: value };
  return value;
}

const NUL_STRINGS = ['\u0000', 'abc\u0000def'];

/** Query and path values that confuse types: numbers beyond any column, dates PostgreSQL cannot hold, non-ids. */
const TEXT_CONFUSIONS = [
  '',
  'x',
  '-1',
  '1.5',
  '1e400',
  '99999999999999999999999',
  'NaN',
  'true',
  'null',
  '[]',
  '{}',
  '0000-01-01T00:00:00Z',
  '9999-12-31T23:59:59-23:59',
  '2024-02-30T00:00:00Z',
  '2024-02-30',
  '00000000-0000-0000-0000-000000000000',
  'x'.repeat(3000),
];

/** Body values of every wrong type and beyond every range, for any property. */
const BODY_CONFUSIONS: unknown[] = [
  1e308,
  -1e308,
  2 ** 63,
  -1,
  1.5,
  true,
  null,
  [],
  {},
  [null],
  ['\u0000'],
  { '\u0000': 'x' },
  { a: '\u0000' },
  '',
  'x'.repeat(20_000),
  nested(2000),
  '0000-01-01T00:00:00Z',
  '9999-12-31T23:59:59-23:59',
  '2024-02-30T00:00:00Z',
  '0000-01-01',
  '00000000-0000-0000-0000-000000000000',
  'not-a-uuid',
];

const SOME_ID = '3f2504e0-4f89-41d3-9a0c-0305e82c3301';
const SORTS_WITHOUT_PARAMETER = [undefined, 'deleted', 'audit', '-sentAt'];

/** Well-formed base64url JSON cursors whose content is wrong for any list. */
function forgedCursors(sort: string | undefined): string[] {
  const keys: unknown[] = [
    'not-a-date',
    '',
    '\u0000',
    'abc\u0000',
    12345,
    1e308,
    -1e308,
    '99999999999999999999999',
    '-9223372036854775809',
    '1e5',
    true,
    [],
    ['2024-01-01'],
    {},
    { key: { key: { key: '2024-01-01' } } },
    '2024-02-30 00:00:00+00',
    '2024-13-01 00:00:00+00',
    '2024-01-01 25:00:00+00',
    '2024-01-01 00:00:00+99',
    '0000-01-01 00:00:00+00',
    '9999-01-01 00:00:00+00 BC',
    '2024-02-30',
    '0000-01-01',
    '2024-01-01T00:00:00.000Z',
    '2024-01-01',
    'x'.repeat(300),
  ];
  return [
    ...keys.map((key) => cursorOf({ id: SOME_ID, key, ...(sort ? { sort } : {}) })),
    cursorOf({ id: 12, sort }),
    cursorOf({ id: [SOME_ID], sort }),
    cursorOf({ id: { id: SOME_ID }, sort }),
    cursorOf({ id: `${SOME_ID}\u0000`, sort }),
    cursorOf({ id: SOME_ID, sort: [sort] }),
    cursorOf({ id: SOME_ID, sort: { sort } }),
    cursorOf([SOME_ID]),
    cursorOf(null),
    cursorOf(42),
    cursorOf('text'),
    '%00',
    '!!!',
    'x'.repeat(499),
  ];
}

function sortsOf(op: Operation): Array<string | undefined> {
  const sort = op.parameters.find((p) => p.in === 'query' && p.name === 'sort');
  if (!sort) return SORTS_WITHOUT_PARAMETER;
  return alternatives(sort.schema).flatMap((s) => (s.enum ?? []) as string[]);
}

function query(values: Record<string, string | string[]>): string {
  const parts = Object.entries(values).flatMap(([name, value]) =>
    (Array.isArray(value) ? value : [value]).map((v) => `${encodeURIComponent(name)}=${encodeURIComponent(v)}`),
  );
  return parts.length > 0 ? `?${parts.join('&')}` : '';
}

function urlOf(op: Operation, pathValues: Record<string, string> = {}, search = ''): string {
  const collection = op.path.split('/')[3] ?? '';
  const path = op.path.replace(/\{([^}]+)\}/g, (_, name: string) => {
    if (pathValues[name] !== undefined) return encodeURIComponent(pathValues[name]);
    const param = op.parameters.find((p) => p.in === 'path' && p.name === name);
    const value = param ? sample(param.schema, name) : 'x';
    return encodeURIComponent(
      name === 'id' && typeof value === 'string' && formatsOf(param!.schema).size === 0 ? idFor('', collection) : String(value),
    );
  });
  return `${path}${search}`;
}

interface Probe {
  what: string;
  url: string;
  body?: unknown;
}

/** Every request the sweep sends for one operation. */
function probesOf(op: Operation): Probe[] {
  const probes: Probe[] = [];
  const params = op.parameters.filter((p) => p.in === 'query' || p.in === 'path');
  for (const param of params) {
    const stringish = typesOf(param.schema).has('string') || typesOf(param.schema).has('any');
    const values = [...NUL_STRINGS, ...(stringish || param.in === 'query' ? TEXT_CONFUSIONS : [])];
    for (const value of values) {
      const what = `${param.in} ${param.name}=${JSON.stringify(value).slice(0, 40)}`;
      probes.push(
        param.in === 'path'
          ? { what, url: urlOf(op, { [param.name]: value }) }
          : { what, url: urlOf(op, {}, query({ [param.name]: value })) },
      );
    }
    if (param.in === 'query')
      probes.push({ what: `query ${param.name} twice`, url: urlOf(op, {}, query({ [param.name]: ['a', '\u0000'] })) });
  }
  if (op.parameters.some((p) => p.in === 'query' && p.name === 'cursor')) {
    const hasSort = op.parameters.some((p) => p.in === 'query' && p.name === 'sort');
    for (const sort of sortsOf(op)) {
      for (const cursor of forgedCursors(sort)) {
        const search = query({ ...(hasSort && sort ? { sort } : {}), cursor });
        probes.push({
          what: `cursor for sort ${sort}: ${Buffer.from(cursor, 'base64url').toString('utf8').slice(0, 60)}`,
          url: urlOf(op, {}, search),
        });
      }
    }
  }
  if (op.body) {
    const valid = validBody(op);
    probes.push({ what: 'the valid body', url: urlOf(op), body: valid });
    probes.push({ what: 'a NUL in a property name', url: urlOf(op), body: { ...valid, 'na\u0000me': 'x' } });
    for (const [key, property] of Object.entries(op.body.schema.properties ?? {})) {
      const types = typesOf(property);
      const values: unknown[] = [...NUL_STRINGS, ...BODY_CONFUSIONS];
      if (types.has('array')) values.push(['\u0000'], [sample(property.items ?? {}, key), '\u0000']);
      if (types.has('object')) values.push({ ...((sample(property, key) as object) ?? {}), x: '\u0000' });
      for (const value of values) {
        probes.push({ what: `body ${key}=${JSON.stringify(value)?.slice(0, 40)}`, url: urlOf(op), body: { ...valid, [key]: value } });
      }
    }
  }
  return probes;
}

function problemOf(res: LightMyRequestResponse): string | null {
  if (res.statusCode >= 500) return `${res.statusCode} ${res.body.slice(0, 200)}`;
  if (res.statusCode < 400) return null;
  if (!String(res.headers['content-type']).startsWith('application/problem+json')) return `${res.statusCode} not problem+json`;
  const code: unknown = res.json<{ code?: unknown }>().code;
  return typeof code === 'string' && code !== '' ? null : `${res.statusCode} without a code`;
}

async function signedIn(): Promise<void> {
  const me = await t.app.inject({ url: '/api/v1/me', headers: bearer(token) });
  if (me.statusCode !== 200) token = await signInAdmin(t.app, tt);
}

beforeAll(async () => {
  const doc = (await t.app.inject('/api/openapi.json')).json<{
    paths: Record<
      string,
      Record<string, { parameters?: Parameter[]; requestBody?: { content: Record<string, { schema: Schema; example?: unknown }> } }>
    >;
  }>();
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const json = op.requestBody?.content['application/json'];
      operations.push({ method: method.toUpperCase(), path, parameters: op.parameters ?? [], ...(json ? { body: json } : {}) });
    }
  }
  operations = [...operations.filter((op) => !LAST.test(op.path)), ...operations.filter((op) => LAST.test(op.path))];

  tt = await createTestTenant(t.handle.db);
  token = await signInAdmin(t.app, tt);
  ids.users = tt.admin.id;
  type Listed = { id: string; stages?: Array<{ id: string }> };
  const get = async (url: string) => (await t.app.inject({ url, headers: bearer(token) })).json<unknown>();
  for (const collection of ['roles', 'profiles', 'groups', 'pipelines']) {
    const listed = await get(`/api/v1/${collection}`);
    const first = (Array.isArray(listed) ? (listed as Listed[]) : ((listed as { items?: Listed[] }).items ?? []))[0];
    if (first) ids[collection] = first.id;
    if (first?.stages?.[0]) ids.stages = first.stages[0].id;
  }
  // Create one record of each collection from its documented example, in two rounds so links resolve.
  for (let round = 0; round < 2; round++) {
    for (const op of operations) {
      const collection = op.path.split('/')[3] ?? '';
      if (op.method !== 'POST' || !op.body || ids[collection] || !/^\/api\/v1\/[a-z-]+$/.test(op.path) || LAST.test(op.path)) continue;
      const res = await t.app.inject({ method: 'POST', url: op.path, headers: bearer(token), payload: validBody(op) as object });
      const id = res.statusCode < 300 ? res.json<{ id?: string }>().id : undefined;
      if (id) ids[collection] = id;
    }
  }
  const contact = await get(`/api/v1/contacts/${ids.contacts}`);
  ids.subjects = (contact as unknown as { subjectId?: string }).subjectId ?? randomUUID();
}, 120_000);

describe('every operation in the OpenAPI document refuses bad input as problem+json, never a server error', () => {
  it('finds the operations and real records to aim at', () => {
    expect(operations.length).toBeGreaterThan(100);
    for (const collection of ['contacts', 'organizations', 'deals', 'activities', 'leads', 'notes', 'tags']) {
      expect(ids[collection], collection).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it('sweeps each operation', async () => {
    const failures: string[] = [];
    let sent = 0;
    for (const op of operations) {
      await signedIn();
      for (const probe of probesOf(op)) {
        let res: LightMyRequestResponse;
        try {
          res = await t.app.inject({
            method: op.method as 'GET',
            url: probe.url,
            headers: bearer(token),
            ...(probe.body !== undefined
              ? { payload: JSON.stringify(probe.body), headers: { ...bearer(token), 'content-type': 'application/json' } }
              : {}),
          });
        } catch (error) {
          failures.push(`${op.method} ${op.path} with ${probe.what}: no answer (${String(error)})`);
          continue;
        }
        sent++;
        const problem = problemOf(res);
        if (problem) failures.push(`${op.method} ${op.path} with ${probe.what}: ${problem}`);
      }
    }
    expect(failures).toEqual([]);
    expect(sent).toBeGreaterThan(2000);
  }, 600_000);
});
