import { describe, expect, it } from 'vitest';
import { bearer, login, signInAdmin } from '../../test/auth.js';
import { createTestTenant, type TestTenant } from '../../test/factories.js';
import { useTestServer } from '../../test/server.js';

const t = useTestServer();

async function addUser(tt: TestTenant, session: string, name: string, extra: object = {}) {
  const email = `${name.toLowerCase()}@${tt.tenant.slug}.test`;
  const password = `${name} has a long password`;
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/users',
    headers: bearer(session),
    payload: { email, name, password, ...extra },
  });
  expect(res.statusCode).toBe(201);
  return { ...res.json<{ id: string }>(), email, password };
}

describe('users (admin)', () => {
  it('lets an admin create users who can then sign in', async () => {
    const tt = await createTestTenant(t.handle.db);
    const admin = await signInAdmin(t.app, tt);
    const ann = await addUser(tt, admin, 'Ann', { language: 'nl' });
    const res = await login(t.app, { tenant: tt.tenant.slug, email: ann.email, password: ann.password });
    expect(res.statusCode).toBe(200);
    expect(res.json().user).toMatchObject({ id: ann.id, isAdmin: false, language: 'nl' });
    const list = await t.app.inject({ url: '/api/v1/users', headers: bearer(admin) });
    expect(
      list
        .json()
        .items.map((u: { id: string }) => u.id)
        .sort(),
    ).toEqual([tt.admin.id, ann.id].sort());
  });

  it('refuses user management to non-admins', async () => {
    const tt = await createTestTenant(t.handle.db);
    const admin = await signInAdmin(t.app, tt);
    const ann = await addUser(tt, admin, 'Ann');
    const annSession = (await login(t.app, { tenant: tt.tenant.slug, email: ann.email, password: ann.password })).json().token;
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers: bearer(annSession),
      payload: { email: `x@${tt.tenant.slug}.test`, name: 'X', password: 'x has a long password' },
    });
    expect(res.statusCode).toBe(403);
    expect((await t.app.inject({ url: `/api/v1/users/${tt.admin.id}`, headers: bearer(annSession) })).statusCode).toBe(403);
    expect((await t.app.inject({ url: `/api/v1/users/${ann.id}`, headers: bearer(annSession) })).statusCode).toBe(200);
  });

  it('refuses a duplicate e-mail address and a common password', async () => {
    const tt = await createTestTenant(t.handle.db);
    const admin = await signInAdmin(t.app, tt);
    const dup = await t.app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers: bearer(admin),
      payload: { email: tt.adminEmail.toUpperCase(), name: 'Dup', password: 'another long password' },
    });
    expect(dup.statusCode).toBe(409);
    expect(dup.json().code).toBe('email_taken');
    const weak = await t.app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers: bearer(admin),
      payload: { email: `w@${tt.tenant.slug}.test`, name: 'W', password: 'iloveyou' },
    });
    expect(weak.json().code).toBe('password_policy');
  });

  it('deactivating a user ends their sessions and tokens at once', async () => {
    const tt = await createTestTenant(t.handle.db);
    const admin = await signInAdmin(t.app, tt);
    const ann = await addUser(tt, admin, 'Ann');
    const annSession = (await login(t.app, { tenant: tt.tenant.slug, email: ann.email, password: ann.password })).json().token;
    const annToken = (
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/me/tokens',
        headers: bearer(annSession),
        payload: { name: 'x', scopes: ['read'] },
      })
    ).json().token;
    const res = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/users/${ann.id}`,
      headers: bearer(admin),
      payload: { status: 'deactivated' },
    });
    expect(res.json().status).toBe('deactivated');
    expect((await t.app.inject({ url: '/api/v1/me', headers: bearer(annSession) })).statusCode).toBe(401);
    expect((await t.app.inject({ url: '/api/v1/me', headers: bearer(annToken) })).statusCode).toBe(401);
    expect((await login(t.app, { tenant: tt.tenant.slug, email: ann.email, password: ann.password })).statusCode).toBe(401);
    const events = await t.app.inject({ url: `/api/v1/security-events?userId=${ann.id}&type=user.deactivated`, headers: bearer(admin) });
    expect(events.json().items).toHaveLength(1);
    expect(events.json().items[0].actorUserId).toBe(tt.admin.id);
  });

  it('never leaves a tenant without an active admin', async () => {
    const tt = await createTestTenant(t.handle.db);
    const admin = await signInAdmin(t.app, tt);
    for (const payload of [{ status: 'deactivated' }, { isAdmin: false }]) {
      const res = await t.app.inject({ method: 'PATCH', url: `/api/v1/users/${tt.admin.id}`, headers: bearer(admin), payload });
      expect(res.statusCode).toBe(409);
      expect(res.json().code).toBe('last_admin');
    }
    const second = await addUser(tt, admin, 'Second', { isAdmin: true });
    const demoted = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/users/${tt.admin.id}`,
      headers: bearer(admin),
      payload: { isAdmin: false },
    });
    expect(demoted.statusCode).toBe(200);
    expect(second.id).toBeDefined();
  });

  it("hides another tenant's users: 404, not 403", async () => {
    const a = await createTestTenant(t.handle.db);
    const b = await createTestTenant(t.handle.db);
    const aAdmin = await signInAdmin(t.app, a);
    for (const request of [
      { method: 'GET' as const, url: `/api/v1/users/${b.admin.id}` },
      { method: 'PATCH' as const, url: `/api/v1/users/${b.admin.id}`, payload: { name: 'Hijacked' } },
      { method: 'POST' as const, url: `/api/v1/users/${b.admin.id}/mfa/reset` },
    ]) {
      const res = await t.app.inject({ ...request, headers: bearer(aAdmin) });
      expect(res.statusCode).toBe(404);
    }
    const bAdmin = await signInAdmin(t.app, b);
    expect((await t.app.inject({ url: '/api/v1/me', headers: bearer(bAdmin) })).json().name).toBe(b.admin.name);
  });

  it('records sign-in successes and failures as security events without personal data', async () => {
    const tt = await createTestTenant(t.handle.db);
    await login(t.app, { tenant: tt.tenant.slug, email: tt.adminEmail, password: 'wrong password!' });
    const admin = await signInAdmin(t.app, tt);
    const events = (await t.app.inject({ url: '/api/v1/me/security-events', headers: bearer(admin) })).json().items as Array<{
      type: string;
    }>;
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['sign_in.failed', 'sign_in.succeeded']));
    expect(JSON.stringify(events)).not.toContain(tt.adminEmail);
  });
});
