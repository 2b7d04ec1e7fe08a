import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, login, signInAdmin } from '../../test/auth.js';
import { createTestTenant, type TestTenant } from '../../test/factories.js';
import { useTestServer } from '../../test/server.js';
import { startTestSmtpServer, type TestSmtpServer } from '../../test/smtp.js';
import { createSmtpTransport, listOutbox, sendDueMail } from '../mail/mail.service.js';
import { isCommonPassword } from './passwords.js';

const t = useTestServer({ CUSTODIA_PUBLIC_URL: 'https://crm.example.test' });
let smtp: TestSmtpServer;
beforeAll(async () => {
  smtp = await startTestSmtpServer();
});
afterAll(() => smtp.close());

/** Waits until the background reset request has queued its mail, or gives up. */
async function waitForQueuedMail(tenantId: string, template: string, count: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const row = await t.handle.db
      .selectFrom('mail_outbox')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('tenant_id', '=', tenantId)
      .where('template', '=', template)
      .executeTakeFirstOrThrow();
    if (Number(row.n) >= count) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`no ${template} mail was queued`);
}

async function requestReset(tt: TestTenant, email = tt.adminEmail) {
  return t.app.inject({ method: 'POST', url: '/api/v1/auth/password-reset', payload: { tenant: tt.tenant.slug, email } });
}

/** Requests a reset, delivers it over real SMTP and answers the token from the received link. */
async function resetTokenByMail(tt: TestTenant): Promise<string> {
  const before = smtp.messages.length;
  expect((await requestReset(tt)).statusCode).toBe(202);
  await waitForQueuedMail(tt.tenant.id, 'password_reset', 1);
  await sendDueMail(t.handle.db, createSmtpTransport(smtp.url), { from: 'Custodia <noreply@example.test>', keyring: t.keyring });
  const messages = await smtp.waitFor(before + 1);
  const mail = messages.at(-1)!;
  expect(mail.to).toEqual([tt.adminEmail]);
  const match = /https:\/\/crm\.example\.test\/reset-password#token=([A-Za-z0-9_-]+)/.exec(mail.text);
  expect(match).not.toBeNull();
  return match![1]!;
}

function confirm(token: string, password: string) {
  return t.app.inject({ method: 'POST', url: '/api/v1/auth/password-reset/confirm', payload: { token, password } });
}

describe('password reset', () => {
  it('e-mails a link over SMTP that sets a new password once and ends every session', async () => {
    const tt = await createTestTenant(t.handle.db);
    const oldSession = await signInAdmin(t.app, tt);
    const token = await resetTokenByMail(tt);

    expect((await confirm(token, 'a brand new passphrase')).statusCode).toBe(204);
    expect((await t.app.inject({ url: '/api/v1/me', headers: bearer(oldSession) })).statusCode).toBe(401);
    expect((await login(t.app, { tenant: tt.tenant.slug, email: tt.adminEmail, password: 'a brand new passphrase' })).statusCode).toBe(200);
    expect((await login(t.app, { tenant: tt.tenant.slug, email: tt.adminEmail, password: tt.adminPassword })).statusCode).toBe(401);

    const reused = await confirm(token, 'yet another passphrase');
    expect(reused.statusCode).toBe(400);
    expect(reused.json().code).toBe('reset_token_invalid');
  });

  it('keeps no plaintext address, name or link in the outbox while the mail waits', async () => {
    const tt = await createTestTenant(t.handle.db);
    expect((await requestReset(tt)).statusCode).toBe(202);
    await t.app.backgroundSettled();
    const rows = await t.handle.db.selectFrom('mail_outbox').selectAll().where('tenant_id', '=', tt.tenant.id).execute();
    expect(rows).toHaveLength(1);
    const raw = JSON.stringify(rows);
    expect(raw).not.toContain(tt.adminEmail);
    expect(raw).not.toContain(tt.admin.name);
    expect(raw).not.toContain('reset-password');
  });

  it('stores only a hash of the token and blanks the mail body once sent', async () => {
    const tt = await createTestTenant(t.handle.db);
    const token = await resetTokenByMail(tt);
    const resets = await sql<{
      dump: string;
    }>`select encode(token_hash, 'hex') as dump from password_resets where tenant_id = ${tt.tenant.id}`.execute(t.handle.db);
    expect(resets.rows).toHaveLength(1);
    expect(resets.rows[0]!.dump).not.toContain(Buffer.from(token).toString('hex'));
    const outbox = await t.handle.db.selectFrom('mail_outbox').selectAll().where('tenant_id', '=', tt.tenant.id).execute();
    expect(outbox.map((m) => m.text_body).join('')).not.toContain(token);
  });

  it('refuses an expired token', async () => {
    const tt = await createTestTenant(t.handle.db);
    const token = await resetTokenByMail(tt);
    await sql`update password_resets set expires_at = now() - interval '1 second' where tenant_id = ${tt.tenant.id}`.execute(t.handle.db);
    const res = await confirm(token, 'a brand new passphrase');
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('reset_token_invalid');
    expect((await login(t.app, { tenant: tt.tenant.slug, email: tt.adminEmail, password: tt.adminPassword })).statusCode).toBe(200);
  });

  it('makes tokens expire after 30 minutes', async () => {
    const tt = await createTestTenant(t.handle.db);
    await resetTokenByMail(tt);
    const row = await t.handle.db
      .selectFrom('password_resets')
      .select(['created_at', 'expires_at'])
      .where('tenant_id', '=', tt.tenant.id)
      .executeTakeFirstOrThrow();
    expect(Math.round((row.expires_at.getTime() - row.created_at.getTime()) / 60_000)).toBe(30);
  });

  it('applies the password policy to the new password', async () => {
    const tt = await createTestTenant(t.handle.db);
    const token = await resetTokenByMail(tt);
    expect((await confirm(token, 'short')).json().code).toBe('password_policy');
    expect((await confirm(token, 'password123')).json().code).toBe('password_policy');
    // The token survives a refused attempt.
    expect((await confirm(token, 'a brand new passphrase')).statusCode).toBe(204);
  });

  it('answers 202 for unknown users and tenants and sends nothing', async () => {
    const tt = await createTestTenant(t.handle.db);
    const unknownUser = await requestReset(tt, 'nobody@example.test');
    const unknownTenant = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/password-reset',
      payload: { tenant: 'no-such-tenant', email: tt.adminEmail },
    });
    expect(unknownUser.statusCode).toBe(202);
    expect(unknownTenant.statusCode).toBe(202);
    expect(unknownUser.body).toBe(unknownTenant.body);
    await t.app.backgroundSettled();
    const queued = await t.handle.db.selectFrom('mail_outbox').select('id').where('tenant_id', '=', tt.tenant.id).execute();
    expect(queued).toHaveLength(0);
  });

  it('sends at most three reset mails an hour to one user', async () => {
    const tt = await createTestTenant(t.handle.db);
    for (let i = 0; i < 5; i++) expect((await requestReset(tt)).statusCode).toBe(202);
    await waitForQueuedMail(tt.tenant.id, 'password_reset', 3);
    await t.app.backgroundSettled();
    const queued = await t.handle.db.selectFrom('mail_outbox').select('id').where('tenant_id', '=', tt.tenant.id).execute();
    expect(queued).toHaveLength(3);
  });
});

describe('password change', () => {
  it('needs the current password, ends the other sessions and keeps this one', async () => {
    const tt = await createTestTenant(t.handle.db);
    const other = await signInAdmin(t.app, tt);
    const current = await signInAdmin(t.app, tt);
    const change = (payload: object) => t.app.inject({ method: 'POST', url: '/api/v1/me/password', headers: bearer(current), payload });
    expect((await change({ currentPassword: 'not it at all', newPassword: 'a new long passphrase' })).json().code).toBe(
      'password_incorrect',
    );
    expect((await change({ currentPassword: tt.adminPassword, newPassword: tt.adminEmail })).json().code).toBe('password_policy');
    expect((await change({ currentPassword: tt.adminPassword, newPassword: 'a new long passphrase' })).statusCode).toBe(204);
    expect((await t.app.inject({ url: '/api/v1/me', headers: bearer(current) })).statusCode).toBe(200);
    expect((await t.app.inject({ url: '/api/v1/me', headers: bearer(other) })).statusCode).toBe(401);
    const notice = (await listOutbox(t.handle.db, { keyring: t.keyring })).filter((m) => m.tenantId === tt.tenant.id);
    expect(notice.map((m) => [m.template, m.to])).toEqual([['password_changed', tt.adminEmail]]);
  });
});

describe('password policy', () => {
  it('knows the common passwords and not a long passphrase', () => {
    for (const common of ['password', 'Password1', 'qwerty123', 'iloveyou', '12345678']) expect(isCommonPassword(common)).toBe(true);
    expect(isCommonPassword('correct horse battery staple')).toBe(false);
  });
});
