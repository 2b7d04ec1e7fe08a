import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, login, signInAdmin } from '../../test/auth.js';
import { createTestTenant, type TestTenant } from '../../test/factories.js';
import { useTestServer } from '../../test/server.js';
import { startTestSmtpServer, type ReceivedMail, type TestSmtpServer } from '../../test/smtp.js';
import { createSmtpTransport, sendDueMail } from '../mail/mail.service.js';
import { invitationPasswordHash, isInvitationPending } from './invitations.service.js';
import { hashPassword, verifyPassword } from './passwords.js';

const t = useTestServer({ CUSTODIA_PUBLIC_URL: 'https://crm.example.test' });
let smtp: TestSmtpServer;
beforeAll(async () => {
  smtp = await startTestSmtpServer();
});
afterAll(() => smtp.close());

const LINK = /https:\/\/crm\.example\.test\/reset-password#token=([A-Za-z0-9_-]+)&invitation=1/;

function invite(session: string, payload: object) {
  return t.app.inject({ method: 'POST', url: '/api/v1/users', headers: bearer(session), payload });
}

function resend(session: string, userId: string) {
  return t.app.inject({ method: 'POST', url: `/api/v1/users/${userId}/invitation`, headers: bearer(session) });
}

function confirm(token: string, password: string) {
  return t.app.inject({ method: 'POST', url: '/api/v1/auth/password-reset/confirm', payload: { token, password } });
}

/** Delivers what is due over real SMTP and answers the one new message. */
async function deliverOne(): Promise<ReceivedMail> {
  const before = smtp.messages.length;
  const result = await sendDueMail(t.handle.db, createSmtpTransport(smtp.url), {
    from: 'Custodia <noreply@example.test>',
    keyring: t.keyring,
  });
  expect(result.sent).toBe(1);
  const messages = await smtp.waitFor(before + 1);
  expect(messages).toHaveLength(before + 1);
  return messages.at(-1)!;
}

function tokenOf(mail: ReceivedMail): string {
  const match = LINK.exec(mail.text);
  expect(match).not.toBeNull();
  expect(mail.html).toContain(`href="${match![0].replace('&', '&amp;')}"`);
  return match![1]!;
}

/** An admin invites Ann; answers her id, e-mail and the token of the mail she received. */
async function inviteAnn(tt: TestTenant, admin: string, extra: object = {}) {
  const email = `ann.invited@${tt.tenant.slug}.test`;
  const res = await invite(admin, { email, name: 'Ann Invited', invite: true, ...extra });
  expect(res.statusCode).toBe(201);
  const mail = await deliverOne();
  expect(mail.to).toEqual([email]);
  return { id: res.json<{ id: string }>().id, user: res.json(), email, mail, token: tokenOf(mail) };
}

function problemOf(res: { json: () => Record<string, unknown> }) {
  const { code, status, title, detail } = res.json();
  return { code, status, title, detail };
}

describe('inviting a user by e-mail', () => {
  it('makes the user at once and mails a link that sets their password, once; then they sign in', async () => {
    const tt = await createTestTenant(t.handle.db, { name: 'Acme BV' });
    const admin = await signInAdmin(t.app, tt);
    const ann = await inviteAnn(tt, admin);
    expect(ann.user).toMatchObject({ name: 'Ann Invited', status: 'active', invitationPending: true });
    expect(ann.mail.subject).toBe(`${tt.admin.name} invited you to Acme BV on Custodia`);
    expect(ann.mail.text).toContain('expires in 7 days');

    const listed = (await t.app.inject({ url: '/api/v1/users', headers: bearer(admin) })).json().items as Array<{
      id: string;
      invitationPending: boolean;
    }>;
    expect(listed.map((u) => [u.id, u.invitationPending]).sort()).toEqual(
      [
        [tt.admin.id, false],
        [ann.id, true],
      ].sort(),
    );

    expect((await confirm(ann.token, 'ann chose this passphrase')).statusCode).toBe(204);
    const signedIn = await login(t.app, { tenant: tt.tenant.slug, email: ann.email, password: 'ann chose this passphrase' });
    expect(signedIn.statusCode).toBe(200);
    expect(signedIn.json().user.id).toBe(ann.id);
    expect((await t.app.inject({ url: `/api/v1/users/${ann.id}`, headers: bearer(admin) })).json().invitationPending).toBe(false);

    const again = await confirm(ann.token, 'someone else tries this');
    expect(again.statusCode).toBe(400);
    expect(again.json().code).toBe('reset_token_invalid');
    expect((await login(t.app, { tenant: tt.tenant.slug, email: ann.email, password: 'someone else tries this' })).statusCode).toBe(401);
  });

  it('refuses the invited user sign-in before they choose a password, with the answer of a wrong password', async () => {
    const tt = await createTestTenant(t.handle.db);
    const admin = await signInAdmin(t.app, tt);
    const ann = await inviteAnn(tt, admin);
    const invited = await login(t.app, { tenant: tt.tenant.slug, email: ann.email, password: 'any password at all' });
    const wrong = await login(t.app, { tenant: tt.tenant.slug, email: tt.adminEmail, password: 'not the admin password' });
    expect(invited.statusCode).toBe(401);
    expect(problemOf(invited)).toEqual(problemOf(wrong));
    expect(problemOf(invited).code).toBe('invalid_credentials');
  });

  it('refuses an expired invitation and makes invitations last 7 days', async () => {
    const tt = await createTestTenant(t.handle.db);
    const admin = await signInAdmin(t.app, tt);
    const ann = await inviteAnn(tt, admin);
    const row = await t.handle.db
      .selectFrom('password_resets')
      .select(['created_at', 'expires_at'])
      .where('tenant_id', '=', tt.tenant.id)
      .where('user_id', '=', ann.id)
      .executeTakeFirstOrThrow();
    expect(Math.round((row.expires_at.getTime() - row.created_at.getTime()) / 3_600_000)).toBe(7 * 24);
    await sql`update password_resets set expires_at = now() - interval '1 second' where tenant_id = ${tt.tenant.id}`.execute(t.handle.db);
    const res = await confirm(ann.token, 'ann chose this passphrase');
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('reset_token_invalid');
    expect((await t.app.inject({ url: `/api/v1/users/${ann.id}`, headers: bearer(admin) })).json().invitationPending).toBe(true);
  });

  it('writes the mail in the invited user’s language', async () => {
    const tt = await createTestTenant(t.handle.db, { name: 'Voorbeeld BV' });
    const admin = await signInAdmin(t.app, tt);
    const ann = await inviteAnn(tt, admin, { language: 'nl' });
    expect(ann.mail.subject).toBe(`${tt.admin.name} heeft je uitgenodigd voor Voorbeeld BV in Custodia`);
    expect(ann.mail.text).toContain('verloopt over 7 dagen');
  });

  it('sets role and profile at once, and records the invitation as a security event', async () => {
    const tt = await createTestTenant(t.handle.db);
    const admin = await signInAdmin(t.app, tt);
    const role = await t.app.inject({ method: 'POST', url: '/api/v1/roles', headers: bearer(admin), payload: { name: 'Sales' } });
    expect(role.statusCode).toBe(201);
    const ann = await inviteAnn(tt, admin, { roleId: role.json().id });
    expect(ann.user.roleId).toBe(role.json().id);
    const events = await t.app.inject({ url: `/api/v1/security-events?userId=${ann.id}&type=user.invited`, headers: bearer(admin) });
    expect(events.json().items).toHaveLength(1);
    expect(events.json().items[0]).toMatchObject({ actorUserId: tt.admin.id, details: { resent: false } });
    expect(JSON.stringify(events.json())).not.toContain(ann.email);
    const outbox = await t.handle.db.selectFrom('mail_outbox').selectAll().where('tenant_id', '=', tt.tenant.id).execute();
    expect(outbox.map((m) => m.template)).toEqual(['invitation']);
    expect(JSON.stringify(outbox)).not.toContain(ann.token);
    const stored = await t.handle.db.selectFrom('password_resets').select('token_hash').where('user_id', '=', ann.id).execute();
    expect(stored.map((r) => r.token_hash.toString('hex')).join('')).not.toContain(Buffer.from(ann.token).toString('hex'));
  });

  it('refuses a password together with invite, and asks for a password when neither is sent, as before', async () => {
    const tt = await createTestTenant(t.handle.db);
    const admin = await signInAdmin(t.app, tt);
    const both = await invite(admin, { email: `b@${tt.tenant.slug}.test`, name: 'Both', password: 'a long passphrase here', invite: true });
    expect(both.statusCode).toBe(400);
    expect(both.json().code).toBe('invitation_with_password');
    for (const payload of [
      { email: `n@${tt.tenant.slug}.test`, name: 'Neither' },
      { email: `n@${tt.tenant.slug}.test`, name: 'Neither', invite: false },
    ]) {
      const neither = await invite(admin, payload);
      expect(neither.statusCode).toBe(400);
      expect(neither.json()).toMatchObject({
        code: 'validation_failed',
        errors: [{ path: 'body', message: "must have required property 'password'" }],
      });
    }
    const users = await t.app.inject({ url: '/api/v1/users', headers: bearer(admin) });
    expect(users.json().items).toHaveLength(1);
    expect(await t.handle.db.selectFrom('mail_outbox').select('id').where('tenant_id', '=', tt.tenant.id).execute()).toEqual([]);
  });
});

describe('resending an invitation', () => {
  it('mails a new link and the earlier one stops working', async () => {
    const tt = await createTestTenant(t.handle.db);
    const admin = await signInAdmin(t.app, tt);
    const ann = await inviteAnn(tt, admin);
    const res = await resend(admin, ann.id);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: ann.id, invitationPending: true });
    const second = tokenOf(await deliverOne());
    expect(second).not.toBe(ann.token);
    expect((await confirm(ann.token, 'ann chose this passphrase')).json().code).toBe('reset_token_invalid');
    expect((await confirm(second, 'ann chose this passphrase')).statusCode).toBe(204);
    const events = await t.app.inject({ url: `/api/v1/security-events?userId=${ann.id}&type=user.invited`, headers: bearer(admin) });
    expect(
      events
        .json()
        .items.map((e: { details: { resent: boolean } }) => e.details.resent)
        .sort(),
    ).toEqual([false, true]);
  });

  it('is refused for a user with a password of their own', async () => {
    const tt = await createTestTenant(t.handle.db);
    const admin = await signInAdmin(t.app, tt);
    const ann = await inviteAnn(tt, admin);
    expect((await confirm(ann.token, 'ann chose this passphrase')).statusCode).toBe(204);
    for (const userId of [ann.id, tt.admin.id]) {
      const res = await resend(admin, userId);
      expect(res.statusCode).toBe(409);
      expect(res.json().code).toBe('invitation_not_pending');
    }
    expect(await t.handle.db.selectFrom('mail_outbox').select('id').where('tenant_id', '=', tt.tenant.id).execute()).toHaveLength(1);
  });

  it("is refused to another tenant's admin with 404", async () => {
    const a = await createTestTenant(t.handle.db);
    const b = await createTestTenant(t.handle.db);
    const bAdmin = await signInAdmin(t.app, b);
    const ann = await inviteAnn(b, bAdmin);
    const aAdmin = await signInAdmin(t.app, a);
    const res = await resend(aAdmin, ann.id);
    expect(res.statusCode).toBe(404);
    expect(res.json().code).toBe('user_not_found');
    const tokens = await t.handle.db.selectFrom('password_resets').select('id').where('user_id', '=', ann.id).execute();
    expect(tokens).toHaveLength(1);
  });
});

describe('who may invite', () => {
  it('refuses a user who is not an administrator: 403 for the invitation and the resend', async () => {
    const tt = await createTestTenant(t.handle.db);
    const admin = await signInAdmin(t.app, tt);
    const ann = await inviteAnn(tt, admin);
    const bob = await invite(admin, { email: `bob@${tt.tenant.slug}.test`, name: 'Bob', password: 'bob has a long password' });
    expect(bob.statusCode).toBe(201);
    expect(bob.json().invitationPending).toBe(false);
    const bobSession = (
      await login(t.app, { tenant: tt.tenant.slug, email: `bob@${tt.tenant.slug}.test`, password: 'bob has a long password' })
    ).json().token as string;
    const res = await invite(bobSession, { email: `eve@${tt.tenant.slug}.test`, name: 'Eve', invite: true });
    expect(res.statusCode).toBe(403);
    expect((await resend(bobSession, ann.id)).statusCode).toBe(403);
    expect(await t.handle.db.selectFrom('mail_outbox').select('id').where('tenant_id', '=', tt.tenant.id).execute()).toHaveLength(1);
  });
});

describe('the stored hash of an invited user', () => {
  it('is an argon2id hash that no password verifies, told apart from a chosen password only by its marker', async () => {
    const params = t.config.argon2;
    const placeholder = await invitationPasswordHash(params);
    expect(placeholder).toMatch(/^\$argon2id\$/);
    expect(isInvitationPending(placeholder)).toBe(true);
    expect(await invitationPasswordHash(params)).not.toBe(placeholder);
    for (const guess of ['', 'password', 'custodia:invited']) expect(await verifyPassword(placeholder, guess)).toBe(false);
    const chosen = await hashPassword('a chosen passphrase', params);
    expect(isInvitationPending(chosen)).toBe(false);
    expect(isInvitationPending('not a hash')).toBe(false);
  });
});
