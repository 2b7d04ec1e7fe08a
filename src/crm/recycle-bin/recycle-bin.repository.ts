import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';

// The only SQL of the recycle bin: what sits in it, taking things back out,
// and purging for good — with every reference to a purged record let go of.

export const BIN_TABLES = ['contacts', 'leads', 'organizations', 'deals', 'activities', 'notes', 'email_messages'] as const;
export type BinTable = (typeof BIN_TABLES)[number];

/** Who "owns" a row for the bin: its owner, or the author of a note or logged mail. */
const OWNER: Record<BinTable, string> = {
  contacts: 'owner_id',
  leads: 'owner_id',
  organizations: 'owner_id',
  deals: 'owner_id',
  activities: 'owner_id',
  notes: 'author_id',
  email_messages: 'logged_by',
};

export interface BinRow {
  module: BinTable;
  id: string;
  deleted_at: Date;
  deleted_key: string;
}

/** Deleted rows of every table (or one), newest deletion first; keyset on (deleted_at, module, id). */
export async function listBin(
  db: Kysely<Database>,
  tenantId: string,
  q: { tables: readonly BinTable[]; ownerId?: string; after: { key: string; id: string } | null; limit: number },
): Promise<BinRow[]> {
  const parts = q.tables.map(
    (t) => sql`select ${t}::text as module, id, deleted_at, deleted_at::text as deleted_key from ${sql.table(t)}
      where tenant_id = ${tenantId} and deleted_at is not null
      ${q.ownerId ? sql`and ${sql.ref(OWNER[t])} = ${q.ownerId}` : sql``}`,
  );
  const after = q.after ? sql`where (deleted_at, id) < (${q.after.key}::timestamptz, ${q.after.id}::uuid)` : sql``;
  const result = await sql<BinRow>`select * from (${sql.join(parts, sql` union all `)}) bin ${after}
    order by deleted_at desc, id desc limit ${q.limit}`.execute(db);
  return result.rows;
}

export async function findInBin(db: Kysely<Database>, tenantId: string, table: BinTable, id: string) {
  const result = await sql<{ id: string; deleted_at: Date; owner: string; subject_id: string | null }>`
    select id, deleted_at, ${sql.ref(OWNER[table])} as owner,
      ${table === 'contacts' || table === 'leads' || table === 'notes' || table === 'activities' || table === 'email_messages' ? sql`subject_id` : sql`null::uuid`} as subject_id
    from ${sql.table(table)} where tenant_id = ${tenantId} and id = ${id} and deleted_at is not null`.execute(db);
  return result.rows[0];
}

/** Records with a version for optimistic concurrency: going into the bin or out of it moves it on. */
const versioned = (table: BinTable) => table !== 'notes' && table !== 'email_messages';

/** The soft delete of every module: into the bin, restorable until purged. False when not there (or already binned). */
export async function moveToBin(db: Kysely<Database>, tenantId: string, table: BinTable, id: string): Promise<boolean> {
  const result = await sql`update ${sql.table(table)} set deleted_at = now()
    ${versioned(table) ? sql`, version = version + 1, updated_at = now()` : sql``}
    where tenant_id = ${tenantId} and id = ${id} and deleted_at is null`.execute(db);
  return result.numAffectedRows === 1n;
}

export async function restore(db: Kysely<Database>, tenantId: string, table: BinTable, id: string): Promise<boolean> {
  const result = await sql`update ${sql.table(table)} set deleted_at = null
    ${versioned(table) ? sql`, version = version + 1, updated_at = now()` : sql``}
    where tenant_id = ${tenantId} and id = ${id} and deleted_at is not null`.execute(db);
  return result.numAffectedRows === 1n;
}

/** Rows deleted before the cutoff, a batch at a time, across tenants (the purge job). */
export async function expired(db: Kysely<Database>, table: BinTable, cutoff: Date, limit: number) {
  const result = await sql<{ tenant_id: string; id: string }>`
    select tenant_id, id from ${sql.table(table)} where deleted_at is not null and deleted_at < ${cutoff}
    order by deleted_at limit ${limit}`.execute(db);
  return result.rows;
}

/**
 * Deletes one record for good. What hangs only on it (its notes, the mails
 * logged on a person, tags, index terms) goes with it; records that merely
 * point at it keep existing and let go of the link.
 */
export async function purge(db: Kysely<Database>, tenantId: string, table: BinTable, id: string): Promise<void> {
  const t = sql`tenant_id = ${tenantId}`;
  switch (table) {
    case 'contacts':
      await sql`delete from notes where ${t} and contact_id = ${id}`.execute(db);
      await sql`delete from email_messages where ${t} and contact_id = ${id}`.execute(db);
      await sql`update activities set contact_id = null where ${t} and contact_id = ${id}`.execute(db);
      await sql`update leads set converted_contact_id = null where ${t} and converted_contact_id = ${id}`.execute(db);
      break;
    case 'leads':
      await sql`delete from notes where ${t} and lead_id = ${id}`.execute(db);
      await sql`update activities set lead_id = null where ${t} and lead_id = ${id}`.execute(db);
      await sql`update contacts set lead_id = null where ${t} and lead_id = ${id}`.execute(db);
      break;
    case 'organizations':
      await sql`delete from notes where ${t} and organization_id = ${id}`.execute(db);
      await sql`update contacts set organization_id = null where ${t} and organization_id = ${id}`.execute(db);
      await sql`update deals set organization_id = null where ${t} and organization_id = ${id}`.execute(db);
      await sql`update activities set organization_id = null where ${t} and organization_id = ${id}`.execute(db);
      await sql`update leads set converted_organization_id = null where ${t} and converted_organization_id = ${id}`.execute(db);
      break;
    case 'deals':
      await sql`delete from notes where ${t} and deal_id = ${id}`.execute(db);
      await sql`delete from email_messages where ${t} and deal_id = ${id} and contact_id is null`.execute(db);
      await sql`update email_messages set deal_id = null where ${t} and deal_id = ${id}`.execute(db);
      await sql`update activities set deal_id = null where ${t} and deal_id = ${id}`.execute(db);
      await sql`update leads set converted_deal_id = null where ${t} and converted_deal_id = ${id}`.execute(db);
      break;
    default:
      break;
  }
  await sql`delete from record_tags where ${t} and module = ${table} and record_id = ${id}`.execute(db);
  await sql`delete from blind_index_terms where ${t} and record_table = ${table} and record_id = ${id}`.execute(db);
  await sql`delete from ${sql.table(table)} where ${t} and id = ${id}`.execute(db);
}

/** Whether any person record still holds this subject (a lead and the contact it became share one). */
export async function subjectInUse(db: Kysely<Database>, tenantId: string, subjectId: string): Promise<boolean> {
  const result = await sql<{
    used: boolean;
  }>`select exists (select 1 from contacts where tenant_id = ${tenantId} and subject_id = ${subjectId})
    or exists (select 1 from leads where tenant_id = ${tenantId} and subject_id = ${subjectId}) as used`.execute(db);
  return result.rows[0]!.used;
}

/** Plain titles of binned company records: organization names, deal titles, activity subjects. */
export async function plainTitles(
  db: Kysely<Database>,
  tenantId: string,
  rows: Array<{ module: BinTable; id: string }>,
): Promise<Map<string, string>> {
  const titles = new Map<string, string>();
  const column: Partial<Record<BinTable, string>> = { organizations: 'name', deals: 'title', activities: 'subject' };
  for (const [table, col] of Object.entries(column) as Array<[BinTable, string]>) {
    const ids = rows.filter((r) => r.module === table).map((r) => r.id);
    if (ids.length === 0) continue;
    const result = await sql<{ id: string; title: string }>`select id, ${sql.ref(col)} as title from ${sql.table(table)}
      where tenant_id = ${tenantId} and id in (${sql.join(ids)})`.execute(db);
    for (const r of result.rows) titles.set(r.id, r.title);
  }
  return titles;
}
