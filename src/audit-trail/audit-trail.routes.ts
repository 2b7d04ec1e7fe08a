import type { Readable } from 'node:stream';
import type { Keyring } from '../keys/keyring.js';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { DatabaseHandle } from '../db/database.js';
import { actorOf, type SignInHooks } from '../http/request-context.js';
import { DateTime, ProblemSchema } from '../http/schemas.js';
import {
  auditSettings,
  exportAuditCsv,
  listAuditEntries,
  setAuditRetention,
  verifyAuditTrail,
  type AuditedRecords,
} from './audit-trail.service.js';

const VerifyReportSchema = Type.Object({
  tenantId: Type.String({ format: 'uuid' }),
  ok: Type.Boolean(),
  entries: Type.Integer({ description: 'Entries checked (sealed, after the archive anchor)' }),
  sealedNow: Type.Integer({ description: 'Entries sealed into the chain by this check' }),
  archivedUpTo: Type.Integer(),
  head: Type.Object({ size: Type.Integer(), headHash: Type.String(), lastId: Type.Union([Type.String(), Type.Null()]) }),
  publicKey: Type.String({ description: 'The Ed25519 key (raw, base64) that signs heads and checkpoints' }),
  checkpoint: Type.Union([Type.Literal('matched'), Type.Literal('not_given'), Type.Literal('before_archive')]),
  problems: Type.Array(
    Type.Object({
      position: Type.Union([Type.Integer(), Type.Null()]),
      id: Type.Union([Type.String(), Type.Null()]),
      problem: Type.String(),
    }),
  ),
});

// HTTP for the audit trail: the entries (filtered, paged), a person's access log, CSV for auditors, retention.

const Uuid = (description?: string) => Type.String({ format: 'uuid', ...(description ? { description } : {}) });
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);
const Problems = { 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema, 404: ProblemSchema };

const Filters = {
  contactId: Type.Optional(Uuid('Entries about this contact’s person (any record of them); open to whoever may see the contact')),
  leadId: Type.Optional(Uuid('Entries about this lead’s person; open to whoever may see the lead')),
  subjectId: Type.Optional(Uuid('Entries about this data subject')),
  entity: Type.Optional(Type.String({ maxLength: 50, description: 'Record type (e.g. contacts, leads, users), with entityId' })),
  entityId: Type.Optional(Uuid('Record id, with entity')),
  actorId: Type.Optional(Uuid('Entries by this user')),
  action: Type.Optional(Type.String({ maxLength: 80, description: 'An action (contact.read) or a family of them (contact.*)' })),
  from: Type.Optional(Type.String({ format: 'date-time', description: 'At or after' })),
  to: Type.Optional(Type.String({ format: 'date-time', description: 'Before' })),
};

const Page = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50, description: 'Page size, 1 to 200' })),
  cursor: Type.Optional(Type.String({ maxLength: 500, description: 'The nextCursor of the previous page' })),
};

const EntrySchema = Type.Object({
  id: Uuid(),
  position: Nullable(Type.Integer({ description: 'Position in the tenant’s hash chain; null for a second or so until sealed' })),
  at: DateTime(),
  actor: Type.Object({
    kind: Type.String({
      description: 'user, token (an API token of userId), system (a job), subject (the person, via a public page) or anonymous',
    }),
    userId: Nullable(Type.String()),
    tokenId: Nullable(Type.String()),
    label: Nullable(Type.String()),
  }),
  action: Type.String(),
  entity: Nullable(Type.String()),
  entityId: Nullable(Type.String()),
  subjectIds: Type.Array(Type.String()),
  fields: Type.Array(Type.String(), { description: 'Fields read or changed' }),
  requestId: Nullable(Type.String()),
  ip: Type.Optional(Nullable(Type.String({ description: 'Only for holders of the audit module' }))),
  userAgent: Type.Optional(Nullable(Type.String())),
  details: Type.Record(Type.String(), Type.Unknown()),
  changes: Type.Optional(
    Nullable(
      Type.Record(Type.String(), Type.Unknown(), {
        description:
          'Old and new values, for holders of the audit module and only as far as the records show them: of a record the caller could read, ' +
          'without fields their profile hides (audit.allValues: all). Null when withheld or erased.',
      }),
    ),
  ),
  valuesErased: Type.Optional(Type.Boolean({ description: 'The person was erased: the values are gone, the entry stays' })),
  valuesWithheld: Type.Optional(
    Type.Boolean({
      description: 'Some or all values are withheld from the caller: the record is out of their reach or the field hidden by their profile',
    }),
  ),
  withheldFields: Type.Optional(Type.Array(Type.String(), { description: 'The fields whose values are withheld' })),
});
const EntryPage = Type.Object({ items: Type.Array(EntrySchema), nextCursor: Nullable(Type.String()) });
const SettingsSchema = Type.Object({
  retentionDays: Type.Integer(),
  archivedUpTo: Type.Integer({ description: 'Entries up to this chain position were archived behind a signed anchor' }),
  archivedAt: Nullable(DateTime()),
});

export function registerAuditRoutes(
  server: FastifyInstance,
  database: DatabaseHandle,
  keyring: Keyring,
  signIn: SignInHooks,
  records: AuditedRecords,
): void {
  // One sign-in hook for every route of the trail.
  void server.register(async (scope) => {
    scope.addHook('onRequest', signIn.user);
    const app = scope.withTypeProvider<TypeBoxTypeProvider>();
    const { db } = database;

    app.get(
      '/api/v1/audit',
      {
        schema: {
          tags: ['audit'],
          summary: 'Audit entries, newest first: every read, export and change of personal data and every security event',
          description:
            'With contactId or leadId: who accessed and changed this person (open to whoever may see the record). ' +
            'Any other listing needs the audit module (view); only then are IP, user agent and old/new values shown, and values only as far as ' +
            'the records show them to the caller (a record out of reach or a hidden field: withheld, marked `valuesWithheld`). ' +
            'The profile permission audit.allValues shows every value; each page read under it is recorded (audit.values_read, unrestricted).',
          querystring: Type.Object({ ...Filters, ...Page }, { additionalProperties: false }),
          response: { 200: EntryPage, ...Problems },
        },
      },
      async (request) => listAuditEntries(db, keyring, records, actorOf(request), request.query),
    );

    for (const [path, param, tag] of [
      ['/api/v1/contacts/:id/access-log', 'contactId', 'contacts'],
      ['/api/v1/leads/:id/access-log', 'leadId', 'leads'],
    ] as const) {
      app.get(
        path,
        {
          schema: {
            tags: [tag, 'audit'],
            summary: 'Who accessed this person: the audit entries about them, newest first',
            params: Type.Object({ id: Uuid() }),
            querystring: Type.Object(Page, { additionalProperties: false }),
            response: { 200: EntryPage, ...Problems },
          },
        },
        async (request) => listAuditEntries(db, keyring, records, actorOf(request), { ...request.query, [param]: request.params.id }),
      );
    }

    app.get(
      '/api/v1/audit/export.csv',
      {
        schema: {
          tags: ['audit'],
          summary: 'The audit entries matching the filters as CSV (streamed), for auditors; needs the audit module (export)',
          description:
            'Values follow the same visibility as the list: a withheld `changes` cell reads `withheld`, and `withheldFields` names the fields withheld.',
          querystring: Type.Object(Filters, { additionalProperties: false }),
          produces: ['text/csv'],
          response: { 200: Type.Unsafe<Readable>({ type: 'string', description: 'CSV, UTF-8 with a BOM' }), ...Problems },
        },
      },
      async (request, reply) => {
        const stream = await exportAuditCsv(db, keyring, records, actorOf(request), request.query);
        const day = new Date().toISOString().slice(0, 10);
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="audit-${day}.csv"`)
          .header('cache-control', 'no-store')
          .send(stream);
      },
    );

    app.get(
      '/api/v1/audit/settings',
      {
        schema: {
          tags: ['audit'],
          summary: 'How long the audit trail is kept, and what was archived',
          response: { 200: SettingsSchema, ...Problems },
        },
      },
      async (request) => auditSettings(db, actorOf(request)),
    );

    app.put(
      '/api/v1/audit/settings',
      {
        schema: {
          tags: ['audit'],
          summary: 'Change how long the audit trail is kept (administrators; default 2192 days, 6 years)',
          body: Type.Object({ retentionDays: Type.Integer({ minimum: 30, maximum: 36525 }) }, { additionalProperties: false }),
          response: { 200: SettingsSchema, ...Problems },
        },
      },
      async (request) => setAuditRetention(db, keyring, actorOf(request), request.body.retentionDays),
    );

    app.post(
      '/api/v1/audit/verify',
      {
        schema: {
          tags: ['audit'],
          summary: "Verify the whole audit trail (administrators): every entry's MAC, the hash chain, the signed head and archive anchor",
          description:
            'The same check as `custodia audit verify`. `ok` is false when anything was altered, removed, inserted or reordered; ' +
            '`problems` names the first bad entries in chain order.',
          response: { 200: VerifyReportSchema, ...Problems },
        },
      },
      async (request) => verifyAuditTrail(db, keyring, actorOf(request)),
    );
  });
}
