import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../db/schema.js';
import { foreignKeys, purgePlan, type ForeignKey } from '../tenants/tenant-purge.js';

// The SQL of backups: what tables there are (found in the catalogue, so a
// table added later is backed up without anyone listing it), reading them a
// batch at a time through a cursor, and writing rows back.

/** Key material: backed up apart (keys/<id>/), never inside a data backup. */
export const KEY_TABLES = ['instance_keys', 'tenant_keys', 'subject_keys', 'key_rotations'] as const;
const NEVER = new Set<string>([...KEY_TABLES, 'kysely_migration', 'kysely_migration_lock']);

export interface ColumnInfo {
  name: string;
  /** udt_name: bytea, jsonb, _text, timestamptz … */
  type: string;
}

export interface TableInfo {
  name: string;
  columns: ColumnInfo[];
  hasTenantId: boolean;
  primaryKey: string[];
}

/** Every base table of the schema with its insertable columns, key tables and kysely's own left out unless asked for. */
export async function tablesOf(db: Kysely<Database>, options: { keys?: boolean } = {}): Promise<TableInfo[]> {
  const cols = await sql<{ table_name: string; column_name: string; udt_name: string }>`
    select c.table_name, c.column_name, c.udt_name from information_schema.columns c
    join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
    where c.table_schema = current_schema() and t.table_type = 'BASE TABLE' and c.is_generated = 'NEVER'
    order by c.table_name, c.ordinal_position`.execute(db);
  const pks = await sql<{ table_name: string; column_name: string }>`
    select cl.relname as table_name, a.attname as column_name
    from pg_index i join pg_class cl on cl.oid = i.indrelid
    join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)
    where i.indisprimary and cl.relnamespace = current_schema()::regnamespace
    order by cl.relname, array_position(i.indkey::int2[], a.attnum)`.execute(db);
  const tables = new Map<string, TableInfo>();
  for (const c of cols.rows) {
    const keyTable = (KEY_TABLES as readonly string[]).includes(c.table_name);
    if (NEVER.has(c.table_name) && !(options.keys && keyTable)) continue;
    const t = tables.get(c.table_name) ?? { name: c.table_name, columns: [], hasTenantId: false, primaryKey: [] };
    t.columns.push({ name: c.column_name, type: c.udt_name });
    if (c.column_name === 'tenant_id') t.hasTenantId = true;
    tables.set(c.table_name, t);
  }
  for (const pk of pks.rows) tables.get(pk.table_name)?.primaryKey.push(pk.column_name);
  return [...tables.values()];
}

export interface LoadPlan {
  /** Parents before children. */
  order: string[];
  /** Nullable references inserted as null and set once every row is in (cycles, a table naming itself). */
  deferred: ForeignKey[];
}

/** The order to load tables in: the reverse of the purge's. */
export async function loadPlan(db: Kysely<Database>, tables: readonly string[]): Promise<LoadPlan> {
  const keys = await referencesOf(db, tables);
  const { order, clear } = purgePlan(tables, keys);
  const self = keys.filter((k) => k.child === k.parent && tables.includes(k.child) && k.nullable);
  return { order: [...order].reverse(), deferred: [...clear, ...self] };
}

/** The purge order (children first) and the references to clear first, for deleting one tenant's rows. */
export async function deletePlan(db: Kysely<Database>, tables: readonly string[]) {
  return purgePlan(tables, await referencesOf(db, tables));
}

/**
 * The purge's foreign keys leave out references made of tenant_id alone (the
 * purge deletes the tenant row last by hand): here every tenant-owned table
 * refers to `tenants`.
 */
async function referencesOf(db: Kysely<Database>, tables: readonly string[]): Promise<ForeignKey[]> {
  const r = await sql<{ table_name: string }>`
    select table_name from information_schema.columns
    where table_schema = current_schema() and column_name = 'tenant_id'`.execute(db);
  const owned = r.rows.map((x) => x.table_name).filter((t) => t !== 'tenants' && tables.includes(t));
  return [...(await foreignKeys(db)), ...owned.map((child) => ({ child, parent: 'tenants', columns: [], nullable: false }))];
}

/** Size of the database on disk. */
export async function databaseBytes(db: Kysely<Database>): Promise<number> {
  const r = await sql<{ n: string | number }>`select pg_database_size(current_database()) as n`.execute(db);
  return Number(r.rows[0]?.n ?? 0);
}

export async function latestMigration(db: Kysely<Database>): Promise<string> {
  const r = await sql<{ name: string }>`select name from kysely_migration order by name desc limit 1`.execute(db);
  return r.rows[0]?.name ?? '';
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The rows of a table (one tenant's, when given), a batch at a time through a
 * cursor: never the whole table in memory. Must run inside a transaction.
 */
export async function* readTable(
  trx: Kysely<Database>,
  table: TableInfo,
  where: { tenantId?: string | undefined; query?: ReturnType<typeof sql> | undefined } = {},
  batch = 1000,
): AsyncGenerator<Record<string, unknown>[]> {
  if (where.tenantId !== undefined && !UUID.test(where.tenantId)) throw new Error('tenant id is not a uuid');
  const cursor = sql.id(`backup_${table.name}`);
  const columns = sql.join(table.columns.map((c) => sql.ref(c.name)));
  const source =
    where.query ??
    (where.tenantId !== undefined
      ? table.name === 'tenants'
        ? sql`select ${columns} from tenants where id = ${sql.lit(where.tenantId)}`
        : sql`select ${columns} from ${sql.table(table.name)} where tenant_id = ${sql.lit(where.tenantId)}`
      : sql`select ${columns} from ${sql.table(table.name)}`);
  await sql`declare ${cursor} no scroll cursor for ${source}`.execute(trx);
  try {
    for (;;) {
      const r = await sql<Record<string, unknown>>`fetch forward ${sql.lit(batch)} from ${cursor}`.execute(trx);
      if (r.rows.length === 0) return;
      yield r.rows;
    }
  } finally {
    await sql`close ${cursor}`.execute(trx);
  }
}

/** Inserts rows given as JSON objects (bytea as `\\x` hex); PostgreSQL turns each value into its column's type. */
export async function insertRows(
  trx: Kysely<Database>,
  table: string,
  columns: readonly string[],
  rows: readonly Record<string, unknown>[],
  options: { ignoreConflicts?: boolean; onlyIf?: RawBuilder<unknown> } = {},
): Promise<void> {
  if (rows.length === 0) return;
  const cols = sql.join(columns.map((c) => sql.ref(c)));
  const vcols = sql.join(columns.map((c) => sql`v.${sql.ref(c)}`));
  await sql`insert into ${sql.table(table)} (${cols})
    select ${vcols} from json_populate_recordset(null::${sql.table(table)}, ${JSON.stringify(rows)}::json) as v
    ${options.onlyIf ? sql`where ${options.onlyIf}` : sql``}
    ${options.ignoreConflicts ? sql`on conflict do nothing` : sql``}`.execute(trx);
}

/** Empties a table (a fresh database's own rows, before a whole-instance restore). */
export async function deleteAll(trx: Kysely<Database>, table: string): Promise<void> {
  await sql`delete from ${sql.table(table)}`.execute(trx);
}

export async function clearAllReferences(trx: Kysely<Database>, key: ForeignKey): Promise<void> {
  await sql`update ${sql.table(key.child)} set ${sql.join(key.columns.map((c) => sql`${sql.ref(c)} = null`))}`.execute(trx);
}

/** Sets the deferred reference columns of rows already inserted. */
export async function setReferences(
  trx: Kysely<Database>,
  table: string,
  primaryKey: readonly string[],
  columns: readonly string[],
  rows: readonly Record<string, unknown>[],
): Promise<void> {
  if (rows.length === 0 || primaryKey.length === 0) return;
  const set = sql.join(columns.map((c) => sql`${sql.ref(c)} = v.${sql.ref(c)}`));
  const match = sql.join(
    primaryKey.map((c) => sql`t.${sql.ref(c)} = v.${sql.ref(c)}`),
    sql` and `,
  );
  await sql`update ${sql.table(table)} as t set ${set}
    from json_populate_recordset(null::${sql.table(table)}, ${JSON.stringify(rows)}::json) as v where ${match}`.execute(trx);
}

/** Lets this transaction delete from the consent ledger (migration 0015), as erasure and purge do. */
export async function allowLedgerDelete(trx: Kysely<Database>): Promise<void> {
  await sql`select set_config('custodia.ledger_delete', 'erase', true)`.execute(trx);
}

export async function clearReferences(trx: Kysely<Database>, key: ForeignKey, tenantId: string): Promise<void> {
  await sql`update ${sql.table(key.child)} set ${sql.join(key.columns.map((c) => sql`${sql.ref(c)} = null`))} where tenant_id = ${tenantId}`.execute(
    trx,
  );
}

/** Sets the tenant's sessions aside for the restore's transaction. */
export async function keepSessions(trx: Kysely<Database>, tenantId: string): Promise<void> {
  await sql`create temporary table restore_sessions on commit drop as select * from sessions where tenant_id = ${tenantId}`.execute(trx);
}

/** Puts back the sessions of users the restore kept. */
export async function restoreSessions(trx: Kysely<Database>): Promise<void> {
  await sql`insert into sessions select k.* from restore_sessions k
    where exists (select 1 from users u where u.tenant_id = k.tenant_id and u.id = k.user_id)`.execute(trx);
}

export async function deleteTenantRows(trx: Kysely<Database>, table: string, tenantId: string): Promise<number> {
  const r = await sql`delete from ${sql.table(table)} where tenant_id = ${tenantId}`.execute(trx);
  return Number(r.numAffectedRows ?? 0);
}

/** Sequences behind serial columns move past the restored values. */
export async function resetSequences(trx: Kysely<Database>): Promise<void> {
  const r = await sql<{ table_name: string; column_name: string; seq: string }>`
    select c.relname as table_name, a.attname as column_name, s.relname as seq
    from pg_depend d
    join pg_class s on s.oid = d.objid and s.relkind = 'S'
    join pg_class c on c.oid = d.refobjid
    join pg_attribute a on a.attrelid = c.oid and a.attnum = d.refobjsubid
    where c.relnamespace = current_schema()::regnamespace and d.deptype in ('a', 'i')`.execute(trx);
  for (const row of r.rows) {
    await sql`select setval(${row.seq}::regclass, greatest((select max(${sql.ref(row.column_name)}) from ${sql.table(row.table_name)}), 1))`.execute(
      trx,
    );
  }
}

export async function countTenants(db: Kysely<Database>): Promise<number> {
  const r = await sql<{ n: string }>`select count(*) as n from tenants`.execute(db);
  return Number(r.rows[0]?.n ?? 0);
}

export async function findTenant(db: Kysely<Database>, by: { slug?: string; id?: string }) {
  let q = db.selectFrom('tenants').select(['id', 'slug', 'status']);
  if (by.slug !== undefined) q = q.where('slug', '=', by.slug);
  if (by.id !== undefined) q = q.where('id', '=', by.id);
  return q.executeTakeFirst();
}

/** Subjects erased (key shredded) at or after `since`. */
export async function erasedSubjects(db: Kysely<Database>, since: Date | null) {
  let q = db.selectFrom('subjects').select(['tenant_id', 'id', 'erased_at']).where('erased_at', 'is not', null);
  if (since) q = q.where('erased_at', '>=', since);
  return q.orderBy('erased_at').execute();
}

/** Tenants whose keys have been destroyed (terminated), since a moment when given. */
export async function destroyedTenants(db: Kysely<Database>, since: Date | null) {
  let q = db
    .selectFrom('tenant_keys')
    .select(['tenant_id', sql<Date>`max(destroyed_at)`.as('destroyed_at')])
    .where('destroyed_at', 'is not', null)
    .groupBy('tenant_id');
  if (since) q = q.having(sql<Date>`max(destroyed_at)`, '>=', since);
  return q.execute();
}

/** Subjects of a tenant (or all) that have no key: erased, or their key never came back. */
export async function subjectsWithoutKey(db: Kysely<Database>, tenantId?: string) {
  let q = db
    .selectFrom('subjects as s')
    .leftJoin('subject_keys as k', (j) => j.onRef('k.tenant_id', '=', 's.tenant_id').onRef('k.subject_id', '=', 's.id'))
    .select(['s.tenant_id', 's.id', 's.kind', 's.erased_at'])
    .where('k.subject_id', 'is', null);
  if (tenantId !== undefined) q = q.where('s.tenant_id', '=', tenantId);
  return q.execute();
}

export async function markErased(trx: Kysely<Database>, tenantId: string, subjectId: string, at: Date): Promise<void> {
  await trx
    .updateTable('subjects')
    .set({ erased_at: at })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', subjectId)
    .where('erased_at', 'is', null)
    .execute();
  await trx.deleteFrom('subject_keys').where('tenant_id', '=', tenantId).where('subject_id', '=', subjectId).execute();
}

export async function fileVersionsExist(db: Kysely<Database>): Promise<boolean> {
  const r = await sql<{ t: string | null }>`select to_regclass('file_versions')::text as t`.execute(db);
  return r.rows[0]?.t != null;
}
