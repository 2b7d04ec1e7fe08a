import type { Kysely } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerKeyring, testDbKind, useTestDatabase } from '../../test/db.js';
import { createTestTenant, testConfig } from '../../test/factories.js';
import { preparedDataDir, runCli } from '../../test/processes.js';
import { openPglite } from '../db/database.js';
import type { Database } from '../db/schema.js';
import { openKeys } from '../keys/keys.service.js';
import { enqueueMail, sendDueMail, type OutboxMessage } from './mail.service.js';

// `custodia mail outbox` through the real binary, on an embedded data dir
// (pglite project) or on this file's own server database (postgres project).
const kind = testDbKind();
const t = useTestDatabase();
let env: Record<string, string>;
let dataDir: string | undefined;

beforeAll(async () => {
  if (kind === 'pglite') dataDir = await preparedDataDir();
  env = dataDir ? { CUSTODIA_DATA_DIR: dataDir } : { DATABASE_URL: t.url!, CUSTODIA_MASTER_KEY: t.masterKey };
});

/** Runs `change` on the database the CLI will read, then lets go of it. */
async function onCliDatabase<T>(change: (db: Kysely<Database>) => Promise<T>): Promise<T> {
  if (!dataDir) return change(t.handle.db);
  const handle = await openPglite({ dataDir });
  // The same master key file the CLI will use in that data dir.
  registerKeyring(handle.db, (await openKeys(handle, testConfig({ CUSTODIA_DATA_DIR: dataDir }))).keyring);
  try {
    return await change(handle.db);
  } finally {
    await handle.close();
  }
}

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

    const json = await runCli(['mail', 'outbox', '--json'], env);
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

    const pending = JSON.parse((await runCli(['mail', 'outbox', '--json', '--status', 'pending', '--limit', '1'], env)).stdout);
    expect(pending.map((m: Listed) => m.id)).toEqual([changed.id]);

    const human = await runCli(['mail', 'outbox', '--limit', '3'], env);
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
    const result = await runCli(args, env);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(reason);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('lists mail outbox in its usage', async () => {
    expect((await runCli(['--help'], env)).stdout).toContain('mail outbox [--status pending|sent|failed] [--limit N] [--json]');
  });
});
