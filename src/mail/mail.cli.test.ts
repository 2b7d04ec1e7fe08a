import type { Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import { testDbKind, useTestDatabase } from '../../test/db.js';
import { createTestTenant } from '../../test/factories.js';
import { runCliInProcess as runCli, useCliDatabase } from '../../test/processes.js';
import type { Database } from '../db/schema.js';
import { enqueueMail, sendDueMail, type OutboxMessage } from './mail.service.js';

// `custodia mail outbox` through the command's main() in this process
// (test/cli.test.ts runs the binary), on an embedded data dir (pglite
// project) or on this file's own server database (postgres project).
const kind = testDbKind();
const t = useTestDatabase();
const cli = useCliDatabase(t);
const onCliDatabase = <T>(change: (db: Kysely<Database>) => Promise<T>): Promise<T> => cli.on((db) => change(db));

type Listed = Omit<OutboxMessage, 'createdAt' | 'nextAttemptAt' | 'sentAt'> & { createdAt: string; sentAt: string | null };

describe(`custodia mail outbox (${kind})`, () => {
  it('shows queued mail with its text, so an operator without SMTP can pass a reset link on', async () => {
    const { reset, changed, delivered } = await onCliDatabase(async (db) => {
      const { tenant, adminEmail } = await createTestTenant(db);
      const delivered = await enqueueMail(db, {
        tenantId: tenant.id,
        to: adminEmail,
        template: 'password_changed',
        locale: 'en',
        data: { name: 'Ann' },
      });
      await sendDueMail(db, { sendMail: () => Promise.resolve({}) }, { from: 'noreply@custodia.test' });
      const reset = await enqueueMail(db, {
        tenantId: tenant.id,
        to: adminEmail,
        template: 'password_reset',
        locale: 'nl',
        data: { name: 'Ann', resetUrl: 'https://crm.example.test/reset?token=cli-token', expiresMinutes: 30 },
      });
      const changed = await enqueueMail(db, {
        tenantId: null,
        to: 'operator@example.test',
        template: 'password_changed',
        locale: 'en',
        data: { name: 'Operator' },
      });
      return { reset, changed, delivered };
    });

    const json = await runCli(['mail', 'outbox', '--json'], cli.env);
    expect(json.stderr).toBe('');
    expect(json.code).toBe(0);
    const listed = JSON.parse(json.stdout) as Listed[];
    expect(listed.map((m) => m.id)).toEqual([changed.id, reset.id, delivered.id]);
    expect(listed[1]).toMatchObject({
      id: reset.id,
      tenantId: reset.tenantId,
      to: reset.to,
      status: 'pending',
      subject: 'Je Custodia-wachtwoord opnieuw instellen',
    });
    expect(listed[1]?.text).toContain('https://crm.example.test/reset?token=cli-token');
    expect(listed[2]).toMatchObject({ status: 'sent', text: '' });

    const pending = JSON.parse((await runCli(['mail', 'outbox', '--json', '--status', 'pending', '--limit', '1'], cli.env)).stdout);
    expect(pending.map((m: Listed) => m.id)).toEqual([changed.id]);

    const human = await runCli(['mail', 'outbox', '--limit', '3'], cli.env);
    expect(human.code).toBe(0);
    const blocks = human.stdout.split(/\n(?=id: {6})/);
    expect(blocks).toHaveLength(3);
    expect(blocks[1]).toContain(`id:      ${reset.id}\nstatus:  pending\n`);
    expect(blocks[1]).toMatch(/^created: \d{4}-\d{2}-\d{2}T/m);
    expect(blocks[1]).toContain(`to:      ${reset.to}\nsubject: Je Custodia-wachtwoord opnieuw instellen\n`);
    expect(blocks[1]).toMatch(/^ {4}https:\/\/crm\.example\.test\/reset\?token=cli-token$/m);
    expect(blocks[2]).toMatch(/^status: {2}sent \d{4}-/m);
    expect(blocks[2]).toContain('(body removed after sending)');
  });

  it.each([
    [['mail', 'outbox', '--status', 'queued'], /--status must be one of pending, sent, failed/],
    [['mail', 'outbox', '--limit', '0'], /--limit must be a whole number from 1 to 1000/],
    [['mail', 'send'], /unknown command "mail send"/],
  ])('refuses %j with exit 2 and a one-line reason', async (args, reason) => {
    const result = await runCli(args, cli.env);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(reason);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('lists mail outbox in its usage', async () => {
    expect((await runCli(['--help'], cli.env)).stdout).toContain('mail outbox [--status pending|sent|failed] [--limit N] [--json]');
  });
});
