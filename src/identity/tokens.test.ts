import { describe, expect, it } from 'vitest';
import { bearer, login, signInAdmin } from '../../test/auth.js';
import { createTestTenant } from '../../test/factories.js';
import { useTestServer } from '../../test/server.js';

const t = useTestServer();

async function createToken(session: string, payload: object) {
  return t.app.inject({ method: 'POST', url: '/api/v1/me/tokens', headers: bearer(session), payload });
}

describe('personal API tokens', () => {
  it('are shown once, stored hashed, work as bearer tokens and record their last use', async () => {
    const tt = await createTestTenant(t.handle.db);
    const session = await signInAdmin(t.app, tt);
    const created = await createToken(session, { name: 'reporting script', scopes: ['read'], expiresInDays: 30 });
    expect(created.statusCode).toBe(201);
    const { token, id, expiresAt } = created.json<{ token: string; id: string; expiresAt: string }>();
    expect(token).toMatch(/^cst_[A-Za-z0-9_-]{43}$/);
    expect(Math.round((Date.parse(expiresAt) - Date.now()) / 86_400_000)).toBe(30);

    const me = await t.app.inject({ url: '/api/v1/me', headers: bearer(token) });
    expect(me.statusCode).toBe(200);
    expect(me.json().id).toBe(tt.admin.id);

    const list = (await t.app.inject({ url: '/api/v1/me/tokens', headers: bearer(session) })).json<{
      items: Array<Record<string, unknown>>;
    }>();
    expect(list.items).toHaveLength(1);
    expect(list.items[0]).toMatchObject({ id, name: 'reporting script', scopes: ['read'] });
    expect(list.items[0]).not.toHaveProperty('token');
    expect(list.items[0]!.lastUsedAt).not.toBeNull();

    const stored = await t.handle.db.selectFrom('api_tokens').select('token_hash').where('id', '=', id).executeTakeFirstOrThrow();
    expect(stored.token_hash.toString('latin1')).not.toContain(token);
  });

  it('are limited by their scopes', async () => {
    const tt = await createTestTenant(t.handle.db);
    const session = await signInAdmin(t.app, tt);
    const readOnly = (await createToken(session, { name: 'ro', scopes: ['read'] })).json().token;
    const res = await t.app.inject({ method: 'PATCH', url: '/api/v1/me', headers: bearer(readOnly), payload: { name: 'Changed' } });
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('scope_missing');
    // Admin routes need the admin scope, even for an admin's token.
    const users = await t.app.inject({ url: '/api/v1/users', headers: bearer(readOnly) });
    expect(users.statusCode).toBe(403);
    const adminToken = (await createToken(session, { name: 'admin', scopes: ['read', 'admin'] })).json().token;
    expect((await t.app.inject({ url: '/api/v1/users', headers: bearer(adminToken) })).statusCode).toBe(200);
  });

  it("are limited by their user's rights: no admin scope for a non-admin, and none after demotion", async () => {
    const tt = await createTestTenant(t.handle.db);
    const adminSession = await signInAdmin(t.app, tt);
    const bob = (
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/users',
        headers: bearer(adminSession),
        payload: { email: `bob@${tt.tenant.slug}.test`, name: 'Bob', password: 'bob has a long password', isAdmin: true },
      })
    ).json<{ id: string }>();
    const bobSession = (
      await login(t.app, { tenant: tt.tenant.slug, email: `bob@${tt.tenant.slug}.test`, password: 'bob has a long password' })
    ).json().token;
    const bobToken = (await createToken(bobSession, { name: 'admin work', scopes: ['read', 'admin'] })).json().token;
    expect((await t.app.inject({ url: '/api/v1/users', headers: bearer(bobToken) })).statusCode).toBe(200);

    await t.app.inject({ method: 'PATCH', url: `/api/v1/users/${bob.id}`, headers: bearer(adminSession), payload: { isAdmin: false } });
    expect((await t.app.inject({ url: '/api/v1/users', headers: bearer(bobToken) })).statusCode).toBe(403);
    const refused = await createToken(bobSession, { name: 'sneaky', scopes: ['admin'] });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().code).toBe('admin_required');
  });

  it('cannot manage credentials themselves', async () => {
    const tt = await createTestTenant(t.handle.db);
    const session = await signInAdmin(t.app, tt);
    const token = (await createToken(session, { name: 'rw', scopes: ['read', 'write'] })).json().token;
    const res = await createToken(token, { name: 'child', scopes: ['read'] });
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('session_required');
  });

  it('are dead once revoked or expired', async () => {
    const tt = await createTestTenant(t.handle.db);
    const session = await signInAdmin(t.app, tt);
    const one = (await createToken(session, { name: 'one', scopes: ['read'] })).json<{ id: string; token: string }>();
    const two = (await createToken(session, { name: 'two', scopes: ['read'] })).json<{ id: string; token: string }>();
    expect((await t.app.inject({ method: 'DELETE', url: `/api/v1/me/tokens/${one.id}`, headers: bearer(session) })).statusCode).toBe(204);
    expect((await t.app.inject({ url: '/api/v1/me', headers: bearer(one.token) })).statusCode).toBe(401);
    await t.handle.db
      .updateTable('api_tokens')
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where('id', '=', two.id)
      .execute();
    expect((await t.app.inject({ url: '/api/v1/me', headers: bearer(two.token) })).statusCode).toBe(401);
  });

  it('cannot revoke a token of another tenant', async () => {
    const a = await createTestTenant(t.handle.db);
    const b = await createTestTenant(t.handle.db);
    const aSession = await signInAdmin(t.app, a);
    const bSession = await signInAdmin(t.app, b);
    const bToken = (await createToken(bSession, { name: 'b', scopes: ['read'] })).json<{ id: string; token: string }>();
    const res = await t.app.inject({ method: 'DELETE', url: `/api/v1/me/tokens/${bToken.id}`, headers: bearer(aSession) });
    expect(res.statusCode).toBe(404);
    expect((await t.app.inject({ url: '/api/v1/me', headers: bearer(bToken.token) })).statusCode).toBe(200);
  });
});
