import { sql, type Kysely } from 'kysely';

// Issue 18: the record of backup runs and the one-node lock of the scheduler.
//
// A backup run is what the scheduler (or an admin, for a tenant) set out to
// do, when, and how it ended; the backup itself lives in the target store.
// tenant_id is null for a backup of the whole instance. error_message holds
// only text Custodia writes, never a raw database error, which may quote row
// values. due_at is the scheduled moment a run (or a missed run) stands for,
// so a restarted node knows which due time it has already answered.
//
// job_leases is a lock that expires: a node holds a named job until `until`
// and renews it while it works; another node takes it over only once it has
// expired, so a crashed node never blocks the job for good.

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('backup_runs')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('tenant_id', 'uuid', (c) => c.references('tenants.id'))
    .addColumn('backup_id', 'text')
    .addColumn('due_at', 'timestamptz')
    .addColumn('requested_by', 'uuid')
    .addColumn('started_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('finished_at', 'timestamptz')
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('running'))
    .addColumn('bytes', 'bigint')
    .addColumn('rows', 'bigint')
    .addColumn('verified_at', 'timestamptz')
    .addColumn('error_code', 'text')
    .addColumn('error_message', 'text')
    .addCheckConstraint('backup_runs_kind', sql`kind in ('scheduled', 'nightly', 'manual', 'tenant')`)
    .addCheckConstraint('backup_runs_status', sql`status in ('running', 'ok', 'failed', 'missed')`)
    .addCheckConstraint('backup_runs_tenant', sql`(kind = 'tenant') = (tenant_id is not null)`)
    .execute();
  await sql`create index backup_runs_recent_idx on backup_runs (started_at desc)`.execute(db);
  await sql`create index backup_runs_tenant_idx on backup_runs (tenant_id, started_at desc) where tenant_id is not null`.execute(db);
  await sql`create index backup_runs_backup_idx on backup_runs (backup_id) where backup_id is not null`.execute(db);
  // At most one run in flight per tenant (and one for the instance), whichever node starts it.
  await sql`create unique index backup_runs_one_running on backup_runs ((coalesce(tenant_id::text, ''))) where status = 'running'`.execute(
    db,
  );

  await db.schema
    .createTable('job_leases')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('holder', 'text', (c) => c.notNull())
    .addColumn('until', 'timestamptz', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['job_leases', 'backup_runs']) await db.schema.dropTable(table).execute();
}
