import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../test/db.js';
import { createTestTenant, testConfig } from '../../test/factories.js';
import { runCliInProcess, useCliDatabase } from '../../test/processes.js';
import { startTestSmtpServer } from '../../test/smtp.js';
import { startApp } from '../app.js';
import type { Config } from '../config.js';
import { listOutbox, startMailSender } from '../mail/mail.service.js';
import { openObjectStore } from '../storage/open-store.js';
import { purgeTenant } from '../tenants/tenant-purge.js';
import { terminateTenant } from '../tenants/tenants.service.js';
import { BackupRunError } from './backup-runs.errors.js';
import * as repo from './backup-runs.repository.js';
import { backupStats, withLease, type BackupOperations } from './backup-runs.service.js';
import {
  describeSchedule,
  nextDue,
  previousDue,
  scheduleOf,
  startBackupScheduler,
  startTombstoneShipper,
  upcoming,
} from './backup-schedule.js';
import { createBackup, listBackups, type BackupContext, type BackupSummary } from './backup.service.js';

// The schedule with an injected clock: due times, one node per due time,
// missed runs, failures and their alerts, the nightly extras and rotation.
// The backups themselves are stand-ins here (backup.service has its own
// tests); what is real is the database: runs, leases and the mail outbox.

const t = useTestDatabase();
const cli = useCliDatabase(t);
const dir = mkdtempSync(path.join(tmpdir(), 'custodia-schedule-'));
const UTC = { schedule: ['0 7,12,17 * * *'], nightly: '0 2 * * *' };

interface Log {
  lines: Array<{ level: 'info' | 'error'; obj: object; msg: string }>;
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}
function newLog(): Log {
  const lines: Log['lines'] = [];
  return {
    lines,
    info: (obj, msg) => lines.push({ level: 'info', obj, msg }),
    error: (obj, msg) => lines.push({ level: 'error', obj, msg }),
  };
}

/** A clock the test moves. */
function clock(iso: string) {
  let now = new Date(iso);
  return { now: () => now, set: (to: string) => (now = new Date(to)) };
}

function context(now: () => Date, env: Record<string, string> = {}): BackupContext {
  const config: Config = testConfig({ CUSTODIA_BACKUP_DIR: dir, ...env });
  const store = openObjectStore(config.backups.target, config.s3);
  return { config, database: t.handle, keyring: t.keyring, store, filesStore: store, now };
}

/** Stand-ins for backup.service that keep their backups in a list and note every call. */
function standIns(overrides: Partial<BackupOperations> = {}) {
  const made: BackupSummary[] = [];
  const calls: string[] = [];
  const ops: BackupOperations = {
    createBackup: async (ctx, options = {}) => {
      calls.push(`create ${options.tenantSlug ?? 'instance'}`);
      const backup: BackupSummary = {
        id: `b${made.length + 1}`,
        scope: options.tenantSlug ? 'tenant' : 'instance',
        tenantId: null,
        tenantSlug: options.tenantSlug ?? null,
        createdAt: ctx.now!().toISOString(),
        bytes: 4096 + made.length,
        rows: 10,
        target: 'dir:test',
      };
      made.push(backup);
      return backup;
    },
    verifyBackup: async (_ctx, id, options = {}) => {
      calls.push(`verify ${id}${options.full ? ' full' : ''}`);
      return { id, ok: true, full: Boolean(options.full), objects: 3, rows: 10 };
    },
    backupKeys: async (ctx) => {
      calls.push('keys');
      return {
        id: 'k1',
        scope: 'keys',
        tenantId: null,
        tenantSlug: null,
        createdAt: ctx.now!().toISOString(),
        bytes: 1,
        rows: 1,
        target: 'dir:test',
      };
    },
    listBackups: async () => [...made].reverse(),
    deleteBackup: async (_ctx, id) => {
      calls.push(`delete ${id}`);
      made.splice(
        made.findIndex((b) => b.id === id),
        1,
      );
    },
    shipTombstones: async () => {
      calls.push('tombstones');
      return { shipped: 2, tenants: 1 };
    },
    ...overrides,
  };
  return { ops, made, calls };
}

async function runs() {
  return t.handle.db.selectFrom('backup_runs').selectAll().orderBy('started_at').orderBy('id').execute();
}

beforeEach(async () => {
  await t.handle.db.deleteFrom('backup_runs').execute();
  await t.handle.db.deleteFrom('job_leases').execute();
  await t.handle.db.deleteFrom('mail_outbox').execute();
});

describe('backup schedule: due times', () => {
  const schedule = scheduleOf(UTC, 'UTC');

  it('finds the next and the last due time, the nightly one when both fall together', () => {
    expect(nextDue(schedule, new Date('2026-12-02T07:30:00Z'))).toEqual({ at: new Date('2026-12-02T12:00:00Z'), kind: 'scheduled' });
    expect(nextDue(schedule, new Date('2026-12-02T17:00:00Z'))).toEqual({ at: new Date('2026-12-03T02:00:00Z'), kind: 'nightly' });
    expect(previousDue(schedule, new Date('2026-12-02T12:00:00Z'))).toEqual({ at: new Date('2026-12-02T12:00:00Z'), kind: 'scheduled' });
    expect(previousDue(schedule, new Date('2026-12-02T06:59:59Z'))).toEqual({ at: new Date('2026-12-02T02:00:00Z'), kind: 'nightly' });
    const same = scheduleOf({ schedule: ['0 2,12 * * *'], nightly: '0 2 * * *' }, 'UTC');
    expect(nextDue(same, new Date('2026-12-02T01:00:00Z'))).toEqual({ at: new Date('2026-12-02T02:00:00Z'), kind: 'nightly' });
    expect(upcoming(schedule, new Date('2026-12-02T13:00:00Z'), 4).map((d) => `${d.at.toISOString()} ${d.kind}`)).toEqual([
      '2026-12-02T17:00:00.000Z scheduled',
      '2026-12-03T02:00:00.000Z nightly',
      '2026-12-03T07:00:00.000Z scheduled',
      '2026-12-03T12:00:00.000Z scheduled',
    ]);
  });

  it('follows the configured time zone', () => {
    const amsterdam = scheduleOf({ schedule: ['0 7 * * *'], nightly: undefined }, 'Europe/Amsterdam');
    expect(nextDue(amsterdam, new Date('2026-12-02T00:00:00Z'))?.at).toEqual(new Date('2026-12-02T06:00:00Z'));
  });

  it('refuses a bad expression, naming its variable; off means nothing is due', async () => {
    expect(() => scheduleOf({ schedule: ['0 25 * * *'], nightly: undefined })).toThrow(BackupRunError);
    expect(() => scheduleOf({ schedule: [], nightly: '61 2 * * *' })).toThrow(/CUSTODIA_BACKUP_NIGHTLY: "61 2 \* \* \*"/);
    const off = scheduleOf({ schedule: [], nightly: undefined });
    // The server refuses to start on one, before it opens the database.
    const dataDir = mkdtempSync(path.join(tmpdir(), 'custodia-bad-schedule-'));
    await expect(startApp(testConfig({ CUSTODIA_DATA_DIR: dataDir, CUSTODIA_BACKUP_SCHEDULE: '0 7 * * *;0 25 * * *' }))).rejects.toThrow(
      /^CUSTODIA_BACKUP_SCHEDULE: "0 25 \* \* \*" is not a valid cron expression/,
    );
    expect(nextDue(off, new Date())).toBeUndefined();
    expect(previousDue(off, new Date())).toBeUndefined();
  });
});

describe('backup scheduler', () => {
  it('answers a due time once: a scheduled backup recorded with its due time, rotation after it', async () => {
    const c = clock('2026-12-02T07:00:02Z');
    const { ops, made, calls } = standIns();
    const old = {
      id: 'old',
      scope: 'instance' as const,
      tenantId: null,
      tenantSlug: null,
      createdAt: '2025-06-01T07:00:00Z',
      bytes: 1,
      rows: 1,
      target: 'x',
    };
    made.push(old);
    // Good runs older than the oldest backup rotation keeps (12 months by default) are forgotten with it; failures stay (the metric counts them).
    await repo.insertRun(t.handle.db, {
      id: '0190a0a0-0000-7000-8000-0000000000b1',
      kind: 'scheduled',
      tenant_id: null,
      status: 'ok',
      started_at: new Date('2025-06-01T07:00:00Z'),
    });
    await repo.insertRun(t.handle.db, {
      id: '0190a0a0-0000-7000-8000-0000000000b2',
      kind: 'scheduled',
      tenant_id: null,
      status: 'failed',
      started_at: new Date('2025-05-05T07:00:00Z'),
    });
    const scheduler = startBackupScheduler({ ctx: context(c.now), log: newLog(), ops, tz: 'UTC', timers: false });
    expect(await scheduler.tick()).toMatchObject({ outcome: 'ran', status: 'ok' });
    expect(await scheduler.tick()).toEqual({ outcome: 'answered' });
    await scheduler.stop();
    const [kept, run] = await runs();
    expect(kept!.id).toBe('0190a0a0-0000-7000-8000-0000000000b2');
    expect(await runs()).toHaveLength(2);
    expect(run).toMatchObject({ kind: 'scheduled', tenant_id: null, status: 'ok', backup_id: 'b2', error_code: null, verified_at: null });
    expect(run!.due_at).toEqual(new Date('2026-12-02T07:00:00Z'));
    expect(Number(run!.bytes)).toBe(4097);
    // The 18-month-old backup is outside every window of the default policy.
    expect(calls).toEqual(['create instance', 'delete old']);
    expect(scheduler.nextAt()).toEqual(new Date('2026-12-02T12:00:00Z'));
  });

  it('the nightly run also verifies its backup in full and backs up the key store (when the backup did not)', async () => {
    const c = clock('2026-12-02T02:00:01Z');
    const { ops, calls } = standIns();
    const scheduler = startBackupScheduler({ ctx: context(c.now), log: newLog(), ops, tz: 'UTC', timers: false });
    expect(await scheduler.tick()).toMatchObject({ outcome: 'ran', status: 'ok' });
    expect(calls).toEqual(['create instance', 'verify b1 full', 'keys']);
    const [run] = await runs();
    expect(run).toMatchObject({ kind: 'nightly', status: 'ok', backup_id: 'b1' });
    expect(run!.verified_at).toEqual(c.now());
  });

  it('only one of two nodes runs a due time; the other sees the lease, then the answered due time', async () => {
    const c = clock('2026-12-02T12:00:00Z');
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const { ops } = standIns();
    const slow: BackupOperations = {
      ...ops,
      createBackup: async (ctx, options) => {
        await gate;
        return ops.createBackup(ctx, options);
      },
    };
    const nodeA = startBackupScheduler({ ctx: context(c.now), log: newLog(), ops: slow, holder: 'node-a', tz: 'UTC', timers: false });
    const nodeB = startBackupScheduler({ ctx: context(c.now), log: newLog(), ops: slow, holder: 'node-b', tz: 'UTC', timers: false });
    const a = nodeA.tick();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const b = await nodeB.tick();
    expect(b).toEqual({ outcome: 'not_leader' });
    expect((await t.handle.db.selectFrom('job_leases').selectAll().execute()).map((l) => l.holder)).toEqual(['node-a']);
    release();
    expect(await a).toMatchObject({ outcome: 'ran', status: 'ok' });
    expect(await nodeB.tick()).toEqual({ outcome: 'answered' });
    expect(await runs()).toHaveLength(1);
    expect(await t.handle.db.selectFrom('job_leases').selectAll().execute()).toEqual([]);
    await Promise.all([nodeA.stop(), nodeB.stop()]);
  });

  it('a lease whose node died is taken over once it expires, and the dead node’s run is marked failed', async () => {
    const db = t.handle.db;
    expect(await repo.acquireLease(db, 'backup:instance', 'dead-node', 300)).toBe(true);
    await repo.insertRun(db, {
      id: '0190a0a0-0000-7000-8000-000000000001',
      kind: 'manual',
      tenant_id: null,
      started_at: new Date('2026-12-02T06:00:00Z'),
    });
    expect(await repo.acquireLease(db, 'backup:instance', 'live-node', 300)).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 400));
    const c = clock('2026-12-02T07:00:00Z');
    const log = newLog();
    const scheduler = startBackupScheduler({
      ctx: context(c.now),
      log,
      ops: standIns().ops,
      holder: 'live-node',
      tz: 'UTC',
      timers: false,
    });
    expect(await scheduler.tick()).toMatchObject({ outcome: 'ran', status: 'ok' });
    const [orphan, run] = await runs();
    expect(orphan).toMatchObject({ status: 'failed', error_code: 'backup_interrupted' });
    expect(log.lines).toContainEqual({
      level: 'error',
      obj: expect.objectContaining({ code: 'backup_interrupted', run: orphan!.id }),
      msg: 'backup failed',
    });
    expect(run).toMatchObject({ status: 'ok', kind: 'scheduled' });
  });

  it('a due time no node answered is recorded as missed and alerted (log, metric, mail), then a backup is made at once', async () => {
    const c = clock('2026-12-01T17:00:00Z');
    const log = newLog();
    const env = { SMTP_URL: 'smtp://127.0.0.1:1', CUSTODIA_OPERATOR_EMAIL: 'ops@example.test' };
    const { ops } = standIns();
    const scheduler = startBackupScheduler({ ctx: context(c.now, env), log, ops, tz: 'UTC', timers: false });
    expect(await scheduler.tick()).toMatchObject({ outcome: 'ran' });
    // Every node was down through the night and the morning: the server starts again at 09:30.
    c.set('2026-12-02T09:30:00Z');
    expect(await scheduler.tick()).toMatchObject({ outcome: 'missed_then_ran', status: 'ok' });
    await scheduler.stop();
    const all = await runs();
    expect(all.map((r) => [r.kind, r.status, r.due_at?.toISOString()])).toEqual([
      ['scheduled', 'ok', '2026-12-01T17:00:00.000Z'],
      ['scheduled', 'missed', '2026-12-02T07:00:00.000Z'],
      ['scheduled', 'ok', '2026-12-02T07:00:00.000Z'],
    ]);
    expect(all[1]).toMatchObject({ error_code: 'backup_missed' });
    expect(log.lines.filter((l) => l.level === 'error')).toEqual([
      { level: 'error', obj: expect.objectContaining({ code: 'backup_missed', scope: 'instance' }), msg: 'scheduled backup missed' },
    ]);
    const [mail] = await listOutbox(t.handle.db, { keyring: t.keyring });
    expect(mail).toMatchObject({ to: 'ops@example.test', template: 'backup_alert', tenantId: null });
    expect(mail!.subject).toBe('Custodia: a scheduled backup of the instance was missed');
    expect(mail!.text).toContain('due at 2026-12-02T07:00:00Z was not made');
    const instance = (await backupStats(t.handle.db)).find((s) => s.scope === 'instance');
    expect(instance).toEqual({ scope: 'instance', failed: 0, missed: 1, lastSuccessAt: c.now(), lastBytes: 4097 });
  });

  it('a fresh instance has missed nothing: it waits for its first due time', async () => {
    const c = clock('2026-12-02T09:30:00Z');
    const { ops, calls } = standIns();
    const scheduler = startBackupScheduler({ ctx: context(c.now), log: newLog(), ops, tz: 'UTC', timers: false });
    expect(await scheduler.tick()).toEqual({ outcome: 'none_due' });
    expect(calls).toEqual([]);
    expect(await runs()).toEqual([]);
  });

  it('a failed backup is recorded with our words, not the raw error, alerted by mail and counted; rotation waits', async () => {
    const c = clock('2026-12-02T12:00:05Z');
    const log = newLog();
    const rowValue = 'duplicate key value violates unique constraint: Key (email)=(ann@example.test)';
    const { ops, calls } = standIns({
      createBackup: async () => {
        throw Object.assign(new Error(rowValue), { code: '23505' });
      },
    });
    const env = { SMTP_URL: 'smtp://127.0.0.1:1', CUSTODIA_OPERATOR_EMAIL: 'ops@example.test' };
    const scheduler = startBackupScheduler({ ctx: context(c.now, env), log, ops, tz: 'UTC', timers: false });
    expect(await scheduler.tick()).toMatchObject({ outcome: 'ran', status: 'failed' });
    const [run] = await runs();
    expect(run).toMatchObject({ status: 'failed', error_code: 'backup_failed', finished_at: c.now() });
    expect(run!.error_message).toBe('the backup stopped with error code 23505; the server log says where');
    expect(calls).toEqual([]);
    // The log says what kind of error, its code and where it was raised — never its message.
    const details = log.lines.find((l) => l.msg === 'backup error');
    expect(details?.obj).toMatchObject({ run: run!.id, cause: { name: 'Error', code: '23505' } });
    expect((details?.obj as { cause: { at: string[] } }).cause.at[0]).toContain('backup-schedule.test.ts');
    expect(JSON.stringify(log.lines)).not.toContain('ann@example.test');
    const [mail] = await listOutbox(t.handle.db, { keyring: t.keyring });
    expect(mail!.subject).toBe('Custodia: a backup of the instance failed');
    expect(mail!.text).not.toContain('ann@example.test');
    expect((await backupStats(t.handle.db)).find((s) => s.scope === 'instance')).toMatchObject({
      failed: 1,
      missed: 0,
      lastSuccessAt: null,
    });
  });

  it('a nightly backup that does not verify is a failure, and the key store is still backed up', async () => {
    const c = clock('2026-12-02T02:00:00Z');
    const { ops, calls } = standIns({
      verifyBackup: async (_ctx, id) => ({
        id,
        ok: false,
        full: true,
        objects: 3,
        problem: 'tables/contacts.bin: sha256 does not match the manifest',
      }),
    });
    const scheduler = startBackupScheduler({ ctx: context(c.now), log: newLog(), ops, tz: 'UTC', timers: false });
    expect(await scheduler.tick()).toMatchObject({ status: 'failed' });
    const [run] = await runs();
    expect(run).toMatchObject({ status: 'failed', backup_id: 'b1', error_code: 'backup_verify_failed', verified_at: null });
    expect(run!.error_message).toBe('the backup did not verify: tables/contacts.bin: sha256 does not match the manifest');
    expect(calls).toEqual(['create instance', 'keys']);
  });

  it('without SMTP or an operator address an alert is a log line only', async () => {
    const c = clock('2026-12-02T12:00:00Z');
    const log = newLog();
    const { ops } = standIns({
      createBackup: async () => {
        throw new BackupRunError('backup_target_unavailable', 'the target cannot be written');
      },
    });
    const scheduler = startBackupScheduler({
      ctx: context(c.now, { CUSTODIA_OPERATOR_EMAIL: 'ops@example.test' }),
      log,
      ops,
      tz: 'UTC',
      timers: false,
    });
    await scheduler.tick();
    expect(log.lines.some((l) => l.msg === 'backup failed')).toBe(true);
    expect(await listOutbox(t.handle.db)).toEqual([]);
  });

  it('stop() waits for the round in flight', async () => {
    const c = clock('2026-12-02T17:00:00Z');
    let finished = false;
    const { ops } = standIns();
    const slow: BackupOperations = {
      ...ops,
      createBackup: async (ctx, options) => {
        await new Promise((resolve) => setTimeout(resolve, 200));
        finished = true;
        return ops.createBackup(ctx, options);
      },
    };
    const scheduler = startBackupScheduler({ ctx: context(c.now), log: newLog(), ops: slow, tz: 'UTC', timers: false });
    void scheduler.tick();
    await scheduler.stop();
    expect(finished).toBe(true);
    expect((await runs())[0]).toMatchObject({ status: 'ok' });
  });

  it('runs on its own timers at each due time, one round at a time, until stopped', async () => {
    const base = context(() => new Date());
    // Every second (cron-parser takes a seconds field), so real timers can be watched for a few seconds.
    const ctx = { ...base, config: { ...base.config, backups: { ...base.config.backups, schedule: ['* * * * * *'], nightly: undefined } } };
    delete (ctx as { now?: unknown }).now;
    let inFlight = 0;
    let overlapped = false;
    const { ops } = standIns();
    const slowish: BackupOperations = {
      ...ops,
      createBackup: async (c, options) => {
        overlapped ||= inFlight > 0;
        inFlight++;
        await new Promise((resolve) => setTimeout(resolve, 300));
        inFlight--;
        return ops.createBackup({ ...c, now: () => new Date() }, options);
      },
    };
    const scheduler = startBackupScheduler({ ctx, log: newLog(), ops: slowish, firstAfterMs: 10 });
    await new Promise((resolve) => setTimeout(resolve, 3500));
    await scheduler.stop();
    const made = await runs();
    const after = made.length;
    expect(after).toBeGreaterThanOrEqual(2);
    expect(overlapped).toBe(false);
    expect(made.every((r) => r.status === 'ok' && r.kind === 'scheduled')).toBe(true);
    expect(new Set(made.map((r) => r.due_at!.getTime())).size).toBe(after);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await runs()).toHaveLength(after);
  });

  it('the alert reaches a real SMTP server through the outbox', async () => {
    const smtp = await startTestSmtpServer();
    try {
      const c = clock('2026-12-02T07:00:00Z');
      const env = { SMTP_URL: smtp.url, CUSTODIA_OPERATOR_EMAIL: 'ops@example.test', CUSTODIA_MAIL_POLL_MS: '50' };
      const ctx = context(c.now, env);
      const { ops } = standIns({
        createBackup: async () => {
          throw new Error('ENOSPC');
        },
      });
      await startBackupScheduler({ ctx, log: newLog(), ops, tz: 'UTC', timers: false }).tick();
      const sender = startMailSender({
        db: t.handle.db,
        config: ctx.config,
        log: { ...newLog(), warn: () => undefined },
        keyring: t.keyring,
      });
      const [mail] = await smtp.waitFor(1, 10_000);
      await sender.stop();
      expect(mail!.to).toEqual(['ops@example.test']);
      expect(mail!.subject).toBe('Custodia: a backup of the instance failed');
      expect(mail!.text).toContain('(backup_failed)');
    } finally {
      await smtp.close();
    }
  });
});

describe('backup runs and the tenant lifecycle', () => {
  it('a purged tenant takes its backup runs with it; the instance’s stay', async () => {
    const db = t.handle.db;
    const tt = await createTestTenant(db);
    await repo.insertRun(db, { id: '0190a0a0-0000-7000-8000-0000000000a1', kind: 'tenant', tenant_id: tt.tenant.id, status: 'ok' });
    await repo.insertRun(db, { id: '0190a0a0-0000-7000-8000-0000000000a2', kind: 'scheduled', tenant_id: null, status: 'ok' });
    await terminateTenant(db, { ...testConfig(), keyring: t.keyring }, tt.tenant.slug);
    await purgeTenant(db, t.keyring, tt.tenant.slug, { now: true });
    expect((await runs()).map((r) => r.id)).toEqual(['0190a0a0-0000-7000-8000-0000000000a2']);
  });
});

describe('tombstone shipping and leases', () => {
  it('ships tombstones under a lease, and once more when it stops', async () => {
    const c = clock('2026-12-02T12:00:00Z');
    const log = newLog();
    const { ops, calls } = standIns();
    const shipper = startTombstoneShipper({ ctx: context(c.now), log, ops, everyMs: 60_000 });
    await shipper.stop();
    expect(calls).toEqual(['tombstones']);
    expect(log.lines).toEqual([{ level: 'info', obj: { shipped: 2 }, msg: 'tombstones shipped to the backup target' }]);
  });

  it('withLease runs the work only for the holder that gets the lease, and frees it after', async () => {
    const db = t.handle.db;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const first = withLease(db, { name: 'job', holder: 'a' }, async () => {
      await gate;
      return 'a ran';
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await withLease(db, { name: 'job', holder: 'b' }, async () => 'b ran')).toEqual({ ran: false });
    release();
    expect(await first).toEqual({ ran: true, value: 'a ran' });
    expect(await withLease(db, { name: 'job', holder: 'b' }, async () => 'b ran')).toEqual({ ran: true, value: 'b ran' });
  });
});

describe('backup scheduler with the real backups', () => {
  it('the nightly run makes, verifies in full and records a backup, backs up the key store, and rotation removes what aged out', async () => {
    await createTestTenant(t.handle.db);
    const realDir = mkdtempSync(path.join(tmpdir(), 'custodia-schedule-real-'));
    const c = clock('2025-01-15T07:00:00Z');
    const ctx = context(c.now, { CUSTODIA_BACKUP_DIR: realDir });
    const old = await createBackup(ctx);
    c.set('2026-12-02T02:00:03Z');
    const scheduler = startBackupScheduler({ ctx, log: newLog(), tz: 'UTC', timers: false });
    expect(await scheduler.tick()).toMatchObject({ outcome: 'ran', status: 'ok' });
    const [run] = await runs();
    expect(run).toMatchObject({ kind: 'nightly', status: 'ok', error_code: null });
    expect(run!.verified_at).toEqual(c.now());
    const stored = await listBackups(ctx);
    expect(stored.map((b) => b.id)).toEqual([run!.backup_id]);
    expect(stored[0]!.id).not.toBe(old.id);
    expect(Number(run!.bytes)).toBe(stored[0]!.bytes);
    expect(Number(run!.rows)).toBe(stored[0]!.rows);
    // The key store's backup comes from the backup's own snapshot: one, not a second one made after it.
    const keys = await listBackups(ctx, { keys: true });
    expect(keys.filter((k) => k.createdAt === c.now().toISOString())).toHaveLength(1);
  });
});

describe('custodia backup schedule', () => {
  it('prints the configured schedule and the next due times, as JSON too; off says so', async () => {
    const env = { ...cli.env, CUSTODIA_BACKUP_SCHEDULE: '30 6 * * 1-5', CUSTODIA_BACKUP_NIGHTLY: '15 1 * * *' };
    const json = await runCliInProcess(['backup', 'schedule', '--json'], env);
    expect(json.code, json.stderr).toBe(0);
    const report = JSON.parse(json.stdout);
    expect(report).toMatchObject({ enabled: true, expressions: ['30 6 * * 1-5'], nightly: '15 1 * * *' });
    expect(report.next).toHaveLength(5);
    const expected = describeSchedule(
      { schedule: ['30 6 * * 1-5'], nightly: '15 1 * * *' },
      new Date(Date.parse(report.next[0].at) - 1000),
    );
    expect(report.next.map((d: { at: string; kind: string }) => [d.at, d.kind])).toEqual(
      expected.next.map((d) => [d.at.toISOString(), d.kind]),
    );
    const text = await runCliInProcess(['backup', 'schedule'], env);
    expect(text.stdout).toContain('scheduled: 30 6 * * 1-5');
    expect(text.stdout).toContain('nightly:   15 1 * * *');
    const off = await runCliInProcess(['backup', 'schedule'], {
      ...cli.env,
      CUSTODIA_BACKUP_SCHEDULE: 'off',
      CUSTODIA_BACKUP_NIGHTLY: 'off',
    });
    expect(off.stdout.trim()).toBe('no scheduled backups (CUSTODIA_BACKUP_SCHEDULE and CUSTODIA_BACKUP_NIGHTLY are off)');
  });
});
