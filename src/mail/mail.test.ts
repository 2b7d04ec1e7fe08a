import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../test/db.js';
import { createTestTenant } from '../../test/factories.js';
import { MailError } from './mail.errors.js';
import { findMailById } from './mail.repository.js';
import { enqueueMail, listOutbox } from './mail.service.js';

// Queueing and reading the outbox. Sending is in mail.sender.test.ts, where
// every scenario gets an outbox of its own.
const t = useTestDatabase();

const resetData = (name: string) => ({ name, resetUrl: 'https://crm.example.test/reset?token=tok', expiresMinutes: 30 });

describe('mail outbox', () => {
  it('queues a rendered mail for a tenant, in the recipient’s language', async () => {
    const { tenant, admin, adminEmail } = await createTestTenant(t.handle.db);
    const queued = await enqueueMail(t.handle.db, {
      tenantId: tenant.id,
      to: adminEmail,
      template: 'password_reset',
      locale: 'nl',
      data: resetData(admin.name),
    });
    expect(queued).toMatchObject({
      tenantId: tenant.id,
      to: adminEmail,
      template: 'password_reset',
      locale: 'nl',
      subject: 'Je Custodia-wachtwoord opnieuw instellen',
      status: 'pending',
      attempts: 0,
      lastError: null,
      sentAt: null,
    });
    expect(queued.text).toContain('https://crm.example.test/reset?token=tok');
    const row = await findMailById(t.handle.db, queued.id);
    expect(row?.html_body).toContain('<html lang="nl">');
    expect(row?.next_attempt_at.getTime()).toBeLessThanOrEqual(Date.now() + 1000);
  });

  it('queues List-Unsubscribe headers sealed with the row, and a time not to send before', async () => {
    const { tenant, adminEmail } = await createTestTenant(t.handle.db);
    const notBefore = new Date(Date.now() + 5 * 60_000);
    const link = 'https://crm.example.test/api/v1/public/acme/unsubscribe?token=personal-token';
    const queued = await enqueueMail(t.handle.db, {
      tenantId: tenant.id,
      to: adminEmail,
      template: 'password_changed',
      locale: 'en',
      data: { name: 'Ann' },
      keyring: t.keyring,
      headers: { 'List-Unsubscribe': `<${link}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
      notBefore,
    });
    expect(queued.headers).toEqual({ 'List-Unsubscribe': `<${link}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' });
    const row = await findMailById(t.handle.db, queued.id);
    expect(row?.next_attempt_at.getTime()).toBe(notBefore.getTime());
    expect(row?.headers).toMatch(/^enc:v1:/);
    expect(row?.headers).not.toContain('personal-token');
    // The operator's listing below reads this file's outbox without keys.
    await t.handle.db.deleteFrom('mail_outbox').where('id', '=', queued.id).execute();
  });

  it.each([
    [{ From: 'x@example.test' }, /may not be set/],
    [{ 'List-Unsubscribe': '<https://a.example.test/u>\r\nBcc: x@example.test' }, /not one line/],
    [{ 'List-Unsubscribe': '<mailto:x@example.test>' }, /http\(s\) URL/],
    [{ 'List-Unsubscribe-Post': 'List-Unsubscribe=Maybe' }, /One-Click/],
  ])('refuses the header %j', async (headers, message) => {
    await expect(
      enqueueMail(t.handle.db, {
        tenantId: null,
        to: 'ann@example.test',
        template: 'password_changed',
        locale: 'en',
        data: { name: 'Ann' },
        headers: headers as never,
      }),
    ).rejects.toThrow(message);
  });

  it('queues nothing when the caller’s transaction rolls back', async () => {
    const { tenant, adminEmail } = await createTestTenant(t.handle.db);
    let id = '';
    await expect(
      t.handle.db.transaction().execute(async (trx) => {
        id = (
          await enqueueMail(trx, { tenantId: tenant.id, to: adminEmail, template: 'password_changed', locale: 'en', data: { name: 'Ann' } })
        ).id;
        throw new Error('the password change failed after all');
      }),
    ).rejects.toThrow('failed after all');
    expect(id).not.toBe('');
    expect(await findMailById(t.handle.db, id)).toBeUndefined();
  });

  it.each([
    '',
    'not-an-address',
    'a@b',
    'Ann <ann@example.test>',
    'ann@example.test, bob@example.test',
    'ann@example.test\r\nBcc: x@evil.test',
  ])('refuses the recipient %j', async (to) => {
    await expect(
      enqueueMail(t.handle.db, { tenantId: null, to, template: 'password_changed', locale: 'en', data: { name: 'Ann' } }),
    ).rejects.toBeInstanceOf(MailError);
  });

  it('lists the whole outbox for the operator, newest first, while each mail keeps its tenant (cross-tenant)', async () => {
    const a = await createTestTenant(t.handle.db);
    const b = await createTestTenant(t.handle.db);
    const first = await enqueueMail(t.handle.db, {
      tenantId: a.tenant.id,
      to: a.adminEmail,
      template: 'password_reset',
      locale: 'en',
      data: resetData('Ann'),
    });
    const second = await enqueueMail(t.handle.db, {
      tenantId: b.tenant.id,
      to: b.adminEmail,
      template: 'password_changed',
      locale: 'nl',
      data: { name: 'Bob' },
    });
    const operatorMail = await enqueueMail(t.handle.db, {
      tenantId: null,
      to: 'operator@example.test',
      template: 'password_changed',
      locale: 'en',
      data: { name: 'Operator' },
    });

    const listed = await listOutbox(t.handle.db, { limit: 1000 });
    const ours = listed.filter((m) => [first.id, second.id, operatorMail.id].includes(m.id));
    expect(ours.map((m) => [m.id, m.tenantId, m.to])).toEqual([
      [operatorMail.id, null, 'operator@example.test'],
      [second.id, b.tenant.id, b.adminEmail],
      [first.id, a.tenant.id, a.adminEmail],
    ]);
    const times = listed.map((m) => m.createdAt.getTime());
    expect(times).toEqual([...times].sort((x, y) => y - x));

    expect(await listOutbox(t.handle.db, { limit: 2 })).toHaveLength(2);
    expect((await listOutbox(t.handle.db, { status: 'sent' })).map((m) => m.id)).not.toContain(first.id);
    expect((await listOutbox(t.handle.db, { status: 'pending', limit: 1000 })).map((m) => m.id)).toContain(first.id);
  });

  it('accepts only the data that belongs to each template (checked by tsc)', () => {
    const typeChecks = () => {
      // @ts-expect-error password_reset needs resetUrl and expiresMinutes
      void enqueueMail(t.handle.db, { tenantId: null, to: 'a@b.test', template: 'password_reset', locale: 'en', data: { name: 'Ann' } });
      // @ts-expect-error no such template
      void enqueueMail(t.handle.db, { tenantId: null, to: 'a@b.test', template: 'welcome', locale: 'en', data: { name: 'Ann' } });
      // @ts-expect-error only en and nl
      void enqueueMail(t.handle.db, { tenantId: null, to: 'a@b.test', template: 'password_changed', locale: 'de', data: { name: 'Ann' } });
    };
    expect(typeChecks).toBeTypeOf('function');
  });
});
