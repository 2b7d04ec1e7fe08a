import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { createTestTenant, PRODUCTION_HASHING, testConfig } from '../../test/factories.js';
import { buildServer } from '../server.js';
import { useTestServer } from '../../test/server.js';
import { suspendTenant } from '../tenants/tenants.service.js';
import { findUserByEmail } from './user-crypto.js';
import { updatePasswordHash } from './users.repository.js';
import { hashPassword } from './passwords.js';

const t = useTestServer();

async function login(body: Record<string, unknown>) {
  return t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: body });
}

async function me(token: string) {
  return t.app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${token}` } });
}

describe('sign-in', () => {
  it('signs in with tenant, e-mail and password and serves /me with the token', async () => {
    const { tenant, admin, adminEmail, adminPassword } = await createTestTenant(t.handle.db);
    const res = await login({ tenant: tenant.slug, email: adminEmail.toUpperCase(), password: adminPassword });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.user).toMatchObject({ id: admin.id, tenantId: tenant.id, email: adminEmail, isAdmin: true });
    expect(body.user).not.toHaveProperty('passwordHash');
    expect(Buffer.from(body.token, 'base64url')).toHaveLength(32);

    const who = await me(body.token);
    expect(who.statusCode).toBe(200);
    expect(who.json()).toMatchObject({ id: admin.id, tenantId: tenant.id });
  });

  it('stores only a hash of the session token', async () => {
    const { tenant, adminEmail, adminPassword } = await createTestTenant(t.handle.db);
    const { token } = (await login({ tenant: tenant.slug, email: adminEmail, password: adminPassword })).json();
    const rows = await t.handle.db.selectFrom('sessions').selectAll().where('tenant_id', '=', tenant.id).execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.token_hash.toString('base64url')).not.toBe(token);
    expect(rows[0]!.token_hash).toHaveLength(32);
  });

  it('gives a new token at every sign-in', async () => {
    const { tenant, adminEmail, adminPassword } = await createTestTenant(t.handle.db);
    const one = (await login({ tenant: tenant.slug, email: adminEmail, password: adminPassword })).json().token;
    const two = (await login({ tenant: tenant.slug, email: adminEmail, password: adminPassword })).json().token;
    expect(one).not.toBe(two);
  });

  it('answers unknown user, wrong password and wrong tenant with the same 401 body', async () => {
    const a = await createTestTenant(t.handle.db);
    const b = await createTestTenant(t.handle.db);
    const attempts = [
      { tenant: a.tenant.slug, email: a.adminEmail, password: 'not the password' },
      { tenant: a.tenant.slug, email: 'nobody@example.test', password: a.adminPassword },
      // a's admin with a's password, but at tenant b: cross-tenant must fail
      { tenant: b.tenant.slug, email: a.adminEmail, password: a.adminPassword },
      { tenant: 'no-such-tenant', email: a.adminEmail, password: a.adminPassword },
    ];
    const bodies = [];
    for (const attempt of attempts) {
      const res = await login(attempt);
      expect(res.statusCode).toBe(401);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      const { requestId: _requestId, ...body } = res.json();
      bodies.push(body);
    }
    expect(new Set(bodies.map((b) => JSON.stringify(b))).size).toBe(1);
    expect(bodies[0]).toMatchObject({ status: 401, code: 'invalid_credentials' });
  });

  it('refuses sign-in to a suspended tenant and ends the use of its sessions', async () => {
    const { tenant, adminEmail, adminPassword } = await createTestTenant(t.handle.db);
    const { token } = (await login({ tenant: tenant.slug, email: adminEmail, password: adminPassword })).json();
    await suspendTenant(t.handle.db, t.keyring, tenant.slug);
    expect((await login({ tenant: tenant.slug, email: adminEmail, password: adminPassword })).statusCode).toBe(401);
    const res = await me(token);
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('unauthenticated');
  });

  it('refuses a deactivated user', async () => {
    const { tenant, admin, adminEmail, adminPassword } = await createTestTenant(t.handle.db);
    await t.handle.db
      .updateTable('users')
      .set({ status: 'deactivated' })
      .where('tenant_id', '=', tenant.id)
      .where('id', '=', admin.id)
      .execute();
    expect((await login({ tenant: tenant.slug, email: adminEmail, password: adminPassword })).statusCode).toBe(401);
  });

  it('ends the session at sign-out', async () => {
    const { tenant, adminEmail, adminPassword } = await createTestTenant(t.handle.db);
    const { token } = (await login({ tenant: tenant.slug, email: adminEmail, password: adminPassword })).json();
    const out = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/logout',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(out.statusCode).toBe(204);
    expect((await me(token)).statusCode).toBe(401);
  });

  it('refuses an idle-expired session and removes it', async () => {
    const { tenant, adminEmail, adminPassword } = await createTestTenant(t.handle.db);
    const { token } = (await login({ tenant: tenant.slug, email: adminEmail, password: adminPassword })).json();
    await sql`update sessions set idle_expires_at = now() - interval '1 second' where tenant_id = ${tenant.id}`.execute(t.handle.db);
    expect((await me(token)).statusCode).toBe(401);
    const left = await t.handle.db.selectFrom('sessions').select('id').where('tenant_id', '=', tenant.id).execute();
    expect(left).toHaveLength(0);
  });

  it('refuses a session past its absolute lifetime even when recently used', async () => {
    const { tenant, adminEmail, adminPassword } = await createTestTenant(t.handle.db);
    const { token } = (await login({ tenant: tenant.slug, email: adminEmail, password: adminPassword })).json();
    await sql`update sessions set absolute_expires_at = now() - interval '1 second' where tenant_id = ${tenant.id}`.execute(t.handle.db);
    expect((await me(token)).statusCode).toBe(401);
  });

  it.each([
    ['no header', undefined],
    ['a made-up token', 'Bearer AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
    ['the wrong scheme', 'Basic YWRtaW46c2VjcmV0'],
  ])('answers 401 problem+json for %s', async (_label, authorization) => {
    const res = await t.app.inject({
      method: 'GET',
      url: '/api/v1/me',
      ...(authorization ? { headers: { authorization } } : {}),
    });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ code: 'unauthenticated', status: 401 });
  });

  it('re-hashes a password made with weaker parameters at the next sign-in', async () => {
    const { tenant, admin, adminEmail, adminPassword } = await createTestTenant(t.handle.db);
    const weak = await hashPassword(adminPassword, { memoryKiB: 8192, timeCost: 1, parallelism: 1 });
    await updatePasswordHash(t.handle.db, tenant.id, admin.id, weak);
    // A server at the production cost (this file's other tests hash at the test-only cost).
    const config = testConfig(PRODUCTION_HASHING);
    const app = await buildServer({ config, database: t.handle, keyring: t.keyring, logger: false });
    try {
      const res = await app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { tenant: tenant.slug, email: adminEmail, password: adminPassword },
      });
      expect(res.statusCode).toBe(200);
    } finally {
      await app.close();
    }
    const stored = await findUserByEmail(t.handle.db, t.keyring, tenant.id, adminEmail);
    expect(config.argon2).toEqual({ memoryKiB: 19 * 1024, timeCost: 2, parallelism: 1 });
    expect(stored?.password_hash).toContain(`m=${config.argon2.memoryKiB},t=${config.argon2.timeCost},p=${config.argon2.parallelism}`);
  });
});
