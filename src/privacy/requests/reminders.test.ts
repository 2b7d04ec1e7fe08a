import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEntries, crmSession, memberSession, type CrmSession } from '../../../test/crm.js';
import { useTestServer } from '../../../test/server.js';
import { startTestSmtpServer, type TestSmtpServer } from '../../../test/smtp.js';
import { createSmtpTransport, listOutbox, sendDueMail } from '../../mail/mail.service.js';
import { addDays } from './due-date.js';
import { sendRequestReminders, startRequestReminders } from './reminders.js';

// Reminders of open request cases to their assignees: once when due within
// N days, once when overdue, over a real SMTP server, never naming the person.
// Every test here shares this file's database, and reminders look across all
// tenants: each test sends what it set up and nothing else is left owing.

const t = useTestServer();
const FROM = 'Custodia <noreply@custodia.test>';
const PUBLIC_URL = 'https://crm.example.test';
let smtp: TestSmtpServer;

beforeAll(async () => {
  smtp = await startTestSmtpServer();
});
afterAll(async () => {
  await smtp.close();
});

const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString();
const noon = (date: string) => new Date(`${date}T12:00:00Z`);

async function person(s: CrmSession) {
  const address = `geheim-${randomBytes(4).toString('hex')}@example.test`;
  const res = await s.post('/api/v1/contacts', { firstName: 'Geheime', lastName: 'Persoon', emails: [address] });
  expect(res.statusCode, res.body).toBe(201);
  return { ...(res.json() as { id: string }), address };
}

async function open(s: CrmSession, body: object) {
  const res = await s.post('/api/v1/privacy/requests', body);
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { id: string; reference: string; dueAt: string };
}

async function deliver(): Promise<number> {
  return (await sendDueMail(t.handle.db, createSmtpTransport(smtp.url), { from: FROM, keyring: t.keyring })).sent;
}

describe('reminders of request cases', () => {
  it('mail the assignee once when the case is due soon and once when it is overdue, naming only the case', async () => {
    const s = await crmSession(t);
    const subject = await person(s);
    const soon = await open(s, { type: 'erasure', contactId: subject.id, receivedAt: daysAgo(26), assigneeId: s.tt.admin.id });
    // Not assigned, or not due for weeks: nothing to send.
    await open(s, { type: 'access', contactId: subject.id, receivedAt: daysAgo(26) });
    const far = await open(s, { type: 'access', contactId: subject.id, assigneeId: s.tt.admin.id });

    const options = { daysBefore: 7, publicUrl: PUBLIC_URL };
    expect(await sendRequestReminders(t.handle.db, t.keyring, options)).toEqual({ soon: 1, overdue: 0 });
    expect(await sendRequestReminders(t.handle.db, t.keyring, options)).toEqual({ soon: 0, overdue: 0 });
    const later = { ...options, now: noon(addDays(soon.dueAt, 1)) };
    expect(await sendRequestReminders(t.handle.db, t.keyring, later)).toEqual({ soon: 0, overdue: 1 });
    expect(await sendRequestReminders(t.handle.db, t.keyring, later)).toEqual({ soon: 0, overdue: 0 });

    const before = smtp.messages.length;
    expect(await deliver()).toBe(2);
    const [dueSoon, overdue] = smtp.messages.slice(before);
    for (const mail of [dueSoon!, overdue!]) {
      expect(mail.to).toEqual([s.tt.adminEmail]);
      expect(mail.text).toContain(`${PUBLIC_URL}/privacy/requests/${soon.id}`);
      expect(mail.subject).toContain(soon.reference);
      expect(mail.raw).not.toContain(subject.address);
      expect(mail.raw).not.toContain('Geheime');
      expect(mail.raw).not.toContain('Persoon');
    }
    expect(dueSoon!.subject).toBe(`Due on ${soon.dueAt}: erasure request ${soon.reference}`);
    expect(overdue!.subject).toBe(`Overdue: erasure request ${soon.reference} was due on ${soon.dueAt}`);

    const detail = (await s.get(`/api/v1/privacy/requests/${soon.id}`)).json();
    const reminded = detail.steps.filter((x: { action: string }) => x.action === 'reminded');
    expect(reminded.map((x: { details: { reminder: string } }) => x.details.reminder)).toEqual(['due_soon', 'overdue']);
    const audit = (await auditEntries(s, `entity=privacy_requests&entityId=${soon.id}`)).filter(
      (e) => e.action === 'privacy_request.reminded',
    );
    expect(audit).toHaveLength(2);
    expect(audit[0]!.actor).toMatchObject({ kind: 'system' });
    // Closed, so that the later tests' clocks owe it nothing.
    await s.post(`/api/v1/privacy/requests/${far.id}/refuse`, { reason: 'Withdrawn by the person' });
  });

  it("writes in the assignee's language, and a new assignee or a later due date gets them afresh", async () => {
    const s = await crmSession(t);
    const dutch = await memberSession(t, s, { name: 'Daan' });
    expect((await dutch.patch('/api/v1/me', { language: 'nl' })).statusCode).toBe(200);
    const subject = await person(s);
    const c = await open(s, { type: 'access', contactId: subject.id, receivedAt: daysAgo(3), assigneeId: s.tt.admin.id });
    const options = { daysBefore: 7, publicUrl: PUBLIC_URL };
    const nearDue = { ...options, now: noon(addDays(c.dueAt, -2)) };
    expect(await sendRequestReminders(t.handle.db, t.keyring, nearDue)).toEqual({ soon: 1, overdue: 0 });

    // Reassigned: the new assignee is reminded too, in Dutch.
    expect((await s.patch(`/api/v1/privacy/requests/${c.id}`, { assigneeId: dutch.id, version: 1 })).statusCode).toBe(200);
    expect(await sendRequestReminders(t.handle.db, t.keyring, nearDue)).toEqual({ soon: 1, overdue: 0 });
    // Extended: a new date, a new reminder before it.
    const extended = await s.post(`/api/v1/privacy/requests/${c.id}/extend`, { months: 1, reason: 'Many systems to search' });
    expect(extended.statusCode, extended.body).toBe(200);
    expect(await sendRequestReminders(t.handle.db, t.keyring, nearDue)).toEqual({ soon: 0, overdue: 0 });
    const nearNewDate = { ...options, now: noon(addDays(extended.json().dueAt as string, -1)) };
    expect(await sendRequestReminders(t.handle.db, t.keyring, nearNewDate)).toEqual({ soon: 1, overdue: 0 });

    const before = smtp.messages.length;
    expect(await deliver()).toBe(3);
    const mails = smtp.messages.slice(before);
    expect(mails.map((m) => m.subject)).toEqual([
      `Due on ${c.dueAt}: access request ${c.reference}`,
      `Uiterlijk ${c.dueAt}: inzageverzoek ${c.reference}`,
      `Uiterlijk ${extended.json().dueAt}: inzageverzoek ${c.reference}`,
    ]);
    expect(mails[1]!.text).toContain('Hallo Daan,');

    // A closed case is reminded of nothing.
    await s.post(`/api/v1/privacy/requests/${c.id}/refuse`, { reason: 'Identity could not be verified' });
    expect(
      await sendRequestReminders(t.handle.db, t.keyring, { ...options, now: noon(addDays(extended.json().dueAt as string, 3)) }),
    ).toEqual({ soon: 0, overdue: 0 });
  });

  it('run as a job that starts with the app and stops cleanly', async () => {
    const s = await crmSession(t);
    await open(s, { type: 'objection', contactId: (await person(s)).id, receivedAt: daysAgo(40), assigneeId: s.tt.admin.id });
    const logged: string[] = [];
    const log = { info: (_: object, message: string) => logged.push(message), error: (_: object, message: string) => logged.push(message) };
    const job = startRequestReminders({
      db: t.handle.db,
      keyring: t.keyring,
      log,
      everyMs: 60_000,
      daysBefore: 7,
      publicUrl: PUBLIC_URL,
      firstAfterMs: 0,
    });
    try {
      for (let i = 0; i < 100 && logged.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      await job.stop();
    }
    expect(logged).toEqual(['reminded assignees of data-subject requests due soon or overdue']);
    const outbox = await listOutbox(t.handle.db, { status: 'pending', keyring: t.keyring });
    expect(outbox.map((m) => m.template)).toEqual(['privacy_request_due']);
    expect(outbox[0]!.subject).toMatch(/^Overdue: objection request R-/);
    expect(await deliver()).toBe(1);
  });
});
