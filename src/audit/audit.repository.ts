import { sql, type Insertable, type Kysely, type SqlBool } from 'kysely';
import type { AuditEntriesTable, Database } from '../db/schema.js';

// The only SQL over the audit trail: entries, the per-tenant signed head.

export type NewAuditEntry = Insertable<AuditEntriesTable>;

export async function insertEntries(db: Kysely<Database>, rows: NewAuditEntry[]): Promise<void> {
  if (rows.length === 0) return;
  await db.insertInto('audit_entries').values(rows).execute();
}

// --- sealing ------------------------------------------------------------------------------

export async function tenantsWithPendingEntries(db: Kysely<Database>): Promise<string[]> {
  const rows = await sql<{ tenant_id: string }>`select distinct tenant_id from audit_entries where seq is null and rejected_at is null`.execute(db);
  return rows.rows.map((r) => r.tenant_id);
}

export async function ensureHead(db: Kysely<Database>, tenantId: string, genesis: Buffer): Promise<void> {
  await db
    .insertInto('audit_heads')
    .values({ tenant_id: tenantId, head_hash: genesis, anchor_hash: genesis })
    .onConflict((oc) => oc.column('tenant_id').doNothing())
    .execute();
}

/** The head row locked for sealing, or undefined when another sealer holds it (skip, it is being done). */
export async function lockHead(db: Kysely<Database>, tenantId: string, wait = false) {
  let query = db.selectFrom('audit_heads').selectAll().where('tenant_id', '=', tenantId).forUpdate();
  if (!wait) query = query.skipLocked();
  return query.executeTakeFirst();
}

export async function findHead(db: Kysely<Database>, tenantId: string) {
  return db.selectFrom('audit_heads').selectAll().where('tenant_id', '=', tenantId).executeTakeFirst();
}

const VERIFIED_COLUMNS = [
  'tenant_id',
  'id',
  'seq',
  'at',
  'actor_kind',
  'actor_user_id',
  'actor_token_id',
  'actor_label',
  'action',
  'entity',
  'entity_id',
  'subject_ids',
  'fields',
  'request_id',
  'ip',
  'user_agent',
  'details',
  'values_subject_id',
  'values_enc',
  'mac',
  'prev_id',
  'chain_hash',
] as const;

// The time as whole microseconds: a Date would drop a shift below a millisecond.
const atMicros = sql<number>`round(extract(epoch from at) * 1000000)::int8`.as('at_us');

export async function pendingEntries(db: Kysely<Database>, tenantId: string, limit: number) {
  return db
    .selectFrom('audit_entries')
    .select([...VERIFIED_COLUMNS, atMicros])
    .where('tenant_id', '=', tenantId)
    .where('seq', 'is', null)
    .where('rejected_at', 'is', null)
    .orderBy('at')
    .orderBy('id')
    .limit(limit)
    .execute();
}

export type VerifiedRow = Awaited<ReturnType<typeof pendingEntries>>[number];

/** Gives entries their positions and chain hashes in one statement. */
export async function sealEntries(
  db: Kysely<Database>,
  tenantId: string,
  sealed: Array<{ id: string; seq: number; prevId: string | null; hash: Buffer }>,
): Promise<void> {
  if (sealed.length === 0) return;
  await sql`update audit_entries as a
    set seq = v.seq, prev_id = v.prev_id, chain_hash = decode(v.hash, 'hex')
    from unnest(${sealed.map((s) => s.id)}::uuid[], ${sealed.map((s) => s.seq)}::int8[],
                ${sealed.map((s) => s.prevId)}::uuid[], ${sealed.map((s) => s.hash.toString('hex'))}::text[])
      as v(id, seq, prev_id, hash)
    where a.tenant_id = ${tenantId} and a.id = v.id and a.seq is null`.execute(db);
}

export async function rejectEntries(db: Kysely<Database>, tenantId: string, ids: string[], at: Date): Promise<void> {
  if (ids.length === 0) return;
  await db.updateTable('audit_entries').set({ rejected_at: at }).where('tenant_id', '=', tenantId).where('id', 'in', ids).execute();
}

export async function updateHead(
  db: Kysely<Database>,
  tenantId: string,
  head: { size: number; headHash: Buffer; lastId: string | null; signature: Buffer; signedAt: Date },
): Promise<void> {
  await db
    .updateTable('audit_heads')
    .set({ size: head.size, head_hash: head.headHash, last_id: head.lastId, signature: head.signature, signed_at: head.signedAt })
    .where('tenant_id', '=', tenantId)
    .execute();
}

// --- verification ------------------------------------------------------------------------

/** Sealed entries after a position, in chain order: one keyset page. */
export async function sealedPage(db: Kysely<Database>, tenantId: string, afterSeq: number, limit: number) {
  return db
    .selectFrom('audit_entries')
    .select([...VERIFIED_COLUMNS, atMicros])
    .where('tenant_id', '=', tenantId)
    .where('seq', '>', afterSeq)
    .orderBy('seq')
    .limit(limit)
    .execute();
}

/** Entries the sealer did not (or could not) give a position. */
export async function unsealedEntries(db: Kysely<Database>, tenantId: string, limit: number) {
  return db
    .selectFrom('audit_entries')
    .select(['id', 'at', 'rejected_at'])
    .where('tenant_id', '=', tenantId)
    .where('seq', 'is', null)
    .orderBy('at')
    .orderBy('id')
    .limit(limit)
    .execute();
}

// --- retention ------------------------------------------------------------------------------

export async function headsDueForArchive(db: Kysely<Database>, now: Date) {
  const result = await sql<{ tenant_id: string; retention_days: number }>`
    select h.tenant_id, h.retention_days from audit_heads h
    where exists (select 1 from audit_entries e where e.tenant_id = h.tenant_id and e.seq is not null
                  and e.seq = h.anchor_seq + 1 and e.at < ${now}::timestamptz - make_interval(days => h.retention_days))`.execute(db);
  return result.rows;
}

/** The last position of the oldest run of sealed entries all older than the cutoff. */
export async function lastPositionBefore(db: Kysely<Database>, tenantId: string, anchorSeq: number, size: number, cutoff: Date): Promise<number> {
  const result = await sql<{ first_kept: number | null }>`
    select min(seq) as first_kept from audit_entries
    where tenant_id = ${tenantId} and seq > ${anchorSeq} and at >= ${cutoff}`.execute(db);
  const firstKept = result.rows[0]?.first_kept ?? null;
  return firstKept === null ? size : Number(firstKept) - 1;
}

export async function entryAt(db: Kysely<Database>, tenantId: string, seq: number) {
  return db.selectFrom('audit_entries').select(['id', 'chain_hash']).where('tenant_id', '=', tenantId).where('seq', '=', seq).executeTakeFirst();
}

export async function deleteUpTo(db: Kysely<Database>, tenantId: string, seq: number): Promise<number> {
  const result = await db.deleteFrom('audit_entries').where('tenant_id', '=', tenantId).where('seq', '<=', seq).executeTakeFirst();
  return Number(result.numDeletedRows);
}

export async function setAnchor(
  db: Kysely<Database>,
  tenantId: string,
  anchor: { seq: number; hash: Buffer; id: string | null; signature: Buffer; at: Date },
): Promise<void> {
  await db
    .updateTable('audit_heads')
    .set({ anchor_seq: anchor.seq, anchor_hash: anchor.hash, anchor_id: anchor.id, anchor_signature: anchor.signature, archived_at: anchor.at })
    .where('tenant_id', '=', tenantId)
    .execute();
}

export async function setRetention(db: Kysely<Database>, tenantId: string, days: number): Promise<void> {
  await db.updateTable('audit_heads').set({ retention_days: days }).where('tenant_id', '=', tenantId).execute();
}

// --- reading ----------------------------------------------------------------------------------

export interface EntryFilter {
  subjectId?: string;
  /** Entries about this record, or about its subject. */
  record?: { entity: string; id: string; subjectId?: string };
  actorUserId?: string;
  action?: string;
  from?: Date;
  to?: Date;
}

export async function listEntries(
  db: Kysely<Database>,
  tenantId: string,
  filter: EntryFilter,
  after: { at: Date; id: string } | null,
  limit: number,
) {
  let query = db
    .selectFrom('audit_entries')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('rejected_at', 'is', null)
    .orderBy('at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit);
  if (filter.subjectId) query = query.where(sql<SqlBool>`subject_ids @> array[${filter.subjectId}]::uuid[]`);
  if (filter.record) {
    const { entity, id, subjectId } = filter.record;
    query = query.where((eb) =>
      eb.or([
        eb.and([eb('entity', '=', entity), eb('entity_id', '=', id)]),
        ...(subjectId ? [sql<SqlBool>`subject_ids @> array[${subjectId}]::uuid[]`] : []),
      ]),
    );
  }
  if (filter.actorUserId) query = query.where('actor_user_id', '=', filter.actorUserId);
  if (filter.action) {
    query = filter.action.endsWith('.*')
      ? query.where('action', 'like', `${filter.action.slice(0, -2).replace(/[\\%_]/g, '\\$&')}.%`)
      : query.where('action', '=', filter.action);
  }
  if (filter.from) query = query.where('at', '>=', filter.from);
  if (filter.to) query = query.where('at', '<', filter.to);
  if (after) query = query.where((eb) => eb.or([eb('at', '<', after.at), eb.and([eb('at', '=', after.at), eb('id', '<', after.id)])]));
  return query.execute();
}

export type EntryRow = Awaited<ReturnType<typeof listEntries>>[number];
