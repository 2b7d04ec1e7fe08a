import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { bearer, login, signInAdmin } from '../../test/auth.js';
import { createTestTenant, type TestTenant } from '../../test/factories.js';
import { useTestServer } from '../../test/server.js';
import { totpCode } from './totp.js';

const t = useTestServer();

async function enrol(tt: TestTenant): Promise<{ token: string; secret: string; recoveryCodes: string[] }> {
  const token = await signInAdmin(t.app, tt);
  const start = await t.app.inject({ method: 'POST', url: '/api/v1/me/mfa/totp', headers: bearer(token) });
  expect(start.statusCode).toBe(200);
  const { secret } = start.json<{ secret: string }>();
  const verify = await t.app.inject({
    method: 'POST',
    url: '/api/v1/me/mfa/totp/verify',
    headers: bearer(token),
    payload: { code: totpCode(secret, new Date()) },
  });
  expect(verify.statusCode).toBe(200);
  return { token, secret, recoveryCodes: verify.json<{ recoveryCodes: string[] }>().recoveryCodes };
}

async function challengeFor(tt: TestTenant): Promise<string> {
  const res = await login(t.app, { tenant: tt.tenant.slug, email: tt.adminEmail, password: tt.adminPassword });
  expect(res.statusCode).toBe(200);
  const body = res.json<{ mfaRequired: boolean; challenge: string; token?: string }>();
  expect(body.mfaRequired).toBe(true);
  expect(body.token).toBeUndefined();
  return body.challenge;
}

function mfa(challenge: string, code: string) {
  return t.app.inject({ method: 'POST', url: '/api/v1/auth/mfa', payload: { challenge, code } });
}

/** A code of the next 30-second step: accepted once (±1 step), and newer than the enrolment code. */
function nextCode(secret: string): string {
  return totpCode(secret, new Date(Date.now() + 30_000));
}

describe('TOTP enrolment', () => {
  it('returns a base32 secret, an otpauth URI and a QR code, and stores the secret sealed', async () => {
    const tt = await createTestTenant(t.handle.db);
    const token = await signInAdmin(t.app, tt);
    // As many clients send it: a JSON content type and no body at all.
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/me/mfa/totp',
      headers: { ...bearer(token), 'content-type': 'application/json' },
      payload: '',
    });
    expect(res.statusCode).toBe(200);
    const body = res.json<{ secret: string; otpauthUri: string; qrCodeSvg: string }>();
    expect(body.secret).toMatch(/^[A-Z2-7]+=*$/);
    expect(body.otpauthUri).toMatch(/^otpauth:\/\/totp\//);
    expect(body.qrCodeSvg).toContain('<svg');
    const row = await t.handle.db
      .selectFrom('users')
      .select(['totp_pending_secret', 'totp_secret'])
      .where('tenant_id', '=', tt.tenant.id)
      .executeTakeFirstOrThrow();
    expect(row.totp_secret).toBeNull();
    expect(row.totp_pending_secret!.toString('latin1')).not.toContain(body.secret);
    // Not on until confirmed: sign-in still needs only the password.
    expect((await login(t.app, { tenant: tt.tenant.slug, email: tt.adminEmail, password: tt.adminPassword })).json()).toHaveProperty(
      'token',
    );
  });

  it('completes only with a valid code', async () => {
    const tt = await createTestTenant(t.handle.db);
    const token = await signInAdmin(t.app, tt);
    await t.app.inject({ method: 'POST', url: '/api/v1/me/mfa/totp', headers: bearer(token) });
    const wrong = await t.app.inject({
      method: 'POST',
      url: '/api/v1/me/mfa/totp/verify',
      headers: bearer(token),
      payload: { code: '000000' },
    });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().code).toBe('mfa_code_invalid');
    expect((await t.app.inject({ url: '/api/v1/me', headers: bearer(token) })).json().mfaEnabled).toBe(false);
  });

  it('gives ten distinct recovery codes, stored only as hashes', async () => {
    const tt = await createTestTenant(t.handle.db);
    const { recoveryCodes } = await enrol(tt);
    expect(recoveryCodes).toHaveLength(10);
    expect(new Set(recoveryCodes).size).toBe(10);
    const rows = await t.handle.db.selectFrom('recovery_codes').select('code_hash').where('tenant_id', '=', tt.tenant.id).execute();
    expect(rows).toHaveLength(10);
    const stored = rows.map((r) => r.code_hash.toString('latin1')).join('');
    for (const code of recoveryCodes) expect(stored).not.toContain(code.replace(/-/g, ''));
  });
});

describe('two-step sign-in', () => {
  it('asks for a code after the password and signs in with a valid one', async () => {
    const tt = await createTestTenant(t.handle.db);
    const { secret } = await enrol(tt);
    const res = await mfa(await challengeFor(tt), nextCode(secret));
    expect(res.statusCode).toBe(200);
    const token = res.json<{ token: string }>().token;
    expect((await t.app.inject({ url: '/api/v1/me', headers: bearer(token) })).json()).toMatchObject({ id: tt.admin.id, mfaEnabled: true });
  });

  it('refuses the same code the second time (replay)', async () => {
    const tt = await createTestTenant(t.handle.db);
    const { secret } = await enrol(tt);
    const code = nextCode(secret);
    expect((await mfa(await challengeFor(tt), code)).statusCode).toBe(200);
    const again = await mfa(await challengeFor(tt), code);
    expect(again.statusCode).toBe(401);
    expect(again.json().code).toBe('mfa_code_invalid');
  });

  it('refuses the enrolment code itself afterwards: it was used', async () => {
    const tt = await createTestTenant(t.handle.db);
    const token = await signInAdmin(t.app, tt);
    const { secret } = (await t.app.inject({ method: 'POST', url: '/api/v1/me/mfa/totp', headers: bearer(token) })).json<{
      secret: string;
    }>();
    const code = totpCode(secret, new Date());
    await t.app.inject({ method: 'POST', url: '/api/v1/me/mfa/totp/verify', headers: bearer(token), payload: { code } });
    expect((await mfa(await challengeFor(tt), code)).statusCode).toBe(401);
  });

  it('accepts a recovery code once', async () => {
    const tt = await createTestTenant(t.handle.db);
    const { recoveryCodes } = await enrol(tt);
    const code = recoveryCodes[3]!;
    const first = await mfa(await challengeFor(tt), code.toUpperCase());
    expect(first.statusCode).toBe(200);
    const second = await mfa(await challengeFor(tt), code);
    expect(second.statusCode).toBe(401);
    const state = await t.app.inject({ url: '/api/v1/me/mfa', headers: bearer(first.json().token) });
    expect(state.json()).toEqual({ enabled: true, recoveryCodesRemaining: 9 });
  });

  it('gives a challenge a few attempts only', async () => {
    const tt = await createTestTenant(t.handle.db);
    const { secret } = await enrol(tt);
    const challenge = await challengeFor(tt);
    for (let i = 0; i < 5; i++) expect((await mfa(challenge, '000000')).statusCode).toBe(401);
    const afterwards = await mfa(challenge, nextCode(secret));
    expect(afterwards.statusCode).toBe(401);
    expect(afterwards.json().code).toBe('mfa_challenge_invalid');
  });

  it('expires a challenge after five minutes', async () => {
    const tt = await createTestTenant(t.handle.db);
    const { secret } = await enrol(tt);
    const challenge = await challengeFor(tt);
    const row = await t.handle.db
      .selectFrom('mfa_challenges')
      .select(['expires_at', 'created_at'])
      .where('tenant_id', '=', tt.tenant.id)
      .executeTakeFirstOrThrow();
    expect(row.expires_at.getTime() - row.created_at.getTime()).toBeGreaterThan(4.9 * 60_000);
    expect(row.expires_at.getTime() - row.created_at.getTime()).toBeLessThanOrEqual(5.01 * 60_000);
    await sql`update mfa_challenges set expires_at = now() - interval '1 second' where tenant_id = ${tt.tenant.id}`.execute(t.handle.db);
    const res = await mfa(challenge, nextCode(secret));
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('mfa_challenge_invalid');
  });

  it('keeps a challenge unusable with a code of another user (cross-tenant)', async () => {
    const a = await createTestTenant(t.handle.db);
    const b = await createTestTenant(t.handle.db);
    await enrol(a);
    const bEnrolled = await enrol(b);
    const res = await mfa(await challengeFor(a), nextCode(bEnrolled.secret));
    expect(res.statusCode).toBe(401);
  });
});

describe('managing the second factor', () => {
  it('turns 2FA off only with password and code', async () => {
    const tt = await createTestTenant(t.handle.db);
    const { token, secret } = await enrol(tt);
    const disable = (payload: object) =>
      t.app.inject({ method: 'POST', url: '/api/v1/me/mfa/totp/disable', headers: bearer(token), payload });
    expect((await disable({ password: 'wrong password!', code: nextCode(secret) })).json().code).toBe('password_incorrect');
    expect((await disable({ password: tt.adminPassword, code: '123456' })).json().code).toBe('mfa_code_invalid');
    expect((await disable({ password: tt.adminPassword, code: nextCode(secret) })).statusCode).toBe(204);
    const res = await login(t.app, { tenant: tt.tenant.slug, email: tt.adminEmail, password: tt.adminPassword });
    expect(res.json()).toHaveProperty('token');
  });

  it('regenerates recovery codes with password and code; the old ones stop working', async () => {
    const tt = await createTestTenant(t.handle.db);
    const { token, secret, recoveryCodes } = await enrol(tt);
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/me/mfa/recovery-codes',
      headers: bearer(token),
      payload: { password: tt.adminPassword, code: nextCode(secret) },
    });
    expect(res.statusCode).toBe(200);
    const fresh = res.json<{ recoveryCodes: string[] }>().recoveryCodes;
    expect(fresh).toHaveLength(10);
    expect((await mfa(await challengeFor(tt), recoveryCodes[0]!)).statusCode).toBe(401);
    expect((await mfa(await challengeFor(tt), fresh[0]!)).statusCode).toBe(200);
  });

  it('lets an admin reset a user whose phone is lost, ending their sessions', async () => {
    const tt = await createTestTenant(t.handle.db);
    const adminToken = await signInAdmin(t.app, tt);
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers: bearer(adminToken),
      payload: { email: `ann@${tt.tenant.slug}.test`, name: 'Ann', password: 'ann has a long password' },
    });
    const ann = created.json<{ id: string }>();
    const annTeam = {
      ...tt,
      admin: { ...tt.admin, id: ann.id },
      adminEmail: `ann@${tt.tenant.slug}.test`,
      adminPassword: 'ann has a long password',
    };
    const { token: annToken } = await enrol(annTeam);
    const reset = await t.app.inject({ method: 'POST', url: `/api/v1/users/${ann.id}/mfa/reset`, headers: bearer(adminToken) });
    expect(reset.statusCode).toBe(200);
    expect(reset.json().mfaEnabled).toBe(false);
    expect((await t.app.inject({ url: '/api/v1/me', headers: bearer(annToken) })).statusCode).toBe(401);
    const again = await login(t.app, { tenant: tt.tenant.slug, email: annTeam.adminEmail, password: annTeam.adminPassword });
    expect(again.json()).toHaveProperty('token');
  });
});

describe('tenant policy: 2FA required', () => {
  it('sends a user without 2FA to enrolment before anything else', async () => {
    const tt = await createTestTenant(t.handle.db);
    const adminToken = await signInAdmin(t.app, tt);
    const policy = await t.app.inject({
      method: 'PUT',
      url: '/api/v1/settings/security',
      headers: bearer(adminToken),
      payload: { requireMfa: true },
    });
    expect(policy.json()).toEqual({ requireMfa: true });

    const res = await login(t.app, { tenant: tt.tenant.slug, email: tt.adminEmail, password: tt.adminPassword });
    const { token, mfaEnrolmentRequired } = res.json<{ token: string; mfaEnrolmentRequired: boolean }>();
    expect(mfaEnrolmentRequired).toBe(true);
    const blocked = await t.app.inject({ url: '/api/v1/users', headers: bearer(token) });
    expect(blocked.statusCode).toBe(403);
    expect(blocked.json().code).toBe('mfa_enrolment_required');
    expect((await t.app.inject({ url: '/api/v1/me', headers: bearer(token) })).statusCode).toBe(200);

    const { secret } = (await t.app.inject({ method: 'POST', url: '/api/v1/me/mfa/totp', headers: bearer(token) })).json<{
      secret: string;
    }>();
    await t.app.inject({
      method: 'POST',
      url: '/api/v1/me/mfa/totp/verify',
      headers: bearer(token),
      payload: { code: totpCode(secret, new Date()) },
    });
    expect((await t.app.inject({ url: '/api/v1/users', headers: bearer(token) })).statusCode).toBe(200);
    // And 2FA cannot be switched off while the policy stands.
    const disable = await t.app.inject({
      method: 'POST',
      url: '/api/v1/me/mfa/totp/disable',
      headers: bearer(token),
      payload: { password: tt.adminPassword, code: nextCode(secret) },
    });
    expect(disable.json().code).toBe('mfa_required_by_tenant');
  });

  it('can only be set by an admin', async () => {
    const tt = await createTestTenant(t.handle.db);
    const adminToken = await signInAdmin(t.app, tt);
    await t.app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers: bearer(adminToken),
      payload: { email: `bob@${tt.tenant.slug}.test`, name: 'Bob', password: 'bob has a long password' },
    });
    const bob = await login(t.app, { tenant: tt.tenant.slug, email: `bob@${tt.tenant.slug}.test`, password: 'bob has a long password' });
    const res = await t.app.inject({
      method: 'PUT',
      url: '/api/v1/settings/security',
      headers: bearer(bob.json().token),
      payload: { requireMfa: true },
    });
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('admin_required');
  });
});
