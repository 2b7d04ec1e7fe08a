import { randomBytes, randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import type { LightMyRequestResponse } from 'fastify';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config.js';
import { crmSession, type CrmSession } from '../../test/crm.js';
import { bearer, login } from '../../test/auth.js';
import { createTestTenant, testConfig } from '../../test/factories.js';
import { useTestServer } from '../../test/server.js';
import { serializeError } from './logging.js';
import { buildServer } from '../server.js';

const t = useTestServer();

function expectProblem(res: LightMyRequestResponse, status: number, code: string): void {
  expect(res.statusCode, res.body).toBe(status);
  expect(String(res.headers['content-type'])).toMatch(/^application\/problem\+json/);
  expect(res.json()).toMatchObject({ status, code, type: `urn:custodia:problem:${code}` });
}

function forged(cursor: unknown): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

/** Every item of a list, a page of one at a time, following nextCursor. */
async function pageThrough(s: CrmSession, url: string): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 50; page++) {
    const res = await s.get(`${url}${url.includes('?') ? '&' : '?'}limit=1${cursor ? `&cursor=${cursor}` : ''}`);
    expect(res.statusCode, `${url}: ${res.body}`).toBe(200);
    const body = res.json<{ items: Array<{ id: string }>; nextCursor: string | null }>();
    ids.push(...body.items.map((item) => item.id));
    cursor = body.nextCursor;
    if (!cursor) return ids;
  }
  throw new Error(`${url} did not end`);
}

describe('NUL characters (PostgreSQL text cannot hold U+0000)', () => {
  it('answers 400 invalid_text for a NUL in a query parameter', async () => {
    const s = await crmSession(t);
    expectProblem(await s.get('/api/v1/contacts?tag=%00'), 400, 'invalid_text');
    expectProblem(await s.get('/api/v1/deals?q=a%00b'), 400, 'invalid_text');
  });

  it('answers 400 invalid_text for a NUL in a text field, and stores nothing', async () => {
    const s = await crmSession(t);
    const name = `Acme ${randomBytes(4).toString('hex')}`;
    for (const [url, body] of [
      ['/api/v1/organizations', { name: `${name}\u0000` }],
      ['/api/v1/deals', { title: `${name}\u0000`, amount: 100, currency: 'EUR' }],
      ['/api/v1/activities', { type: 'task', subject: `${name}\u0000` }],
      ['/api/v1/tags', { name: `${name}\u0000` }],
      ['/api/v1/contacts', { firstName: 'Ann', lastName: 'Lee', emails: [], phones: [], tags: [`x\u0000`] }],
    ] as const) {
      const res = await s.post(url, body);
      expectProblem(res, 400, 'invalid_text');
      expect(res.body).not.toContain(name);
    }
    expect((await s.get('/api/v1/organizations?limit=200')).json().items).toEqual([]);
    expect((await s.get('/api/v1/tags')).json()).toEqual([]);
  });

  it('names where the NUL sits, only by field names', async () => {
    const s = await crmSession(t);
    const res = await s.post('/api/v1/deals', {
      title: 'T',
      amount: 1,
      currency: 'EUR',
      tags: ['ok', 'n\u0000'],
      custom: { 'secret value\u0000': 'x' },
    });
    expectProblem(res, 400, 'invalid_text');
    expect(res.json().errors).toEqual([{ path: expect.stringMatching(/^body\/(tags\/1|custom)$/), message: 'must not contain U+0000' }]);
    expect(res.body).not.toContain('secret value');
  });

  it('guards routes without a schema too, however deep the NUL sits', async () => {
    const app = await buildServer({ config: t.config, database: t.handle, keyring: t.keyring, logger: false });
    app.post('/echo', async () => ({ ok: true }));
    await app.ready();
    const res = await app.inject({ method: 'POST', url: '/echo', payload: { list: [{ deep: ['fine', 'not\u0000fine'] }] } });
    expectProblem(res, 400, 'invalid_text');
    expect(res.json().errors).toEqual([{ path: 'body/list/0/deep/1', message: 'must not contain U+0000' }]);
    expect((await app.inject({ method: 'POST', url: '/echo', payload: { list: ['fine'] } })).statusCode).toBe(200);
    await app.close();
  });
});

describe('routing errors', () => {
  it('answers a malformed or over-long URL as problem+json, without echoing it', async () => {
    const secret = `ann${randomBytes(4).toString('hex')}`;
    const malformed = await t.app.inject(`/api/v1/contacts/${secret}%E0%A4%A`);
    expectProblem(malformed, 400, 'bad_url');
    const long = await t.app.inject(`/api/v1/contacts/${secret}${'x'.repeat(200)}`);
    expectProblem(long, 414, 'uri_too_long');
    for (const res of [malformed, long]) {
      expect(res.body).not.toContain(secret);
      expect(res.headers['cache-control']).toBe('no-store');
    }
  });
});

describe('forged cursors', () => {
  const id = randomUUID();

  it.each([
    ['/api/v1/contacts?sort=createdAt', { id, key: 'yesterday', sort: 'createdAt' }],
    ['/api/v1/contacts?sort=-updatedAt', { id, key: 12, sort: '-updatedAt' }],
    ['/api/v1/leads?sort=company', { id, key: 'a\u0000', sort: 'company' }],
    ['/api/v1/deals?sort=amount', { id, key: 'lots', sort: 'amount' }],
    ['/api/v1/deals?sort=-amount', { id, key: '99999999999999999999', sort: '-amount' }],
    ['/api/v1/deals?sort=amount', { id, key: 1e308, sort: 'amount' }],
    ['/api/v1/deals?sort=expectedCloseDate', { id, key: '2024-02-30', sort: 'expectedCloseDate' }],
    ['/api/v1/deals?sort=createdAt', { id, key: { $gt: '' }, sort: 'createdAt' }],
    ['/api/v1/activities?sort=createdAt', { id, key: 'x', sort: 'createdAt' }],
    ['/api/v1/activities?sort=dueAt', { id, key: ['2024-01-01'], sort: 'dueAt' }],
    ['/api/v1/organizations?sort=createdAt', { id, key: '2024-01-01 25:00:00+00', sort: 'createdAt' }],
    ['/api/v1/recycle-bin', { id, key: 'not a time', sort: 'deleted' }],
    ['/api/v1/recycle-bin', { id, key: '0000-01-01 00:00:00+00', sort: 'deleted' }],
    ['/api/v1/email-messages', { id, key: 7, sort: '-sentAt' }],
    ['/api/v1/audit', { id, key: '-100000-01-01T00:00:00Z', sort: 'audit' }],
    ['/api/v1/notes', { id, key: 'x' }],
  ])('%s refuses %j as invalid_cursor', async (url, cursor) => {
    const s = await crmSession(t);
    expectProblem(await s.get(`${url}${url.includes('?') ? '&' : '?'}cursor=${forged(cursor)}`), 400, 'invalid_cursor');
  });

  it('still pages with the cursors the API gives out, under every sort', async () => {
    const s = await crmSession(t);
    const deals: string[] = [];
    for (const [n, date] of ['2031-01-31', null, '2030-02-28'].entries()) {
      const res = await s.post('/api/v1/deals', {
        title: `Deal ${n}`,
        amount: [5, 9_007_199_254_740_991, 0][n],
        currency: 'EUR',
        expectedCloseDate: date,
      });
      expect(res.statusCode, res.body).toBe(201);
      deals.push(res.json().id);
    }
    for (const sort of ['createdAt', '-createdAt', 'updatedAt', '-updatedAt', 'amount', '-amount', 'expectedCloseDate', 'title']) {
      expect((await pageThrough(s, `/api/v1/deals?sort=${sort}`)).sort(), sort).toEqual([...deals].sort());
    }
    const activities: string[] = [];
    for (const dueAt of ['2030-01-01T10:00:00.123456Z', undefined, '2029-12-31T23:30:00-05:30']) {
      activities.push((await s.post('/api/v1/activities', { type: 'task', subject: 'Call', ...(dueAt ? { dueAt } : {}) })).json().id);
    }
    for (const sort of ['dueAt', 'createdAt', '-createdAt']) {
      expect((await pageThrough(s, `/api/v1/activities?sort=${sort}`)).sort(), sort).toEqual([...activities].sort());
    }
    const organizations: string[] = [];
    for (const name of ['Beta', 'alpha', 'Gamma']) organizations.push((await s.post('/api/v1/organizations', { name })).json().id);
    for (const sort of ['name', '-name', 'createdAt', '-updatedAt']) {
      expect((await pageThrough(s, `/api/v1/organizations?sort=${sort}`)).sort(), sort).toEqual([...organizations].sort());
    }
    for (const id of organizations) expect((await s.del(`/api/v1/organizations/${id}`)).statusCode).toBe(204);
    expect((await pageThrough(s, '/api/v1/recycle-bin')).sort()).toEqual([...organizations].sort());
    const trail = (await s.get('/api/v1/audit?limit=200')).json<{ items: Array<{ id: string }> }>().items.map((entry) => entry.id);
    expect(trail.length).toBeGreaterThan(3);
    // Reading the trail adds to it (newer entries, before the first page): every older entry is met once.
    const paged = await pageThrough(s, '/api/v1/audit');
    expect(paged).toEqual(expect.arrayContaining(trail));
    expect(new Set(paged).size).toBe(paged.length);
  });
});

describe('logs hold error codes and schema names, never input values', () => {
  const db = t;
  const secret = `jane.${randomBytes(4).toString('hex')}@example.com`;

  async function databaseError(): Promise<unknown> {
    try {
      await sql`select ${secret}::bigint`.execute(db.handle.db);
    } catch (error) {
      return error;
    }
    throw new Error('the bad query went through');
  }

  it('serializes a real database error without its message, detail or parameters', async () => {
    const error = await databaseError();
    expect(String((error as Error).message)).toContain(secret); // what PostgreSQL says repeats the input
    const logged = serializeError(error);
    expect(logged).toMatchObject({ type: 'DatabaseError', code: '22P02', message: '[withheld]' });
    expect(typeof logged.routine).toBe('string');
    expect(JSON.stringify(logged)).not.toContain(secret);
    expect(JSON.stringify(logged)).not.toContain('invalid input syntax');
  });

  it('keeps a constraint violation to its constraint and table', async () => {
    const tt = await createTestTenant(db.handle.db);
    const tag = () =>
      sql`insert into tags (id, tenant_id, name) values (${randomUUID()}, ${tt.tenant.id}, ${secret})`.execute(db.handle.db);
    await tag();
    const error = await tag().then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(String((error as Error).message)).toMatch(/duplicate key/);
    const logged = serializeError(error);
    expect(logged).toMatchObject({ type: 'DatabaseError', code: '23505', table: 'tags', message: '[withheld]' });
    expect(typeof logged.constraint).toBe('string');
    expect(JSON.stringify(logged)).not.toContain(secret);
    expect(JSON.stringify(logged)).not.toContain(tt.tenant.id);
  });

  it('logs an unexpected error of a request by kind and code only', async () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const app = await buildServer({
      config: testConfig({ LOG_LEVEL: 'info' }),
      database: db.handle,
      keyring: db.keyring,
      logStream: stream,
    });
    app.get('/database', async (request) => sql`select ${(request.query as { v: string }).v}::bigint`.execute(db.handle.db));
    app.get('/parse', async (request) => JSON.parse((request.query as { v: string }).v) as unknown);
    await app.ready();
    const failed = await app.inject(`/database?v=${encodeURIComponent(secret)}`);
    expectProblem(failed, 500, 'internal_error');
    expectProblem(await app.inject(`/parse?v=${encodeURIComponent(`{"${secret}`)}`), 500, 'internal_error');
    await app.close();
    const log = lines.join('');
    expect(log).toContain('"code":"22P02"');
    expect(log).toContain('"type":"SyntaxError"');
    expect(log).not.toContain(secret);
    expect(log).not.toContain('invalid input syntax');
  });
});

describe('Cache-Control: no-store on everything personal', () => {
  it('is on sign-in, records, audit, exports and errors', async () => {
    const tt = await createTestTenant(t.handle.db);
    const signIn = await login(t.app, { tenant: tt.tenant.slug, email: tt.adminEmail, password: tt.adminPassword });
    expect(signIn.statusCode, signIn.body).toBe(200);
    const headers = bearer(signIn.json().token);
    const contact = await t.app.inject({
      method: 'POST',
      url: '/api/v1/contacts',
      headers,
      payload: { firstName: 'Ann', lastName: 'Lee', emails: ['ann@example.com'], phones: [] },
    });
    const answers = {
      signIn,
      created: contact,
      read: await t.app.inject({ url: `/api/v1/contacts/${contact.json().id}`, headers }),
      audit: await t.app.inject({ url: '/api/v1/audit', headers }),
      export: await t.app.inject({ url: '/api/v1/exports/contacts.csv', headers }),
      notFound: await t.app.inject({ url: `/api/v1/contacts/${randomUUID()}`, headers }),
      unauthenticated: await t.app.inject({ url: '/api/v1/me' }),
      badInput: await t.app.inject({ url: '/api/v1/contacts?limit=x', headers }),
      noRoute: await t.app.inject({ url: '/api/v1/nowhere', headers }),
    };
    for (const [name, res] of Object.entries(answers)) {
      expect(res.statusCode, `${name}: ${res.body}`).toBeLessThan(500);
      expect(res.headers['cache-control'], name).toBe('no-store');
    }
    expect(answers.notFound.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(answers.export.statusCode).toBe(200);
  });

  it('leaves the documentation assets their own caching', async () => {
    const page = await t.app.inject('/api/docs/static/swagger-ui.css');
    expect(page.statusCode).toBe(200);
    expect(page.headers['cache-control']).not.toBe('no-store');
  });
});

describe('/metrics', () => {
  const token = randomBytes(24).toString('hex');

  it('answers anyone when no token is configured, as before', async () => {
    const res = await t.app.inject('/metrics');
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('custodia_http_requests_total');
  });

  it('answers only the configured bearer token', async () => {
    const app = await buildServer({
      config: testConfig({ CUSTODIA_METRICS_TOKEN: token }),
      database: t.handle,
      keyring: t.keyring,
      logger: false,
    });
    await app.ready();
    const none = await app.inject('/metrics');
    expectProblem(none, 401, 'metrics_token_required');
    expect(none.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(none.body).not.toContain('custodia_http_requests_total');
    for (const authorization of [
      `Bearer ${token.slice(0, -1)}x`,
      `Bearer ${token}x`,
      `Bearer x`,
      `Basic ${Buffer.from(`u:${token}`).toString('base64')}`,
      token,
    ]) {
      expectProblem(await app.inject({ url: '/metrics', headers: { authorization } }), 401, 'metrics_token_required');
    }
    const right = await app.inject({ url: '/metrics', headers: { authorization: `Bearer ${token}` } });
    expect(right.statusCode).toBe(200);
    expect(right.headers['content-type']).toMatch(/^text\/plain/);
    expect(right.body).toMatch(/custodia_http_requests_total\{method="GET",route="\/metrics",status="401"\} 6/);
    await app.close();
  });

  it('moves to its own listener when a metrics port is configured', async () => {
    const config = testConfig({ CUSTODIA_METRICS_PORT: '0', CUSTODIA_METRICS_HOST: '127.0.0.1', CUSTODIA_METRICS_TOKEN: token });
    const app = await buildServer({ config, database: t.handle, keyring: t.keyring, logger: false });
    await app.ready();
    expectProblem(await app.inject({ url: '/metrics', headers: { authorization: `Bearer ${token}` } }), 404, 'route_not_found');
    const metrics = app.metricsServer!;
    const url = await metrics.listen({ host: config.metrics.host, port: 0 });
    expect((await fetch(`${url}/metrics`)).status).toBe(401);
    const scraped = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    expect(scraped.status).toBe(200);
    expect(await scraped.text()).toContain('custodia_db_pool_connections');
    const elsewhere = await fetch(`${url}/api/v1/me`);
    expect(elsewhere.status).toBe(404);
    await app.close();
    expect(metrics.server.listening).toBe(false);
  });

  it('refuses a configuration that cannot work, naming the variable', () => {
    const refused = (env: Record<string, string>) => {
      try {
        loadConfig(env);
      } catch (error) {
        return error instanceof ConfigError ? error.message : `not a ConfigError: ${String(error)}`;
      }
      return 'accepted';
    };
    expect(refused({ CUSTODIA_METRICS_TOKEN: 'short' })).toMatch(/^CUSTODIA_METRICS_TOKEN: must be at least 32 characters/);
    expect(refused({ CUSTODIA_METRICS_TOKEN: `${token} ${token}` })).toMatch(/^CUSTODIA_METRICS_TOKEN:/);
    expect(refused({ CUSTODIA_METRICS_PORT: 'nine' })).toMatch(/^CUSTODIA_METRICS_PORT: must be a whole number/);
    expect(refused({ CUSTODIA_METRICS_PORT: '70000' })).toMatch(/^CUSTODIA_METRICS_PORT: must be between 0 and 65535/);
    expect(refused({ PORT: '8080', CUSTODIA_METRICS_PORT: '8080' })).toMatch(/^CUSTODIA_METRICS_PORT: must differ from PORT/);
    expect(refused({ CUSTODIA_METRICS_HOST: '127.0.0.1' })).toMatch(/^CUSTODIA_METRICS_HOST: only takes effect with CUSTODIA_METRICS_PORT/);
    expect(loadConfig({ HOST: '10.0.0.5', CUSTODIA_METRICS_PORT: '9464', CUSTODIA_METRICS_TOKEN: token }).metrics).toEqual({
      token,
      port: 9464,
      host: '10.0.0.5',
    });
    expect(loadConfig({}).metrics).toEqual({ token: undefined, port: undefined, host: '0.0.0.0' });
  });
});
