import { Writable } from 'node:stream';
import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../test/db.js';
import { createTestTenant, testConfig } from '../test/factories.js';
import { useTestServer } from '../test/server.js';
import { buildServer } from './server.js';

const t = useTestServer();

function expectProblem(res: { statusCode: number; headers: Record<string, unknown>; json(): unknown }, status: number, code: string) {
  expect(res.statusCode).toBe(status);
  expect(String(res.headers['content-type'])).toMatch(/^application\/problem\+json/);
  const body = res.json() as Record<string, unknown>;
  expect(body).toMatchObject({ status, code, type: `urn:custodia:problem:${code}` });
  expect(typeof body.title).toBe('string');
  expect(typeof body.detail).toBe('string');
  return body;
}

describe('HTTP skeleton', () => {
  it('answers /healthz and /readyz', async () => {
    expect((await t.app.inject('/healthz')).json()).toEqual({ status: 'ok' });
    const ready = await t.app.inject('/readyz');
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ok', database: t.handle.kind });
  });

  it('publishes a valid OpenAPI 3.1 document covering the routes', async () => {
    const res = await t.app.inject('/api/openapi.json');
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/healthz', '/readyz', '/api/v1/auth/login', '/api/v1/me']));
    const result = await new Validator().validate(doc);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('serves the interactive docs', async () => {
    const res = await t.app.inject('/api/docs/');
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('swagger-ui');
  });

  it('answers malformed JSON with 400 malformed_json without echoing the body', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: { 'content-type': 'application/json' },
      payload: '{"tenant":"acme","email":"jane.doe@example.test",',
    });
    const body = expectProblem(res, 400, 'malformed_json');
    expect(JSON.stringify(body)).not.toContain('jane.doe');
  });

  it('treats an empty JSON body as no body: routes that need one answer validation_failed', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: { 'content-type': 'application/json' },
      payload: '',
    });
    expectProblem(res, 400, 'validation_failed');
  });

  it('refuses JSON with __proto__ keys (prototype poisoning)', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: { 'content-type': 'application/json' },
      payload: '{"tenant":"a","email":"a@b.test","password":"x","__proto__":{"isAdmin":true}}',
    });
    expect(res.statusCode).toBe(400);
  });

  it('answers a schema violation with 400 validation_failed naming the field', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { tenant: 'acme' } });
    const body = expectProblem(res, 400, 'validation_failed');
    expect(JSON.stringify(body.errors)).toContain('email');
  });

  it('answers a 10 MB body with 413 and keeps serving', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: { 'content-type': 'application/json' },
      payload: `{"tenant":"${'a'.repeat(10 * 1024 * 1024)}"}`,
    });
    expectProblem(res, 413, 'body_too_large');
    expect((await t.app.inject('/healthz')).statusCode).toBe(200);
  });

  it('answers an unknown route with 404 route_not_found', async () => {
    expectProblem(await t.app.inject('/api/v1/nothing-here'), 404, 'route_not_found');
  });

  it('answers a wrong method with 405 and an Allow header', async () => {
    const res = await t.app.inject({ method: 'DELETE', url: '/healthz' });
    expectProblem(res, 405, 'method_not_allowed');
    expect(res.headers.allow).toContain('GET');
  });

  it('answers an unsupported content type with 415', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: { 'content-type': 'application/xml' },
      payload: '<login/>',
    });
    expectProblem(res, 415, 'unsupported_media_type');
  });

  it('sends security headers and a request id on every response', async () => {
    const res = await t.app.inject({ url: '/healthz', headers: { 'x-request-id': 'trace-123' } });
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBeDefined();
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    expect(res.headers['x-request-id']).toBe('trace-123');
    const generated = await t.app.inject({ url: '/healthz', headers: { 'x-request-id': 'bad id with spaces' } });
    expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('exports Prometheus metrics by route pattern and for the database pool', async () => {
    await t.app.inject('/healthz');
    const res = await t.app.inject('/metrics');
    expect(res.statusCode).toBe(200);
    expect(res.body).toMatch(/custodia_http_requests_total\{method="GET",route="\/healthz",status="200"\} \d+/);
    expect(res.body).toContain('custodia_http_request_duration_seconds_bucket');
    expect(res.body).toMatch(/custodia_db_pool_connections\{state="total"\} \d+/);
  });
});

describe('unexpected errors and logs', () => {
  const db = useTestDatabase();

  it('answers 500 without stack or internals, and logs no personal data', async () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const config = testConfig({ LOG_LEVEL: 'info' });
    const app = await buildServer({ config, database: db.handle, keyring: db.keyring, logStream: stream });
    app.get('/boom', async () => {
      throw new Error('secret internal detail at /srv/custodia/src/x.ts');
    });
    await app.ready();
    const res = await app.inject('/boom');
    expectProblem(res, 500, 'internal_error');
    expect(res.body).not.toContain('secret internal detail');
    expect(res.body).not.toContain('.ts');

    const { tenant, adminEmail, adminPassword } = await createTestTenant(db.handle.db);
    await app.inject({
      method: 'POST',
      url: '/api/v1/auth/login?email=' + encodeURIComponent(adminEmail),
      headers: { cookie: 'session=abc', authorization: 'Bearer sometoken' },
      payload: { tenant: tenant.slug, email: adminEmail, password: adminPassword },
    });
    await app.close();
    const log = lines.join('');
    expect(log).toContain('/api/v1/auth/login');
    expect(log).not.toContain(adminEmail);
    expect(log).not.toContain(encodeURIComponent(adminEmail));
    expect(log).not.toContain(adminPassword);
    expect(log).not.toContain('sometoken');
    expect(log).not.toContain('session=abc');
  });
});
