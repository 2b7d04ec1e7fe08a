import { sql, type Kysely } from 'kysely';
import { startPeriodicJob, type JobLog, type PeriodicJob } from '../shared/periodic-job.js';
import type { Database } from '../db/schema.js';
import type { Keyring } from '../keys/keyring.js';
import { destroyTenantKeys } from '../key-lifecycle/shredding.js';
import { TenantError } from './tenants.errors.js';
import * as repo from './tenants.repository.js';

/**
 * Destroying a terminated tenant (issue 17): its keys first — they went at
 * termination already, this makes sure — then every row of the tenant, table by
 * table, in batches of their own transactions, so a tenant of millions of rows
 * neither holds one huge transaction nor blocks the others. The tables are found
 * in the database itself (every table with a tenant_id column) and ordered by
 * its foreign keys, so a table added later is purged without anyone
 * remembering to list it. A purge that stops half-way is simply run again.
 */

export interface PurgeReport {
  tenantId: string;
  slug: string;
  /** Rows deleted per table (tables with none are left out). */
  deleted: Record<string, number>;
  rows: number;
  dryRun: boolean;
  finishedAt: Date;
}

export interface ForeignKey {
  child: string;
  parent: string;
  /** The referencing columns other than tenant_id. */
  columns: string[];
  nullable: boolean;
}

const BATCH = 5000;

export async function tenantTables(db: Kysely<Database>): Promise<string[]> {
  const result = await sql<{ table_name: string }>`
    select c.table_name from information_schema.columns c
    join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
    where c.table_schema = current_schema() and c.column_name = 'tenant_id' and t.table_type = 'BASE TABLE'
    order by c.table_name`.execute(db);
  return result.rows.map((r) => r.table_name);
}

export async function foreignKeys(db: Kysely<Database>): Promise<ForeignKey[]> {
  const result = await sql<{ child: string; parent: string; columns: string[]; nullable: boolean }>`
    select cl.relname as child, pr.relname as parent,
           array_agg(a.attname::text order by a.attname) as columns, bool_and(not a.attnotnull) as nullable
    from pg_constraint c
    join pg_class cl on cl.oid = c.conrelid
    join pg_class pr on pr.oid = c.confrelid
    join pg_attribute a on a.attrelid = c.conrelid and a.attnum = any(c.conkey) and a.attname <> 'tenant_id'
    where c.contype = 'f' and cl.relnamespace = current_schema()::regnamespace
    group by c.oid, cl.relname, pr.relname`.execute(db);
  return result.rows;
}

/**
 * The order to empty the tables in (every table before the tables it refers
 * to) and the nullable references to clear first where tables refer to each
 * other in a cycle (a lead names the contact it became, the contact the lead it
 * came from). A table that refers to itself (a role names its parent role) is
 * emptied in one statement, which PostgreSQL checks as a whole.
 */
export function purgePlan(
  tables: readonly string[],
  keys: readonly ForeignKey[],
): { order: string[]; clear: ForeignKey[]; whole: string[] } {
  const remaining = new Set(tables);
  let edges = keys.filter((k) => remaining.has(k.child) && remaining.has(k.parent));
  const whole = [...new Set(edges.filter((k) => k.child === k.parent).map((k) => k.child))].sort();
  const clear: ForeignKey[] = [];
  edges = edges.filter((k) => k.child !== k.parent);
  const order: string[] = [];
  while (remaining.size > 0) {
    const free = [...remaining].filter((t) => !edges.some((k) => k.parent === t && k.child !== t && remaining.has(k.child)));
    if (free.length === 0) {
      const cycle = edges.filter((k) => remaining.has(k.child) && remaining.has(k.parent));
      const breakable = cycle.find((k) => k.nullable);
      if (!breakable)
        throw new Error(`cannot order the purge: tables ${[...remaining].join(', ')} refer to each other through required columns`);
      clear.push(breakable);
      edges = edges.filter((k) => k !== breakable);
      continue;
    }
    for (const t of free.sort()) {
      order.push(t);
      remaining.delete(t);
    }
  }
  for (const k of clear) if (!k.nullable) throw new Error(`cannot purge ${k.child}: its reference to ${k.parent} is required`);
  return { order, clear, whole };
}

async function countRows(db: Kysely<Database>, table: string, tenantId: string): Promise<number> {
  const r = await sql<{ n: string }>`select count(*) as n from ${sql.table(table)} where tenant_id = ${tenantId}`.execute(db);
  return Number(r.rows[0]?.n ?? 0);
}

/** Deletes one batch; the consent ledger's trigger lets only an erasure or purge delete (migration 0015). */
async function deleteBatch(db: Kysely<Database>, table: string, tenantId: string, whole: boolean): Promise<number> {
  return db.transaction().execute(async (trx) => {
    await sql`select set_config('custodia.ledger_delete', 'erase', true)`.execute(trx);
    const r = whole
      ? await sql`delete from ${sql.table(table)} where tenant_id = ${tenantId}`.execute(trx)
      : await sql`delete from ${sql.table(table)} where ctid in (select ctid from ${sql.table(table)} where tenant_id = ${tenantId} limit ${BATCH})`.execute(
          trx,
        );
    return Number(r.numAffectedRows ?? 0);
  });
}

/**
 * Purges a terminated tenant: keys shredded, then every row, the tenant's own
 * row last. Refuses a tenant that is not terminated, and one whose deletion date
 * has not come unless `now` is set (the operator decides to purge at once).
 */
export async function purgeTenant(
  db: Kysely<Database>,
  keyring: Keyring,
  slug: string,
  options: { now?: boolean; dryRun?: boolean; at?: Date } = {},
): Promise<PurgeReport> {
  const tenant = await repo.findTenantBySlug(db, slug);
  if (!tenant) throw new TenantError('tenant_not_found', `no tenant with slug "${slug}"`);
  if (tenant.status !== 'terminated')
    throw new TenantError('tenant_invalid_transition', `tenant "${slug}" is ${tenant.status}; terminate it first`);
  const at = options.at ?? new Date();
  if (!options.now && tenant.deletion_due_at && tenant.deletion_due_at > at)
    throw new TenantError(
      'tenant_invalid_transition',
      `tenant "${slug}" is due for purging on ${tenant.deletion_due_at.toISOString()}; pass --now to purge earlier`,
    );

  const { order, clear, whole } = purgePlan(await tenantTables(db), await foreignKeys(db));
  const deleted: Record<string, number> = {};
  if (options.dryRun) {
    for (const table of order) {
      const n = await countRows(db, table, tenant.id);
      if (n > 0) deleted[table] = n;
    }
  } else {
    await db.transaction().execute((trx) => destroyTenantKeys(trx, keyring, tenant.id));
    for (const k of clear)
      await sql`update ${sql.table(k.child)} set ${sql.join(k.columns.map((c) => sql`${sql.ref(c)} = null`))} where tenant_id = ${tenant.id}`.execute(
        db,
      );
    for (const table of order) {
      let n = 0;
      const once = whole.includes(table);
      for (let batch = await deleteBatch(db, table, tenant.id, once); batch > 0; batch = await deleteBatch(db, table, tenant.id, once))
        n += batch;
      if (n > 0) deleted[table] = n;
    }
    await db.deleteFrom('tenants').where('id', '=', tenant.id).execute();
  }
  return {
    tenantId: tenant.id,
    slug: tenant.slug,
    deleted,
    rows: Object.values(deleted).reduce((a, b) => a + b, 0),
    dryRun: options.dryRun === true,
    finishedAt: new Date(),
  };
}

/** Terminated tenants whose deletion date has come. */
export async function tenantsDueForPurge(db: Kysely<Database>, at = new Date()): Promise<string[]> {
  const rows = await db
    .selectFrom('tenants')
    .select('slug')
    .where('status', '=', 'terminated')
    .where('deletion_due_at', '<=', at)
    .orderBy('deletion_due_at')
    .execute();
  return rows.map((r) => r.slug);
}

/**
 * Purges every terminated tenant whose deletion date has come: a few minutes
 * after start and then hourly. A purge is resumable and idempotent, so several
 * nodes running it at once only repeat each other's deletes.
 */
export function startTenantPurger(deps: { db: Kysely<Database>; keyring: Keyring; log: JobLog; everyMs?: number }): PeriodicJob {
  return startPeriodicJob({
    name: 'tenant purge',
    log: deps.log,
    firstAfterMs: 5 * 60_000,
    everyMs: deps.everyMs ?? 60 * 60_000,
    work: async (stopped) => {
      for (const slug of await tenantsDueForPurge(deps.db)) {
        if (stopped()) return;
        const report = await purgeTenant(deps.db, deps.keyring, slug);
        // Slugs and counts only: nothing of the tenant's data.
        deps.log.info({ tenant: report.slug, rows: report.rows, tables: report.deleted }, 'purged a terminated tenant');
      }
    },
  });
}
