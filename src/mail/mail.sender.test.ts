import type { EventEmitter } from 'node:events';
import type { Kysely } from 'kysely';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openTestDatabase, useTestDatabase } from '../../test/db.js';
import { createTestTenant, testConfig } from '../../test/factories.js';
import { startTestSmtpServer, type TestSmtpServer } from '../../test/smtp.js';
import type { Database } from '../db/schema.js';
import { claimDueMail, findMailById, scheduleMailRetry } from './mail.repository.js';
import {
  createSmtpTransport,
  enqueueMail,
  LEASE_MS,
  MAX_ATTEMPTS,
  sendDueMail,
  startMailSender,
  type MailLog,
  type MailTransport,
} from './mail.service.js';

// The sender works on the whole outbox, across tenants, so each scenario
// starts from an empty outbox: no other test's mail is ever due in it. (The
// file shares one database; a fresh one per scenario cost a second each.)
const t = useTestDatabase();
let db: Kysely<Database>;
let smtp: TestSmtpServer;

beforeAll(() => {
  db = t.handle.db;
});

beforeEach(async () => {
  await db.deleteFrom('mail_outbox').execute();
  smtp = await startTestSmtpServer();
});

afterEach(async () => {
  await smtp.close();
});

const FROM = 'Custodia <noreply@custodia.test>';
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

interface LogLine {
  level: 'info' | 'warn' | 'error';
  details: object;
  message: string;
}

function captureLog(): MailLog & { lines: LogLine[]; text(): string } {
  const lines: LogLine[] = [];
  const at = (level: LogLine['level']) => (details: object, message: string) => void lines.push({ level, details, message });
  return { lines, info: at('info'), warn: at('warn'), error: at('error'), text: () => JSON.stringify(lines) };
}

async function queueReset(to: string, tenantId: string | null = null, name = 'Ann', outbox = db) {
  return enqueueMail(outbox, {
    tenantId,
    to,
    template: 'password_reset',
    locale: 'en',
    data: { name, resetUrl: 'https://crm.example.test/reset?token=single-use-secret', expiresMinutes: 30 },
  });
}

async function row(id: string) {
  const found = await findMailById(db, id);
  if (!found) throw new Error(`no outbox row ${id}`);
  return found;
}

describe('mail sender', () => {
  it('delivers over real SMTP, then keeps the envelope but drops the bodies', async () => {
    const { tenant, adminEmail } = await createTestTenant(db);
    const queued = await queueReset(adminEmail, tenant.id);

    const result = await sendDueMail(db, createSmtpTransport(smtp.url), { from: FROM });

    expect(result).toEqual({ sent: 1, retried: 0, failed: 0 });
    expect(smtp.messages).toHaveLength(1);
    const [mail] = smtp.messages;
    expect(mail?.from).toBe('noreply@custodia.test');
    expect(mail?.to).toEqual([adminEmail]);
    expect(mail?.subject).toBe('Reset your Custodia password');
    expect(mail?.text).toBe(queued.text);
    expect(mail?.text).toContain('https://crm.example.test/reset?token=single-use-secret');
    expect(mail?.html).toContain('<a href="https://crm.example.test/reset?token=single-use-secret">');
    expect(mail?.raw).toMatch(/^Auto-Submitted: auto-generated\r$/m);

    const sent = await row(queued.id);
    expect(sent).toMatchObject({
      status: 'sent',
      attempts: 1,
      text_body: '',
      html_body: '',
      last_error: null,
      subject: 'Reset your Custodia password',
      recipient: adminEmail,
      tenant_id: tenant.id,
      template: 'password_reset',
    });
    expect(sent.sent_at).toBeInstanceOf(Date);
    expect(JSON.stringify(sent)).not.toContain('single-use-secret');

    expect(await sendDueMail(db, createSmtpTransport(smtp.url), { from: FROM })).toEqual({ sent: 0, retried: 0, failed: 0 });
    expect(smtp.messages).toHaveLength(1);
  });

  it('sends a message’s own List-Unsubscribe headers unfolded and sealed, then drops them with the bodies', async () => {
    const link = `https://crm.example.test/api/v1/public/acme/unsubscribe?token=${'t'.repeat(64)}`;
    const queued = await enqueueMail(db, {
      tenantId: null,
      to: 'list@example.test',
      template: 'password_changed',
      locale: 'en',
      data: { name: 'Ann' },
      keyring: t.keyring,
      headers: { 'List-Unsubscribe': `<${link}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
    });
    expect(await sendDueMail(db, createSmtpTransport(smtp.url), { from: FROM, keyring: t.keyring })).toMatchObject({ sent: 1 });
    const [mail] = smtp.messages;
    // The header section unfolded (RFC 5322 §2.2.3): nodemailer may fold a long value onto a line of its own.
    const head = mail!.raw
      .slice(0, mail!.raw.indexOf('\r\n\r\n'))
      .replace(/\r\n(?=[ \t])/g, '')
      .split('\r\n');
    expect(head).toContain(`List-Unsubscribe: <${link}>`);
    expect(head).toContain('List-Unsubscribe-Post: List-Unsubscribe=One-Click');
    expect(head).toContain('Auto-Submitted: auto-generated');
    expect(await row(queued.id)).toMatchObject({ status: 'sent', headers: null, text_body: '' });
  });

  it('retries a refused message with growing waits and gives up after the last attempt', async () => {
    smtp.rejectRecipients(550);
    const log = captureLog();
    const queued = await queueReset('refused@example.test');
    const transport = createSmtpTransport(smtp.url);
    const waits = [30_000, 2 * MINUTE, 10 * MINUTE, HOUR, 6 * HOUR, 12 * HOUR, 24 * HOUR];
    expect(waits).toHaveLength(MAX_ATTEMPTS - 1);

    let now = new Date(Date.now() + 1000);
    for (const [i, wait] of waits.entries()) {
      expect(await sendDueMail(db, transport, { from: FROM, now, log })).toEqual({ sent: 0, retried: 1, failed: 0 });
      const pending = await row(queued.id);
      expect(pending).toMatchObject({ status: 'pending', attempts: i + 1, last_error: 'EENVELOPE 550' });
      expect(pending.next_attempt_at.getTime() - now.getTime()).toBe(wait);
      // Not a moment early.
      const early = new Date(now.getTime() + wait - 1);
      expect(await sendDueMail(db, transport, { from: FROM, now: early, log })).toEqual({ sent: 0, retried: 0, failed: 0 });
      now = new Date(now.getTime() + wait);
    }
    expect(await sendDueMail(db, transport, { from: FROM, now, log })).toEqual({ sent: 0, retried: 0, failed: 1 });
    const failed = await row(queued.id);
    expect(failed).toMatchObject({ status: 'failed', attempts: MAX_ATTEMPTS, last_error: 'EENVELOPE 550' });

    // Failed is final, however long one waits.
    smtp.rejectRecipients(null);
    const later = new Date(now.getTime() + 30 * 24 * HOUR);
    expect(await sendDueMail(db, transport, { from: FROM, now: later })).toEqual({ sent: 0, retried: 0, failed: 0 });
    expect(smtp.messages).toHaveLength(0);

    // Neither the outbox's error nor the log names the recipient or quotes the mail.
    expect(log.lines.filter((l) => l.level === 'warn')).toHaveLength(MAX_ATTEMPTS - 1);
    expect(log.lines.filter((l) => l.level === 'error')).toHaveLength(1);
    expect(log.text()).not.toMatch(/refused@|example\.test|single-use-secret|Ann/);
  });

  it('delivers on a later attempt once the SMTP server accepts again', async () => {
    smtp.rejectRecipients(451);
    const queued = await queueReset('later@example.test');
    const transport = createSmtpTransport(smtp.url);
    const now = new Date(Date.now() + 1000);
    expect(await sendDueMail(db, transport, { from: FROM, now })).toMatchObject({ retried: 1 });
    expect((await row(queued.id)).last_error).toBe('EENVELOPE 451');

    smtp.rejectRecipients(null);
    const retryAt = new Date(now.getTime() + 30_000);
    expect(await sendDueMail(db, transport, { from: FROM, now: retryAt })).toEqual({ sent: 1, retried: 0, failed: 0 });
    expect(await row(queued.id)).toMatchObject({ status: 'sent', attempts: 2, last_error: null, text_body: '' });
    expect(smtp.messages.map((m) => m.to)).toEqual([['later@example.test']]);
  });

  it('retries when nothing listens on the SMTP port', async () => {
    const closed = await startTestSmtpServer();
    await closed.close();
    const queued = await queueReset('nobody@example.test');
    const result = await sendDueMail(db, createSmtpTransport(closed.url), { from: FROM });
    expect(result).toEqual({ sent: 0, retried: 1, failed: 0 });
    expect(await row(queued.id)).toMatchObject({ status: 'pending', attempts: 1, last_error: 'ESOCKET ECONNREFUSED' });
  });

  it('sends each message once when two senders run at the same time', async () => {
    const queued = await Promise.all(['a', 'b', 'c', 'd', 'e'].map((n) => queueReset(`${n}@example.test`)));
    const [one, two] = await Promise.all([
      sendDueMail(db, createSmtpTransport(smtp.url), { from: FROM }),
      sendDueMail(db, createSmtpTransport(smtp.url), { from: FROM }),
    ]);
    expect(one!.sent + two!.sent).toBe(5);
    const recipients = smtp.messages.flatMap((m) => m.to).sort();
    expect(recipients).toEqual(['a@example.test', 'b@example.test', 'c@example.test', 'd@example.test', 'e@example.test']);
    for (const q of queued) expect(await row(q.id)).toMatchObject({ status: 'sent', attempts: 1 });
  });

  it('sends a single message exactly once when two senders race for it', async () => {
    const queued = await queueReset('race@example.test');
    const results = await Promise.all([1, 2, 3].map(() => sendDueMail(db, createSmtpTransport(smtp.url), { from: FROM })));
    expect(results.reduce((sum, r) => sum + r.sent, 0)).toBe(1);
    expect(smtp.messages).toHaveLength(1);
    expect((await row(queued.id)).attempts).toBe(1);
  });

  it('sends a message again when the node that claimed it never reported back', async () => {
    const queued = await queueReset('orphan@example.test');
    const now = new Date(Date.now() + 1000);
    // A node claims the message and dies before it records anything.
    const [claimed] = await claimDueMail(db, { now, leaseUntil: new Date(now.getTime() + LEASE_MS), limit: 10 });
    expect(claimed?.id).toBe(queued.id);

    const transport = createSmtpTransport(smtp.url);
    expect(await sendDueMail(db, transport, { from: FROM, now: new Date(now.getTime() + LEASE_MS - 1) })).toMatchObject({ sent: 0 });
    expect(await sendDueMail(db, transport, { from: FROM, now: new Date(now.getTime() + LEASE_MS) })).toMatchObject({ sent: 1 });
    expect(await row(queued.id)).toMatchObject({ status: 'sent', attempts: 2 });

    // The dead node's late report cannot undo the delivery.
    await scheduleMailRetry(db, { id: queued.id, attempts: 1 }, new Date(), 'ETIMEDOUT');
    expect(await row(queued.id)).toMatchObject({ status: 'sent', last_error: null });
  });

  it('sends at most a batch per run, oldest first', async () => {
    const queued: Array<{ id: string }> = [];
    for (const n of [1, 2, 3]) queued.push(await queueReset(`n${n}@example.test`));
    const transport = createSmtpTransport(smtp.url);
    expect(await sendDueMail(db, transport, { from: FROM, batchSize: 2 })).toMatchObject({ sent: 2 });
    expect(smtp.messages.map((m) => m.to[0])).toEqual(['n1@example.test', 'n2@example.test']);
    expect(await sendDueMail(db, transport, { from: FROM, batchSize: 2 })).toMatchObject({ sent: 1 });
    expect((await row(queued[2]!.id)).status).toBe('sent');
  });
});

describe('mail sender loop', () => {
  it('polls the outbox and delivers through SMTP_URL', async () => {
    const log = captureLog();
    const config = testConfig({ SMTP_URL: smtp.url, CUSTODIA_MAIL_POLL_MS: '50', MAIL_FROM: FROM });
    const sender = startMailSender({ db, config, log });
    const queued = await queueReset('loop@example.test');
    const [mail] = await smtp.waitFor(1);
    await sender.stop();
    expect(mail?.to).toEqual(['loop@example.test']);
    expect(mail?.from).toBe('noreply@custodia.test');
    // stop() waited for the batch, so its outcome is recorded.
    expect(await row(queued.id)).toMatchObject({ status: 'sent', text_body: '' });
    expect(log.text()).not.toContain('loop@example.test');
  });

  it('does nothing without SMTP_URL but say, once, where mail waits', async () => {
    const log = captureLog();
    const queued = await queueReset('waiting@example.test');
    const sender = startMailSender({ db, config: testConfig({ CUSTODIA_MAIL_POLL_MS: '50' }), log });
    await sender.stop();
    expect(log.lines).toEqual([
      { level: 'info', details: {}, message: 'SMTP_URL is not set: mail stays in the outbox; read it with `custodia mail outbox`' },
    ]);
    expect(await row(queued.id)).toMatchObject({ status: 'pending', attempts: 0 });
  });

  it('waits in stop() for the message being sent', async () => {
    const queued = await queueReset('slow@example.test');
    let release!: () => void;
    let started!: () => void;
    const sending = new Promise<void>((resolve) => (started = resolve));
    const transport: MailTransport = {
      sendMail: () => {
        started();
        return new Promise((resolve) => (release = () => resolve({})));
      },
    };
    const sender = startMailSender({ db, config: testConfig({ CUSTODIA_MAIL_POLL_MS: '50' }), log: captureLog(), transport });
    await sending;
    let stopped = false;
    const stopping = sender.stop().then(() => (stopped = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect(await row(queued.id)).toMatchObject({ status: 'sent' });
  });

  it('hears a transport error between sends instead of letting it end the process', () => {
    const log = captureLog();
    const transport = createSmtpTransport(smtp.url, log) as MailTransport & EventEmitter;
    const error = Object.assign(new Error('Connection closed: <ann@example.test>'), { code: 'ECONNECTION' });
    expect(() => transport.emit('error', error)).not.toThrow();
    expect(log.lines).toEqual([{ level: 'error', details: { error: 'ECONNECTION' }, message: 'SMTP transport error' }]);
  });

  it('keeps running when the database fails, logging no personal data', async () => {
    // This scenario closes its database, so it has one of its own.
    const { handle, dispose } = await openTestDatabase();
    try {
      await queueReset('kept@example.test', null, 'Ann', handle.db);
      const log = captureLog();
      let failures = 0;
      const twoFailures = new Promise<void>((resolve) => {
        const error = log.error;
        log.error = (details, message) => {
          error(details, message);
          if (++failures === 2) resolve();
        };
      });
      await handle.close();
      const transport: MailTransport = { sendMail: () => Promise.reject(new Error('not reached')) };
      const sender = startMailSender({ db: handle.db, config: testConfig({ CUSTODIA_MAIL_POLL_MS: '50' }), log, transport });
      await twoFailures;
      await sender.stop();
      expect(log.lines.filter((l) => l.level === 'error').map((l) => l.message)).toEqual([
        'mail sender could not run; will try again',
        'mail sender could not run; will try again',
      ]);
      expect(log.text()).not.toContain('kept@example.test');
    } finally {
      await dispose();
    }
  });
});
