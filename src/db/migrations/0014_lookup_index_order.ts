import { sql, type Kysely } from 'kysely';

// Hot statements stay on their index whatever the statistics (issue 13). A
// blind index lookup names (tenant_id, index_name, key_version, term) — the
// leading columns of blind_index_terms_pkey. But the two secondary indexes
// also began with tenant_id, so on a table filled in bulk and not yet
// analyzed (autovacuum off on CI, lagging on real servers) the planner's
// default estimates tied them with the primary key, and it walked
// blind_index_terms_record_idx — every term of the tenant — to look up one
// e-mail address. Those indexes exist for deleting a record's or a subject's
// terms, lookups that always name record_id or subject_id: leading with that
// column serves them as well and leaves no plan but the primary key for a
// term lookup (tested in src/crm/hot-statements.test.ts). Same names, so
// nothing else changes.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`drop index blind_index_terms_record_idx`.execute(db);
  await sql`drop index blind_index_terms_subject_idx`.execute(db);
  await sql`create index blind_index_terms_record_idx on blind_index_terms (record_id, tenant_id, record_table)`.execute(db);
  await sql`create index blind_index_terms_subject_idx on blind_index_terms (subject_id, tenant_id)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index blind_index_terms_record_idx`.execute(db);
  await sql`drop index blind_index_terms_subject_idx`.execute(db);
  await sql`create index blind_index_terms_record_idx on blind_index_terms (tenant_id, record_table, record_id)`.execute(db);
  await sql`create index blind_index_terms_subject_idx on blind_index_terms (tenant_id, subject_id)`.execute(db);
}
