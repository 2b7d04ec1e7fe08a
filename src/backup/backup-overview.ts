import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { accessOf } from '../access/access.service.js';
import { auditActorOf, recordChange } from '../audit/recorder.js';
import type { Database } from '../db/schema.js';
import type { Authenticated } from '../shared/actor.js';
import { listTenants } from '../tenants/tenants.service.js';
import { BackupRunError } from './backup-runs.errors.js';
import * as repo from './backup-runs.repository.js';
import { completeRun, describeFailure, LEASE_MS, openRun, tenantLease, type RunDeps } from './backup-runs.service.js';
import { nextDue, scheduleOf } from './backup-schedule.js';
import type { BackupSummary } from './backup.service.js';

/**
 * Backups as a tenant's administrators see them in the web app (issue 18):
 * the list, the last failure, the schedule and the kind of target, and a
 * backup of their own tenant started by hand. Restores stay in the CLI.
 */

const clockOf = (deps: RunDeps) => deps.ctx.now ?? (() => new Date());

export interface BackupItem {
  id: string;
  scope: 'instance' | 'tenant';
  createdAt: Date;
  bytes: number | null;
  rows: number | null;
  verifiedAt: Date | null;
  status: 'running' | 'ok';
}

export interface BackupOverview {
  items: BackupItem[];
  lastFailure: { at: Date; code: string; message: string } | null;
  schedule: { enabled: boolean; expressions: string[]; nightly: string | null; nextAt: Date | null };
  target: { kind: 'dir' | 's3' };
}

/** At most this many tenant backups started by hand per tenant and hour. */
export const TENANT_BACKUPS_PER_HOUR = 6;

async function requireAdmin(db: Kysely<Database>, actor: Authenticated): Promise<void> {
  if (!(await accessOf(db, actor)).isAdmin) throw new BackupRunError('admin_required', 'only administrators see and start backups');
}

/**
 * The backups a tenant's admin sees: the tenant's own and the instance's
 * (which hold the tenant too), never another tenant's; with the runs in
 * flight, the last failure of either, the schedule and the kind of target.
 */
export async function backupOverview(deps: RunDeps, actor: Authenticated): Promise<BackupOverview> {
  const { ctx } = deps;
  const db = ctx.database.db;
  await requireAdmin(db, actor);
  // Runs first, the store after: a run that ends between the two is then already in the store.
  const inFlight = (await repo.listRunsFor(db, actor.tenantId, 20)).filter((r) => r.status === 'running');
  let stored: BackupSummary[];
  try {
    stored = await deps.ops.listBackups(ctx);
  } catch (error) {
    deps.log.error({ code: describeFailure(error).code }, 'backup target could not be listed');
    throw new BackupRunError('backup_target_unavailable', 'the backup target cannot be read right now; try again later');
  }
  // A backup whose manifest cannot be read names no tenant: it is the operator's to look at, with `custodia backup list`.
  const readable = stored.filter((b) => Number.isFinite(Date.parse(b.createdAt)));
  // An instance backup taken before the tenant existed holds nothing of it.
  const since = (await listTenants(db)).find((t) => t.id === actor.tenantId)?.createdAt ?? new Date(0);
  const visible = readable.filter((b) =>
    b.scope === 'instance' ? Date.parse(b.createdAt) >= since.getTime() : b.scope === 'tenant' && b.tenantId === actor.tenantId,
  );
  const runs = await repo.runsOfBackups(
    db,
    visible.map((b) => b.id),
  );
  const verified = new Map<string, Date>();
  for (const r of runs) if (r.verified_at) verified.set(r.backup_id!, r.verified_at);
  const items: BackupItem[] = [
    ...inFlight.map((r) => ({
      id: r.id,
      scope: r.tenant_id === null ? ('instance' as const) : ('tenant' as const),
      createdAt: r.started_at,
      bytes: null,
      rows: null,
      verifiedAt: null,
      status: 'running' as const,
    })),
    ...visible.map((b) => ({
      id: b.id,
      scope: b.scope as 'instance' | 'tenant',
      createdAt: new Date(b.createdAt),
      bytes: b.bytes,
      rows: b.rows,
      verifiedAt: verified.get(b.id) ?? null,
      status: 'ok' as const,
    })),
  ];
  const failure = await repo.lastFailureFor(db, actor.tenantId);
  const schedule = scheduleOf(ctx.config.backups);
  return {
    items,
    lastFailure: failure
      ? { at: failure.finished_at ?? failure.started_at, code: failure.error_code ?? 'backup_failed', message: failure.error_message ?? '' }
      : null,
    schedule: {
      enabled: schedule.entries.length > 0,
      expressions: ctx.config.backups.schedule,
      nightly: ctx.config.backups.nightly ?? null,
      nextAt: nextDue(schedule, clockOf(deps)())?.at ?? null,
    },
    target: { kind: ctx.config.backups.target.kind },
  };
}

/**
 * Starts a backup of the caller's tenant and answers at once with its run;
 * `background` carries the work on. One at a time per tenant (409
 * backup_running), at most TENANT_BACKUPS_PER_HOUR an hour (429).
 */
export async function startTenantBackup(
  deps: RunDeps & { holder: string },
  actor: Authenticated,
  background: (work: () => Promise<void>) => void,
): Promise<{ id: string; status: 'running' }> {
  const { ctx } = deps;
  const db = ctx.database.db;
  await requireAdmin(db, actor);
  const now = clockOf(deps)();
  const recent = await repo.countTenantRunsSince(db, actor.tenantId, new Date(now.getTime() - 3_600_000));
  if (recent.count >= TENANT_BACKUPS_PER_HOUR) {
    const retryAfterSeconds = recent.oldest ? Math.max(1, Math.ceil((recent.oldest.getTime() + 3_600_000 - now.getTime()) / 1000)) : 3600;
    throw new BackupRunError('backup_rate_limited', `at most ${TENANT_BACKUPS_PER_HOUR} backups of a tenant an hour`, {
      retryAfterSeconds,
    });
  }
  const tenant = (await listTenants(db)).find((t) => t.id === actor.tenantId);
  if (!tenant) throw new BackupRunError('admin_required', 'only administrators of an existing tenant start backups');
  const name = tenantLease(tenant.id);
  // One holder per request: a second request on this node must not count as the holder of the first one's lease.
  const holder = `${deps.holder}:${randomBytes(4).toString('hex')}`;
  if (!(await repo.acquireLease(db, name, holder, LEASE_MS)))
    throw new BackupRunError('backup_running', 'a backup of this tenant is already running');
  let run: repo.RunRow;
  try {
    run = await openRun(deps, { kind: 'tenant', tenant: { id: tenant.id, slug: tenant.slug }, requestedBy: actor.user.id });
  } catch (error) {
    await repo.releaseLease(db, name, holder);
    throw error;
  }
  // A copy of every record of the tenant is made on an admin's word: the trail says who asked, and when.
  await recordChange(db, ctx.keyring, {
    tenantId: tenant.id,
    actor: auditActorOf(actor),
    action: 'backup.started',
    entity: 'backup_runs',
    entityId: run.id,
    details: { scope: 'tenant' },
  });
  background(async () => {
    const renew = setInterval(() => void repo.renewLease(db, name, holder, LEASE_MS).catch(() => undefined), LEASE_MS / 3);
    renew.unref();
    try {
      await completeRun(deps, run, tenant.slug);
    } finally {
      clearInterval(renew);
      await repo.releaseLease(db, name, holder).catch(() => undefined);
    }
  });
  return { id: run.id, status: 'running' };
}
