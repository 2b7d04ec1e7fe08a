import { describe, expect, it } from 'vitest';
import { bearer, login, signInAdmin } from '../../test/auth.js';
import { createTestTenant, type TestTenant } from '../../test/factories.js';
import { useTestServer } from '../../test/server.js';
import { eraseSubject } from '../key-lifecycle/shredding.js';
import { suspendTenant, terminateTenant } from '../tenants/tenants.service.js';
import { totpCode } from './totp.js';

// Authentication is remembered for a few seconds (auth-cache.ts). Each test
// first uses the credential, so it is cached, then changes something, and
// expects the very next request to see the change.

const t = useTestServer();

const me = (token: string) => t.app.inject({ url: '/api/v1/me', headers: bearer(token) });

async function cachedSession(tt: TestTenant): Promise<string> {
  const token = await signInAdmin(t.app, tt);
  expect((await me(token)).statusCode).toBe(200);
  return token;
}

async function secondUser(tt: TestTenant, adminToken: string): Promise<{ id: string; token: string }> {
  const password = 'a long passphrase for the second user';
  const created = await t.app.inject({
    method: 'POST',
    url: '/api/v1/users',
    headers: bearer(adminToken),
    payload: { email: `second@${tt.tenant.slug}.test`, name: 'Second User', password },
  });
  expect(created.statusCode).toBe(201);
  const token = (await login(t.app, { tenant: tt.tenant.slug, email: `second@${tt.tenant.slug}.test`, password })).json<{ token: string }>()
    .token;
  expect((await me(token)).statusCode).toBe(200);
  return { id: created.json<{ id: string }>().id, token };
}

describe('the authentication cache', () => {
  it('serves a repeated request without looking again (another process sees a change within the TTL)', async () => {
    const tt = await createTestTenant(t.handle.db);
    const token = await cachedSession(tt);
    // Behind the process's back, as another app node would: this process cannot know.
    await t.handle.db.deleteFrom('sessions').where('tenant_id', '=', tt.tenant.id).execute();
    expect((await me(token)).statusCode).toBe(200);
  });

  it('forgets a session at sign-out: 401 on the very next request', async () => {
    const tt = await createTestTenant(t.handle.db);
    const token = await cachedSession(tt);
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: bearer(token) })).statusCode).toBe(204);
    expect((await me(token)).statusCode).toBe(401);
  });

  it('forgets a revoked session, and every session at sign-out everywhere', async () => {
    const tt = await createTestTenant(t.handle.db);
    const laptop = await cachedSession(tt);
    const phone = await cachedSession(tt);
    const tablet = await cachedSession(tt);
    const sessions = (await t.app.inject({ url: '/api/v1/me/sessions', headers: bearer(laptop) })).json<{
      items: Array<{ id: string; current: boolean }>;
    }>();
    const current = sessions.items.find((s) => s.current)!;
    const others = sessions.items.filter((s) => !s.current);
    expect(
      (await t.app.inject({ method: 'DELETE', url: `/api/v1/me/sessions/${others[0]!.id}`, headers: bearer(laptop) })).statusCode,
    ).toBe(204);
    const stillIn = [];
    for (const token of [phone, tablet]) if ((await me(token)).statusCode === 200) stillIn.push(token);
    expect(stillIn).toHaveLength(1);
    expect((await t.app.inject({ method: 'DELETE', url: '/api/v1/me/sessions', headers: bearer(laptop) })).statusCode).toBeLessThan(300);
    expect((await me(stillIn[0]!)).statusCode).toBe(401);
    expect((await me(laptop)).statusCode).toBe(401);
    expect(current.id).toBeDefined();
  });

  it("ends the user's other sessions at a password change", async () => {
    const tt = await createTestTenant(t.handle.db);
    const here = await cachedSession(tt);
    const elsewhere = await cachedSession(tt);
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/me/password',
      headers: bearer(here),
      payload: { currentPassword: tt.adminPassword, newPassword: 'another long passphrase, changed' },
    });
    expect(res.statusCode).toBe(204);
    expect((await me(elsewhere)).statusCode).toBe(401);
    expect((await me(here)).statusCode).toBe(200);
  });

  it('refuses a deactivated user, and sees a demotion, on the next request', async () => {
    const tt = await createTestTenant(t.handle.db);
    const admin = await cachedSession(tt);
    const second = await secondUser(tt, admin);
    const promote = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/users/${second.id}`,
      headers: bearer(admin),
      payload: { isAdmin: true },
    });
    expect(promote.statusCode).toBe(200);
    expect((await me(second.token)).json<{ isAdmin: boolean }>().isAdmin).toBe(true);
    await t.app.inject({ method: 'PATCH', url: `/api/v1/users/${second.id}`, headers: bearer(admin), payload: { isAdmin: false } });
    expect((await me(second.token)).json<{ isAdmin: boolean }>().isAdmin).toBe(false);
    const off = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/users/${second.id}`,
      headers: bearer(admin),
      payload: { status: 'deactivated' },
    });
    expect(off.statusCode).toBe(200);
    expect((await me(second.token)).statusCode).toBe(401);
  });

  it('sees second-factor changes at once: enrolment shows, an admin reset ends the sessions', async () => {
    const tt = await createTestTenant(t.handle.db);
    const admin = await cachedSession(tt);
    const second = await secondUser(tt, admin);
    expect((await me(second.token)).json<{ mfaEnabled: boolean }>().mfaEnabled).toBe(false);
    const start = await t.app.inject({ method: 'POST', url: '/api/v1/me/mfa/totp', headers: bearer(second.token) });
    const { secret } = start.json<{ secret: string }>();
    const verify = await t.app.inject({
      method: 'POST',
      url: '/api/v1/me/mfa/totp/verify',
      headers: bearer(second.token),
      payload: { code: totpCode(secret, new Date()) },
    });
    expect(verify.statusCode).toBe(200);
    expect((await me(second.token)).json<{ mfaEnabled: boolean }>().mfaEnabled).toBe(true);
    expect(
      (await t.app.inject({ method: 'POST', url: `/api/v1/users/${second.id}/mfa/reset`, headers: bearer(admin) })).statusCode,
    ).toBeLessThan(300);
    expect((await me(second.token)).statusCode).toBe(401);
  });

  it('refuses a revoked API token on the next request', async () => {
    const tt = await createTestTenant(t.handle.db);
    const session = await cachedSession(tt);
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/me/tokens',
      headers: bearer(session),
      payload: { name: 'ci', scopes: ['read'] },
    });
    expect(created.statusCode).toBe(201);
    const { id, token } = created.json<{ id: string; token: string }>();
    expect((await me(token)).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'DELETE', url: `/api/v1/me/tokens/${id}`, headers: bearer(session) })).statusCode).toBe(204);
    expect((await me(token)).statusCode).toBe(401);
  });

  it('refuses the sessions of a suspended or terminated tenant on the next request', async () => {
    const suspended = await createTestTenant(t.handle.db);
    const a = await cachedSession(suspended);
    await suspendTenant(t.handle.db, t.keyring, suspended.tenant.slug);
    expect((await me(a)).statusCode).toBe(401);

    const terminated = await createTestTenant(t.handle.db);
    const b = await cachedSession(terminated);
    await terminateTenant(t.handle.db, { ...t.config, keyring: t.keyring }, terminated.tenant.slug);
    expect((await me(b)).statusCode).toBe(401);
  });

  it("refuses an erased user's session on the next request", async () => {
    const tt = await createTestTenant(t.handle.db);
    const token = await cachedSession(tt);
    const row = await t.handle.db.selectFrom('users').select('subject_id').where('id', '=', tt.admin.id).executeTakeFirstOrThrow();
    await eraseSubject(t.handle.db, t.keyring, tt.tenant.id, row.subject_id!);
    expect((await me(token)).statusCode).toBe(401);
  });
});
