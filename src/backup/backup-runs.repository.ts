import { sql, type Insertable, type Kysely, type Selectable } from 'kysely';
import type { BackupRunKind, BackupRunsTable, BackupRunStatus, Database } from '../db/schema.js';

// The only SQL of backup operations: the record of runs and the job leases.

export type RunRow = Selectable<BackupRunsTable>;

export async function insertRun(db: Kysely<Database>, row: Insertable<BackupRunsTable>): Promise<RunRow> {
  return db.insertInto('backup_runs').values(row).returningAll().executeTakeFirstOrThrow();
}

export async function finishRun(
  db: Kysely<Database>,
  id: string,
  result:
    | { status: 'ok'; finishedAt: Date; backupId: string; bytes: number; rows: number }
    | { status: 'failed'; finishedAt: Date; errorCode: string; errorMessage: string; backupId?: string | null },
): Promise<RunRow> {
  const changes =
    result.status === 'ok'
      ? { status: result.status, finished_at: result.finishedAt, backup_id: result.backupId, bytes: result.bytes, rows: result.rows }
      : {
          status: result.status,
          finished_at: result.finishedAt,
          error_code: result.errorCode,
          error_message: result.errorMessage,
          ...(result.backupId ? { backup_id: result.backupId } : {}),
        };
  return db.updateTable('backup_runs').set(changes).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
}

/**
 * Forgets good runs that started before `before`. Failed and missed runs stay:
 * they are few, and custodia_backup_failures_total counts them, which must
 * never go down.
 */
export async function pruneRuns(db: Kysely<Database>, before: Date): Promise<number> {
  const result = await db.deleteFrom('backup_runs').where('started_at', '<', before).where('status', '=', 'ok').executeTakeFirst();
  return Number(result.numDeletedRows);
}

export async function markVerified(db: Kysely<Database>, backupId: string, at: Date): Promise<void> {
  await db.updateTable('backup_runs').set({ verified_at: at }).where('backup_id', '=', backupId).execute();
}

/**
 * Runs still marked running for a scope whose node is gone (it crashed, or the
 * rows came back with a restore): the caller holds that scope's lease, so
 * nothing else can be running them.
 */
export async function failOrphanedRuns(db: Kysely<Database>, tenantId: string | null, at: Date, message: string): Promise<RunRow[]> {
  return db
    .updateTable('backup_runs')
    .set({ status: 'failed', finished_at: at, error_code: 'backup_interrupted', error_message: message })
    .where('status', '=', 'running')
    .where((eb) => (tenantId === null ? eb('tenant_id', 'is', null) : eb('tenant_id', '=', tenantId)))
    .returningAll()
    .execute();
}

/** The newest instance run that answered a due time at or after `since` (or started then), if any. */
export async function instanceRunSince(db: Kysely<Database>, since: Date): Promise<RunRow | undefined> {
  return db
    .selectFrom('backup_runs')
    .selectAll()
    .where('tenant_id', 'is', null)
    .where((eb) => eb.or([eb('due_at', '>=', since), eb.and([eb('due_at', 'is', null), eb('started_at', '>=', since)])]))
    .orderBy('started_at', 'desc')
    .limit(1)
    .executeTakeFirst();
}

export async function anyInstanceRun(db: Kysely<Database>): Promise<boolean> {
  const row = await db.selectFrom('backup_runs').select('id').where('tenant_id', 'is', null).limit(1).executeTakeFirst();
  return row !== undefined;
}

export async function countTenantRunsSince(
  db: Kysely<Database>,
  tenantId: string,
  since: Date,
): Promise<{ count: number; oldest: Date | null }> {
  const row = await db
    .selectFrom('backup_runs')
    .select((eb) => [eb.fn.countAll<string>().as('n'), eb.fn.min('started_at').as('oldest')])
    .where('tenant_id', '=', tenantId)
    .where('started_at', '>=', since)
    .executeTakeFirstOrThrow();
  return { count: Number(row.n), oldest: row.oldest ? new Date(row.oldest as unknown as string) : null };
}

/** Runs a tenant's admins may see: their tenant's and the instance's, newest first. */
export async function listRunsFor(db: Kysely<Database>, tenantId: string, limit: number): Promise<RunRow[]> {
  return db
    .selectFrom('backup_runs')
    .selectAll()
    .where((eb) => eb.or([eb('tenant_id', '=', tenantId), eb('tenant_id', 'is', null)]))
    .orderBy('started_at', 'desc')
    .limit(limit)
    .execute();
}

export async function runsOfBackups(db: Kysely<Database>, backupIds: readonly string[]): Promise<RunRow[]> {
  if (backupIds.length === 0) return [];
  return db.selectFrom('backup_runs').selectAll().where('backup_id', 'in', backupIds).execute();
}

/** The newest failed or missed run a tenant's admins may see. */
export async function lastFailureFor(db: Kysely<Database>, tenantId: string): Promise<RunRow | undefined> {
  return db
    .selectFrom('backup_runs')
    .selectAll()
    .where('status', 'in', ['failed', 'missed'])
    .where((eb) => eb.or([eb('tenant_id', '=', tenantId), eb('tenant_id', 'is', null)]))
    .orderBy('started_at', 'desc')
    .limit(1)
    .executeTakeFirst();
}

export interface ScopeStats {
  scope: 'instance' | 'tenant';
  failed: number;
  missed: number;
  lastSuccessAt: Date | null;
  lastBytes: number | null;
}

/** Counts for the metrics, per scope (no tenant ids: they would be labels without bound). */
export async function runStats(db: Kysely<Database>): Promise<ScopeStats[]> {
  const rows = await sql<{ scope: 'instance' | 'tenant'; failed: string; missed: string; last_ok: Date | string | null }>`
    select case when tenant_id is null then 'instance' else 'tenant' end as scope,
           count(*) filter (where status = 'failed') as failed,
           count(*) filter (where status = 'missed') as missed,
           max(finished_at) filter (where status = 'ok') as last_ok
      from backup_runs group by 1`.execute(db);
  const lastBytes = await sql<{ scope: 'instance' | 'tenant'; bytes: string | number | null }>`
    select distinct on (1) case when tenant_id is null then 'instance' else 'tenant' end as scope, bytes
      from backup_runs where status = 'ok' order by 1, finished_at desc`.execute(db);
  const bytesOf = new Map(lastBytes.rows.map((r) => [r.scope, r.bytes === null ? null : Number(r.bytes)]));
  return rows.rows.map((r) => ({
    scope: r.scope,
    failed: Number(r.failed),
    missed: Number(r.missed),
    lastSuccessAt: r.last_ok === null ? null : new Date(r.last_ok),
    lastBytes: bytesOf.get(r.scope) ?? null,
  }));
}

export type { BackupRunKind, BackupRunStatus };

// --- leases ----------------------------------------------------------------------------------

/**
 * Takes the lease when it is free, expired or already ours; the database's
 * clock decides, so nodes with skewed clocks still agree.
 */
export async function acquireLease(db: Kysely<Database>, name: string, holder: string, ttlMs: number): Promise<boolean> {
  const until = sql<Date>`now() + ${`${ttlMs} milliseconds`}::interval`;
  const row = await db
    .insertInto('job_leases')
    .values({ name, holder, until })
    .onConflict((oc) =>
      oc
        .column('name')
        .doUpdateSet({ holder, until })
        .where((eb) => eb.or([eb('job_leases.until', '<', sql<Date>`now()`), eb('job_leases.holder', '=', holder)])),
    )
    .returning('holder')
    .executeTakeFirst();
  return row?.holder === holder;
}

/** Extends our lease; false when it is no longer ours (it expired and another node took it). */
export async function renewLease(db: Kysely<Database>, name: string, holder: string, ttlMs: number): Promise<boolean> {
  const row = await db
    .updateTable('job_leases')
    .set({ until: sql<Date>`now() + ${`${ttlMs} milliseconds`}::interval` })
    .where('name', '=', name)
    .where('holder', '=', holder)
    .returning('holder')
    .executeTakeFirst();
  return row !== undefined;
}

export async function releaseLease(db: Kysely<Database>, name: string, holder: string): Promise<void> {
  await db.deleteFrom('job_leases').where('name', '=', name).where('holder', '=', holder).execute();
}
