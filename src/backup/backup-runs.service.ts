import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { BackupRunKind, Database } from '../db/schema.js';
import { DomainError, isUniqueViolation } from '../shared/domain-error.js';
import { newId } from '../shared/ids.js';
import type { JobLog } from '../shared/periodic-job.js';
import { alertBackupProblem } from './backup-alerts.js';
import { BackupRunError } from './backup-runs.errors.js';
import * as repo from './backup-runs.repository.js';
import {
  backupKeys,
  createBackup,
  deleteBackup,
  listBackups,
  shipTombstones,
  verifyBackup,
  type BackupContext,
  type BackupSummary,
  type VerifyReport,
} from './backup.service.js';
import { applyRotation, type RotationReport } from './rotation.js';

/**
 * Backup runs (issue 18): every backup the scheduler or a tenant's admin
 * starts is recorded in backup_runs — kind, scope, when, how it ended, with a
 * code and a message Custodia writes — and a failure is alerted. A named
 * lease in the database (job_leases) lets one node at a time run a job: the
 * instance's schedule, a tenant's backup, the shipping of tombstones.
 */

/** What a run does to the target; backup.service by default, stand-ins in the scheduler's tests. */
export interface BackupOperations {
  createBackup: typeof createBackup;
  verifyBackup: typeof verifyBackup;
  backupKeys: typeof backupKeys;
  listBackups: typeof listBackups;
  deleteBackup: typeof deleteBackup;
  shipTombstones: typeof shipTombstones;
}

export const backupOperations: BackupOperations = { createBackup, verifyBackup, backupKeys, listBackups, deleteBackup, shipTombstones };

export interface RunDeps {
  ctx: BackupContext;
  ops: BackupOperations;
  log: JobLog;
}

const clockOf = (ctx: BackupContext) => ctx.now ?? (() => new Date());

/** This process, as a lease holder: readable in the table, unique per start. */
export function newLeaseHolder(): string {
  return `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
}

export const LEASE_MS = 5 * 60_000;

/**
 * Runs `work` only if this holder gets the lease `name`, renewing it while the
 * work runs and releasing it after; undefined when another node holds it.
 */
export async function withLease<T>(
  db: Kysely<Database>,
  lease: { name: string; holder: string; ttlMs?: number },
  work: () => Promise<T>,
): Promise<{ ran: true; value: T } | { ran: false }> {
  const ttlMs = lease.ttlMs ?? LEASE_MS;
  if (!(await repo.acquireLease(db, lease.name, lease.holder, ttlMs))) return { ran: false };
  const renew = setInterval(
    () => void repo.renewLease(db, lease.name, lease.holder, ttlMs).catch(() => undefined),
    Math.max(1000, Math.floor(ttlMs / 3)),
  );
  renew.unref();
  try {
    return { ran: true, value: await work() };
  } finally {
    clearInterval(renew);
    await repo.releaseLease(db, lease.name, lease.holder).catch(() => undefined);
  }
}

export const instanceLease = 'backup:instance';
export const tenantLease = (tenantId: string) => `backup:tenant:${tenantId}`;
export const tombstoneLease = 'backup:tombstones';

/** A code and a message fit for the record: our own words, never a raw database or system message (it may quote row values or paths). */
export function describeFailure(error: unknown, fallback = 'backup_failed'): { code: string; message: string } {
  if (error instanceof DomainError) return { code: error.code, message: error.message.slice(0, 500) };
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && /^[A-Za-z0-9_]{1,40}$/.test(code))
    return { code: fallback, message: `the backup stopped with error code ${code}; the server log says where` };
  return { code: fallback, message: 'the backup stopped with an unexpected error; the server log says where' };
}

export interface RunRequest {
  kind: BackupRunKind;
  tenant?: { id: string; slug: string };
  /** The scheduled moment the run answers. */
  dueAt?: Date;
  requestedBy?: string;
}

/** Records a run as started; the caller holds the scope's lease, so runs it finds still running are orphans. */
export async function openRun(deps: RunDeps, request: RunRequest): Promise<repo.RunRow> {
  const db = deps.ctx.database.db;
  const now = clockOf(deps.ctx)();
  const tenantId = request.tenant?.id ?? null;
  // An interrupted backup is a failed one: alerted like any other, when it is found.
  for (const orphan of await repo.failOrphanedRuns(db, tenantId, now, 'the server stopped before this backup finished'))
    await alertBackupProblem(alertDeps(deps), orphan, request.tenant?.slug);
  try {
    return await repo.insertRun(db, {
      id: newId(),
      kind: request.kind,
      tenant_id: tenantId,
      due_at: request.dueAt ?? null,
      requested_by: request.requestedBy ?? null,
      started_at: now,
    });
  } catch (error) {
    if (isUniqueViolation(error, 'backup_runs_one_running'))
      throw new BackupRunError('backup_running', 'a backup of this tenant is already running');
    throw error;
  }
}

/** Makes the backup of an open run and records how it ended; a failure is recorded and alerted, not thrown. */
export async function completeRun(
  deps: RunDeps,
  run: repo.RunRow,
  tenantSlug?: string,
): Promise<{ run: repo.RunRow; backup?: BackupSummary }> {
  const db = deps.ctx.database.db;
  const now = clockOf(deps.ctx);
  try {
    const backup = await deps.ops.createBackup(deps.ctx, tenantSlug ? { tenantSlug } : {});
    const done = await repo.finishRun(db, run.id, {
      status: 'ok',
      finishedAt: now(),
      backupId: backup.id,
      bytes: backup.bytes,
      rows: backup.rows,
    });
    deps.log.info({ run: run.id, kind: run.kind, backup: backup.id, bytes: backup.bytes, rows: backup.rows }, 'backup made');
    return { run: done, backup };
  } catch (error) {
    return { run: await recordFailure(deps, run, error, tenantSlug) };
  }
}

function recordFailure(deps: RunDeps, run: repo.RunRow, error: unknown, tenantSlug?: string, fallback?: string): Promise<repo.RunRow> {
  // What an operator needs to find the fault, without the error's message (it may quote row values): its kind, code and where it was raised.
  if (!(error instanceof DomainError)) deps.log.error({ run: run.id, cause: causeOf(error) }, 'backup error');
  return failRun(deps, run, describeFailure(error, fallback), tenantSlug);
}

/** An error's name, code and stack frames: never its message. */
export function causeOf(error: unknown): { name: string; code?: string; at: string[] } {
  const e = error as { name?: unknown; code?: unknown; stack?: unknown };
  const code = typeof e.code === 'string' && /^[A-Za-z0-9_]{1,40}$/.test(e.code) ? e.code : undefined;
  const frames = typeof e.stack === 'string' ? e.stack.split('\n').filter((line) => /^\s+at /.test(line)) : [];
  return {
    name: typeof e.name === 'string' ? e.name.slice(0, 60) : 'unknown',
    ...(code ? { code } : {}),
    at: frames.slice(0, 5).map((line) => line.trim()),
  };
}

async function failRun(
  deps: RunDeps,
  run: repo.RunRow,
  { code, message }: { code: string; message: string },
  tenantSlug?: string,
): Promise<repo.RunRow> {
  const failed = await repo.finishRun(deps.ctx.database.db, run.id, {
    status: 'failed',
    finishedAt: clockOf(deps.ctx)(),
    errorCode: code,
    errorMessage: message,
    backupId: run.backup_id,
  });
  await alertBackupProblem(alertDeps(deps), failed, tenantSlug);
  return failed;
}

const alertDeps = (deps: RunDeps) => ({ db: deps.ctx.database.db, keyring: deps.ctx.keyring, config: deps.ctx.config, log: deps.log });

/** Records a due time no node answered, and alerts it. */
export async function recordMissed(deps: RunDeps, kind: BackupRunKind, dueAt: Date): Promise<repo.RunRow> {
  const now = clockOf(deps.ctx)();
  const run = await repo.insertRun(deps.ctx.database.db, {
    id: newId(),
    kind,
    tenant_id: null,
    due_at: dueAt,
    started_at: now,
    finished_at: now,
    status: 'missed',
    error_code: 'backup_missed',
    error_message: `no server ran the backup due at ${dueAt.toISOString()}`,
  });
  await alertBackupProblem(alertDeps(deps), run);
  return run;
}

/**
 * The nightly extras after a backup: a full verification of it, then a
 * backup of the key store unless the backup made one. A failure of either marks the run failed (and
 * alerts); the backup itself stays.
 */
export async function verifyAndBackUpKeys(deps: RunDeps, run: repo.RunRow, options: { keysBackedUp?: boolean } = {}): Promise<repo.RunRow> {
  const db = deps.ctx.database.db;
  let current = run;
  if (run.backup_id) {
    let report: VerifyReport | undefined;
    let failure: unknown;
    try {
      report = await deps.ops.verifyBackup(deps.ctx, run.backup_id, { full: true });
    } catch (error) {
      failure = error;
    }
    if (report?.ok) {
      await repo.markVerified(db, run.backup_id, clockOf(deps.ctx)());
      current = { ...current, verified_at: clockOf(deps.ctx)() };
    } else {
      const why = failure
        ? describeFailure(failure, 'backup_verify_failed')
        : { code: 'backup_verify_failed', message: `the backup did not verify: ${(report?.problem ?? 'no reason given').slice(0, 300)}` };
      current = await failRun(deps, current, why);
    }
  }
  // An instance backup takes the key store's backup from its own snapshot; only without one is it made here.
  if (options.keysBackedUp) return current;
  try {
    await deps.ops.backupKeys(deps.ctx);
  } catch (error) {
    if (current.status === 'ok') current = await recordFailure(deps, current, error, undefined, 'key_backup_failed');
    else deps.log.error({ code: describeFailure(error, 'key_backup_failed').code, run: run.id }, 'key backup failed');
  }
  return current;
}

/** Rotation of the data backups in the target (key backups rotate in backupKeys). */
export async function rotateBackups(deps: RunDeps, protect: ReadonlySet<string> = new Set()): Promise<RotationReport> {
  const { ctx, ops } = deps;
  const report = await applyRotation(
    {
      list: async () =>
        (await ops.listBackups(ctx))
          // A backup whose manifest cannot be read has no date to rotate by: it stays for an operator to look at.
          .filter((b) => b.scope !== 'keys' && Number.isFinite(Date.parse(b.createdAt)))
          .map((b) => ({ id: b.id, createdAt: new Date(b.createdAt), tenantId: b.scope === 'tenant' ? b.tenantId : null })),
      remove: (id) => ops.deleteBackup(ctx, id),
    },
    ctx.config.backups.keep,
    clockOf(ctx)(),
    protect,
  );
  if (report.removed.length > 0 || report.failed > 0)
    deps.log.info({ kept: report.kept, removed: report.removed.length, failed: report.failed }, 'backups rotated');
  // The record of runs is kept as long as the oldest backup rotation keeps, and at least RUNS_KEPT_DAYS.
  const keptDays = Math.max(
    RUNS_KEPT_DAYS,
    ctx.config.backups.keep.months * 31,
    ctx.config.backups.keep.weeks * 7,
    ctx.config.backups.keep.days,
  );
  await repo.pruneRuns(ctx.database.db, new Date(clockOf(ctx)().getTime() - keptDays * 86_400_000));
  return report;
}

/** The shortest time the record of backup runs is kept. */
export const RUNS_KEPT_DAYS = 90;

// --- metrics -----------------------------------------------------------------------------------

export type BackupStats = repo.ScopeStats;

/** Failures, last success and last size per scope, for /metrics (src/http/metrics.ts). */
export function backupStats(db: Kysely<Database>): Promise<BackupStats[]> {
  return repo.runStats(db);
}
