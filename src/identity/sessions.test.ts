import { describe, expect, it } from 'vitest';
import { bearer, login, signInAdmin } from '../../test/auth.js';
import { createTestTenant } from '../../test/factories.js';
import { useTestServer } from '../../test/server.js';
import { eraseSubject } from '../key-lifecycle/shredding.js';
import { terminateTenant } from '../tenants/tenants.service.js';

const t = useTestServer();

function cookieFrom(res: { headers: Record<string, unknown> }): string {
  const header = res.headers['set-cookie'];
  const cookies = Array.isArray(header) ? header : [String(header)];
  const session = cookies.find((c) => c.startsWith('custodia_session='));
  if (!session) throw new Error('no session cookie');
  return session;
}

describe('sessions', () => {
  it('lists my sessions with device and address, and ends one of them', async () => {
    const tt = await createTestTenant(t.handle.db);
    const laptop = await signInAdmin(t.app, tt);
    const phone = (
      await login(t.app, { tenant: tt.tenant.slug, email: tt.adminEmail, password: tt.adminPassword }, { 'user-agent': 'PhoneBrowser/1.0' })
    ).json<{ token: string }>().token;
    const list = await t.app.inject({ url: '/api/v1/me/sessions', headers: bearer(laptop) });
    const items = list.json<{ items: Array<{ id: string; current: boolean; userAgent: string | null; ip: string | null }> }>().items;
    expect(items).toHaveLength(2);
    expect(items.filter((s) => s.current)).toHaveLength(1);
    const phoneSession = items.find((s) => s.userAgent === 'PhoneBrowser/1.0')!;
    expect(phoneSession.current).toBe(false);
    expect(phoneSession.ip).toBe('127.0.0.1');

    const end = await t.app.inject({ method: 'DELETE', url: `/api/v1/me/sessions/${phoneSession.id}`, headers: bearer(laptop) });
    expect(end.statusCode).toBe(204);
    expect((await t.app.inject({ url: '/api/v1/me', headers: bearer(phone) })).statusCode).toBe(401);
    expect((await t.app.inject({ url: '/api/v1/me', headers: bearer(laptop) })).statusCode).toBe(200);
  });

  it("cannot end another user's session (cross-tenant)", async () => {
    const a = await createTestTenant(t.handle.db);
    const b = await createTestTenant(t.handle.db);
    const aToken = await signInAdmin(t.app, a);
    const bToken = await signInAdmin(t.app, b);
    const bSession = (await t.app.inject({ url: '/api/v1/me/sessions', headers: bearer(bToken) })).json().items[0].id;
    const res = await t.app.inject({ method: 'DELETE', url: `/api/v1/me/sessions/${bSession}`, headers: bearer(aToken) });
    expect(res.statusCode).toBe(404);
    expect((await t.app.inject({ url: '/api/v1/me', headers: bearer(bToken) })).statusCode).toBe(200);
  });

  it('signs out everywhere', async () => {
    const tt = await createTestTenant(t.handle.db);
    const one = await signInAdmin(t.app, tt);
    const two = await signInAdmin(t.app, tt);
    expect((await t.app.inject({ method: 'DELETE', url: '/api/v1/me/sessions', headers: bearer(one) })).statusCode).toBe(204);
    expect((await t.app.inject({ url: '/api/v1/me', headers: bearer(one) })).statusCode).toBe(401);
    expect((await t.app.inject({ url: '/api/v1/me', headers: bearer(two) })).statusCode).toBe(401);
  });

  it('makes the token dead after sign-out', async () => {
    const tt = await createTestTenant(t.handle.db);
    const token = await signInAdmin(t.app, tt);
    await t.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: bearer(token) });
    const res = await t.app.inject({ url: '/api/v1/me', headers: bearer(token) });
    expect(res.statusCode).toBe(401);
  });
});

describe('browser sessions: cookie and CSRF', () => {
  it('sets an HttpOnly, SameSite=Lax session cookie at sign-in', async () => {
    const tt = await createTestTenant(t.handle.db);
    const res = await login(t.app, { tenant: tt.tenant.slug, email: tt.adminEmail, password: tt.adminPassword });
    const cookie = cookieFrom(res);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(cookie).not.toMatch(/Secure/i); // plain HTTP here; Secure behind TLS
    const https = await login(
      t.app,
      { tenant: tt.tenant.slug, email: tt.adminEmail, password: tt.adminPassword },
      { 'x-forwarded-proto': 'https' },
    );
    // Without CUSTODIA_TRUST_PROXY the forwarded protocol is not believed.
    expect(cookieFrom(https)).not.toMatch(/Secure/i);
  });

  it('reads with the cookie alone but refuses unsafe methods without the CSRF token', async () => {
    const tt = await createTestTenant(t.handle.db);
    const res = await login(t.app, { tenant: tt.tenant.slug, email: tt.adminEmail, password: tt.adminPassword });
    const cookie = cookieFrom(res).split(';')[0]!;
    const { csrfToken } = res.json<{ csrfToken: string }>();

    expect((await t.app.inject({ url: '/api/v1/me', headers: { cookie } })).statusCode).toBe(200);

    const missing = await t.app.inject({ method: 'PATCH', url: '/api/v1/me', headers: { cookie }, payload: { name: 'Mallory was here' } });
    expect(missing.statusCode).toBe(403);
    expect(missing.json().code).toBe('csrf_failed');
    const wrong = await t.app.inject({
      method: 'PATCH',
      url: '/api/v1/me',
      headers: { cookie, 'x-csrf-token': `${csrfToken.slice(0, -2)}xx` },
      payload: { name: 'Mallory was here' },
    });
    expect(wrong.statusCode).toBe(403);
    expect((await t.app.inject({ url: '/api/v1/me', headers: { cookie } })).json().name).toBe(tt.admin.name);

    const ok = await t.app.inject({
      method: 'PATCH',
      url: '/api/v1/me',
      headers: { cookie, 'x-csrf-token': csrfToken },
      payload: { name: 'Ada Admin' },
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().name).toBe('Ada Admin');
  });

  it("does not accept another session's CSRF token", async () => {
    const tt = await createTestTenant(t.handle.db);
    const mine = await login(t.app, { tenant: tt.tenant.slug, email: tt.adminEmail, password: tt.adminPassword });
    const theirs = await login(t.app, { tenant: tt.tenant.slug, email: tt.adminEmail, password: tt.adminPassword });
    const res = await t.app.inject({
      method: 'PATCH',
      url: '/api/v1/me',
      headers: { cookie: cookieFrom(mine).split(';')[0]!, 'x-csrf-token': theirs.json().csrfToken },
      payload: { name: 'Nope' },
    });
    expect(res.statusCode).toBe(403);
  });

  it('needs no CSRF token with a bearer token (not sent by browsers on their own)', async () => {
    const tt = await createTestTenant(t.handle.db);
    const token = await signInAdmin(t.app, tt);
    const res = await t.app.inject({ method: 'PATCH', url: '/api/v1/me', headers: bearer(token), payload: { language: 'nl' } });
    expect(res.statusCode).toBe(200);
    expect(res.json().language).toBe('nl');
  });
});

describe('sessions of people whose keys are gone', () => {
  it('answer 401 after the tenant is terminated (its keys destroyed)', async () => {
    const tt = await createTestTenant(t.handle.db);
    const token = await signInAdmin(t.app, tt);
    await terminateTenant(t.handle.db, { ...t.config, keyring: t.keyring }, tt.tenant.slug);
    const res = await t.app.inject({ url: '/api/v1/me', headers: bearer(token) });
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('unauthenticated');
  });

  it('answer 401 after the user was erased', async () => {
    const tt = await createTestTenant(t.handle.db);
    const token = await signInAdmin(t.app, tt);
    const row = await t.handle.db.selectFrom('users').select('subject_id').where('id', '=', tt.admin.id).executeTakeFirstOrThrow();
    await eraseSubject(t.handle.db, t.keyring, tt.tenant.id, row.subject_id!);
    expect((await t.app.inject({ url: '/api/v1/me', headers: bearer(token) })).statusCode).toBe(401);
  });
});
