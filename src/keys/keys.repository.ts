import { sql, type Kysely } from 'kysely';
import type { Database, SubjectKind } from '../db/schema.js';

// The only SQL over key material, subjects and blind index terms.

export async function findInstanceKey(db: Kysely<Database>) {
  return db.selectFrom('instance_keys').selectAll().where('id', '=', 1).executeTakeFirst();
}

/** Inserts the instance key unless another process just did; the caller re-reads. */
export async function insertInstanceKey(db: Kysely<Database>, wrapped: Buffer, masterKeyId: string): Promise<void> {
  await db
    .insertInto('instance_keys')
    .values({ id: 1, wrapped_key: wrapped, master_key_id: masterKeyId })
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
}

export async function updateInstanceKey(db: Kysely<Database>, wrapped: Buffer, masterKeyId: string): Promise<void> {
  await db.updateTable('instance_keys').set({ wrapped_key: wrapped, master_key_id: masterKeyId }).where('id', '=', 1).execute();
}

export async function insertTenantKey(
  db: Kysely<Database>,
  tenantId: string,
  row: { version: number; wrapped: Buffer; masterKeyId: string },
): Promise<void> {
  await db
    .insertInto('tenant_keys')
    .values({ tenant_id: tenantId, version: row.version, wrapped_key: row.wrapped, master_key_id: row.masterKeyId, state: 'active' })
    .execute();
}

export async function findTenantKey(db: Kysely<Database>, tenantId: string, version: number) {
  return db.selectFrom('tenant_keys').selectAll().where('tenant_id', '=', tenantId).where('version', '=', version).executeTakeFirst();
}

export async function findActiveTenantKey(db: Kysely<Database>, tenantId: string) {
  return db.selectFrom('tenant_keys').selectAll().where('tenant_id', '=', tenantId).where('state', '=', 'active').executeTakeFirst();
}

export async function listTenantKeys(db: Kysely<Database>, tenantId: string) {
  return db.selectFrom('tenant_keys').selectAll().where('tenant_id', '=', tenantId).orderBy('version').execute();
}

/** Key versions whose blind index terms searches must consult. */
export async function searchableKeyVersions(db: Kysely<Database>, tenantId: string): Promise<number[]> {
  const rows = await db
    .selectFrom('tenant_keys')
    .select('version')
    .where('tenant_id', '=', tenantId)
    .where('state', 'in', ['active', 'retiring'])
    .execute();
  return rows.map((r) => r.version);
}

export async function setTenantKeyState(
  db: Kysely<Database>,
  tenantId: string,
  version: number,
  state: 'active' | 'retiring' | 'retired',
): Promise<void> {
  await db.updateTable('tenant_keys').set({ state }).where('tenant_id', '=', tenantId).where('version', '=', version).execute();
}

export async function rewrapTenantKey(
  db: Kysely<Database>,
  tenantId: string,
  version: number,
  wrapped: Buffer,
  masterKeyId: string,
): Promise<void> {
  await db
    .updateTable('tenant_keys')
    .set({ wrapped_key: wrapped, master_key_id: masterKeyId })
    .where('tenant_id', '=', tenantId)
    .where('version', '=', version)
    .execute();
}

/** Tenant keys still wrapped by another master key than `currentKeyId`. */
export async function tenantKeysNotUnder(db: Kysely<Database>, currentKeyId: string, limit: number) {
  return db
    .selectFrom('tenant_keys')
    .selectAll()
    .where('wrapped_key', 'is not', null)
    .where('master_key_id', '!=', currentKeyId)
    .orderBy('tenant_id')
    .orderBy('version')
    .limit(limit)
    .execute();
}

export async function countTenantKeysByMaster(db: Kysely<Database>) {
  return db
    .selectFrom('tenant_keys')
    .select(['master_key_id', 'state', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy(['master_key_id', 'state'])
    .execute();
}

export async function destroyTenantKeys(db: Kysely<Database>, tenantId: string, at: Date): Promise<number> {
  const result = await db
    .updateTable('tenant_keys')
    .set({ wrapped_key: null, master_key_id: null, state: 'destroyed', destroyed_at: at })
    .where('tenant_id', '=', tenantId)
    .where('state', '!=', 'destroyed')
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export async function insertSubject(
  db: Kysely<Database>,
  tenantId: string,
  row: { id: string; kind: SubjectKind; wrapped: Buffer; tenantKeyVersion: number },
): Promise<void> {
  await db.insertInto('subjects').values({ tenant_id: tenantId, id: row.id, kind: row.kind }).execute();
  await db
    .insertInto('subject_keys')
    .values({ tenant_id: tenantId, subject_id: row.id, wrapped_key: row.wrapped, tenant_key_version: row.tenantKeyVersion })
    .execute();
}

/** The tenant's one 'records' subject, inserted unless it exists; concurrent callers agree on one. */
export async function ensureRecordsSubject(
  db: Kysely<Database>,
  tenantId: string,
  candidate: { id: string; wrapped: Buffer; tenantKeyVersion: number },
): Promise<{ id: string; created: boolean }> {
  // One statement inserts the subject and its key, so no caller outside a
  // transaction can see the subject before its key (it would read as erased).
  const inserted = await sql<{ id: string }>`
    with subject as (
      insert into subjects (tenant_id, id, kind) values (${tenantId}, ${candidate.id}, 'records')
      on conflict (tenant_id) where kind = 'records' do nothing returning tenant_id, id)
    insert into subject_keys (tenant_id, subject_id, wrapped_key, tenant_key_version)
    select tenant_id, id, ${candidate.wrapped}, ${candidate.tenantKeyVersion}::int from subject
    returning subject_id as id`.execute(db);
  if (inserted.rows.length === 0) {
    const existing = await db
      .selectFrom('subjects')
      .select('id')
      .where('tenant_id', '=', tenantId)
      .where('kind', '=', 'records')
      .executeTakeFirstOrThrow();
    return { id: existing.id, created: false };
  }
  return { id: candidate.id, created: true };
}

/** Many subjects in two statements (imports). */
export async function insertSubjects(
  db: Kysely<Database>,
  tenantId: string,
  rows: Array<{ id: string; kind: SubjectKind; wrapped: Buffer; tenantKeyVersion: number }>,
): Promise<void> {
  if (rows.length === 0) return;
  await db
    .insertInto('subjects')
    .values(rows.map((r) => ({ tenant_id: tenantId, id: r.id, kind: r.kind })))
    .execute();
  await db
    .insertInto('subject_keys')
    .values(rows.map((r) => ({ tenant_id: tenantId, subject_id: r.id, wrapped_key: r.wrapped, tenant_key_version: r.tenantKeyVersion })))
    .execute();
}

export async function findSubjectKey(db: Kysely<Database>, tenantId: string, subjectId: string) {
  return db.selectFrom('subject_keys').selectAll().where('tenant_id', '=', tenantId).where('subject_id', '=', subjectId).executeTakeFirst();
}

export async function findSubjectKeys(db: Kysely<Database>, tenantId: string, subjectIds: string[]) {
  if (subjectIds.length === 0) return [];
  return db.selectFrom('subject_keys').selectAll().where('tenant_id', '=', tenantId).where('subject_id', 'in', subjectIds).execute();
}

export async function findSubject(db: Kysely<Database>, tenantId: string, subjectId: string) {
  return db.selectFrom('subjects').selectAll().where('tenant_id', '=', tenantId).where('id', '=', subjectId).executeTakeFirst();
}

/** Subject keys still wrapped by an older tenant key version, in id order after `afterId`. */
export async function subjectKeysBelowVersion(db: Kysely<Database>, tenantId: string, version: number, limit: number) {
  return db
    .selectFrom('subject_keys')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('tenant_key_version', '<', version)
    .orderBy('subject_id')
    .limit(limit)
    .execute();
}

export async function rewrapSubjectKey(
  db: Kysely<Database>,
  tenantId: string,
  subjectId: string,
  wrapped: Buffer,
  tenantKeyVersion: number,
): Promise<void> {
  await db
    .updateTable('subject_keys')
    .set({ wrapped_key: wrapped, tenant_key_version: tenantKeyVersion })
    .where('tenant_id', '=', tenantId)
    .where('subject_id', '=', subjectId)
    .execute();
}

/** Crypto-shredding: the subject's key row goes; true when there was one. */
export async function deleteSubjectKey(db: Kysely<Database>, tenantId: string, subjectId: string, at: Date): Promise<boolean> {
  const deleted = await db
    .deleteFrom('subject_keys')
    .where('tenant_id', '=', tenantId)
    .where('subject_id', '=', subjectId)
    .executeTakeFirst();
  await db
    .updateTable('subjects')
    .set({ erased_at: at })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', subjectId)
    .where('erased_at', 'is', null)
    .execute();
  await db.deleteFrom('blind_index_terms').where('tenant_id', '=', tenantId).where('subject_id', '=', subjectId).execute();
  return deleted.numDeletedRows === 1n;
}

export async function deleteTenantSubjectKeys(db: Kysely<Database>, tenantId: string): Promise<void> {
  await db.deleteFrom('subject_keys').where('tenant_id', '=', tenantId).execute();
  await db.deleteFrom('blind_index_terms').where('tenant_id', '=', tenantId).execute();
}

export interface TermRow {
  indexName: string;
  keyVersion: number;
  term: number;
}

export async function replaceRecordTerms(
  db: Kysely<Database>,
  tenantId: string,
  record: { table: string; id: string; subjectId: string },
  terms: TermRow[],
  onlyVersion?: number,
): Promise<void> {
  let del = db
    .deleteFrom('blind_index_terms')
    .where('tenant_id', '=', tenantId)
    .where('record_table', '=', record.table)
    .where('record_id', '=', record.id);
  if (onlyVersion !== undefined) del = del.where('key_version', '=', onlyVersion);
  await del.execute();
  if (terms.length === 0) return;
  await db
    .insertInto('blind_index_terms')
    .values(
      terms.map((t) => ({
        tenant_id: tenantId,
        index_name: t.indexName,
        key_version: t.keyVersion,
        term: t.term,
        record_table: record.table,
        record_id: record.id,
        subject_id: record.subjectId,
      })),
    )
    .onConflict((oc) => oc.doNothing())
    .execute();
}

export async function deleteTermsOfVersion(db: Kysely<Database>, tenantId: string, version: number): Promise<void> {
  await db.deleteFrom('blind_index_terms').where('tenant_id', '=', tenantId).where('key_version', '=', version).execute();
}

/**
 * Index terms of records that have none yet, many records in one statement:
 * the rows travel as seven arrays (unnest), not seven parameters per row.
 */
export async function insertTerms(
  db: Kysely<Database>,
  tenantId: string,
  rows: Array<TermRow & { table: string; recordId: string; subjectId: string }>,
): Promise<void> {
  if (rows.length === 0) return;
  await sql`
    insert into blind_index_terms (tenant_id, index_name, key_version, term, record_table, record_id, subject_id)
    select ${tenantId}::uuid, t.* from unnest(
      ${rows.map((r) => r.indexName)}::text[], ${rows.map((r) => r.keyVersion)}::int4[], ${rows.map((r) => r.term)}::int4[],
      ${rows.map((r) => r.table)}::text[], ${rows.map((r) => r.recordId)}::uuid[], ${rows.map((r) => r.subjectId)}::uuid[]
    ) as t`.execute(db);
}

/** Which records hold any of these terms, term by term (one query for many lookups). */
export async function findRecordsPerTerm(
  db: Kysely<Database>,
  tenantId: string,
  table: string,
  indexName: string,
  version: number,
  terms: number[],
): Promise<Array<{ record_id: string; term: number }>> {
  if (terms.length === 0) return [];
  return db
    .selectFrom('blind_index_terms')
    .select(['record_id', 'term'])
    .where('tenant_id', '=', tenantId)
    .where('record_table', '=', table)
    .where('index_name', '=', indexName)
    .where('key_version', '=', version)
    .where('term', 'in', [...new Set(terms)])
    .execute();
}

/**
 * Records having every one of `terms` (one index), under any of `versions`.
 * Terms are AND-ed per key version: all must come from the same version.
 */
export async function findRecordsByTerms(
  db: Kysely<Database>,
  tenantId: string,
  table: string,
  indexName: string,
  termsByVersion: Array<{ version: number; terms: number[] }>,
  limit: number,
): Promise<string[]> {
  const found = new Set<string>();
  for (const { version, terms } of termsByVersion) {
    if (terms.length === 0) continue;
    const distinct = [...new Set(terms)];
    const rows = await db
      .selectFrom('blind_index_terms')
      .select('record_id')
      .where('tenant_id', '=', tenantId)
      .where('record_table', '=', table)
      .where('index_name', '=', indexName)
      .where('key_version', '=', version)
      .where('term', 'in', distinct)
      .groupBy('record_id')
      .having(sql<number>`count(distinct term)`, '=', distinct.length)
      .limit(limit)
      .execute();
    for (const r of rows) found.add(r.record_id);
  }
  return [...found];
}

export async function findRunningRotation(db: Kysely<Database>, kind: 'master' | 'tenant', tenantId: string | null) {
  let query = db.selectFrom('key_rotations').selectAll().where('kind', '=', kind).where('status', '=', 'running');
  query = tenantId === null ? query.where('tenant_id', 'is', null) : query.where('tenant_id', '=', tenantId);
  return query.executeTakeFirst();
}

export async function insertRotation(
  db: Kysely<Database>,
  row: {
    id: string;
    kind: 'master' | 'tenant';
    tenantId: string | null;
    fromVersion: number | null;
    toVersion: number | null;
    phase: string;
  },
): Promise<void> {
  await db
    .insertInto('key_rotations')
    .values({
      id: row.id,
      kind: row.kind,
      tenant_id: row.tenantId,
      from_version: row.fromVersion,
      to_version: row.toVersion,
      status: 'running',
      phase: row.phase,
      updated_at: new Date(),
    })
    .execute();
}

export async function updateRotation(
  db: Kysely<Database>,
  id: string,
  update: { phase?: string; cursor?: string | null; processedDelta?: number; done?: boolean },
): Promise<void> {
  await db
    .updateTable('key_rotations')
    .set((eb) => ({
      updated_at: new Date(),
      ...(update.phase !== undefined ? { phase: update.phase } : {}),
      ...(update.cursor !== undefined ? { cursor: update.cursor } : {}),
      ...(update.processedDelta ? { processed: eb('processed', '+', update.processedDelta) } : {}),
      ...(update.done ? { status: 'done' as const, finished_at: new Date() } : {}),
    }))
    .where('id', '=', id)
    .execute();
}

export async function listRotations(db: Kysely<Database>, limit = 20) {
  return db.selectFrom('key_rotations').selectAll().orderBy('started_at', 'desc').limit(limit).execute();
}
