import { sql, type Kysely } from 'kysely';

// Issue 13: people are read faster, and found by index whatever the statistics.
//
// 1. Blind index lookups stay on the primary key. A lookup names (tenant_id,
//    index_name, key_version, term) — the leading columns of
//    blind_index_terms_pkey. But the two secondary indexes also began with
//    tenant_id, so on a table filled in bulk and not yet analyzed (autovacuum
//    off on CI, lagging on real servers) the planner's default estimates tied
//    them with the primary key, and it walked blind_index_terms_record_idx —
//    every term of the tenant — to look up one e-mail address. Those indexes
//    serve deleting a record's or a subject's terms, which always name
//    record_id or subject_id: leading with that column serves them as well
//    and leaves no plan but the primary key for a term lookup (tested in
//    src/crm/hot-statements.test.ts). Same names.
//
// 2. One sealed document per person. Contacts and leads held five
//    ciphertexts (first and last name, e-mails, phones, details), each its
//    own AES-GCM operation on every read: 250 per list page of 50. From here
//    on a person's fields are one JSON document, `person_enc`, under the same
//    subject key and bound by associated data to tenant, table, row and
//    field ("person"), as each field was. Rows written before keep their
//    five columns until the start step sealLegacyPeople (person-records.ts;
//    it needs the keys, which migrations have not) rewrites them; reads
//    understand both until then.

const PEOPLE = ['contacts', 'leads'] as const;
const LEGACY = ['first_name_enc', 'last_name_enc', 'emails_enc', 'phones_enc'] as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`drop index blind_index_terms_record_idx`.execute(db);
  await sql`drop index blind_index_terms_subject_idx`.execute(db);
  await sql`create index blind_index_terms_record_idx on blind_index_terms (record_id, tenant_id, record_table)`.execute(db);
  await sql`create index blind_index_terms_subject_idx on blind_index_terms (subject_id, tenant_id)`.execute(db);

  for (const table of PEOPLE) {
    await db.schema.alterTable(table).addColumn('person_enc', 'bytea').execute();
    for (const column of LEGACY)
      await db.schema
        .alterTable(table)
        .alterColumn(column, (c) => c.dropNotNull())
        .execute();
    // Every person has their fields somewhere: the document, or (until rewritten) the five legacy columns.
    await sql`alter table ${sql.table(table)} add constraint ${sql.ref(`${table}_sealed_check`)}
      check (person_enc is not null or (first_name_enc is not null and last_name_enc is not null and emails_enc is not null and phones_enc is not null))`.execute(
      db,
    );
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  // Only while no row is in the document format (run the app's previous version's data first).
  for (const table of PEOPLE) {
    await sql`alter table ${sql.table(table)} drop constraint ${sql.ref(`${table}_sealed_check`)}`.execute(db);
    for (const column of LEGACY)
      await db.schema
        .alterTable(table)
        .alterColumn(column, (c) => c.setNotNull())
        .execute();
    await db.schema.alterTable(table).dropColumn('person_enc').execute();
  }
  await sql`drop index blind_index_terms_record_idx`.execute(db);
  await sql`drop index blind_index_terms_subject_idx`.execute(db);
  await sql`create index blind_index_terms_record_idx on blind_index_terms (tenant_id, record_table, record_id)`.execute(db);
  await sql`create index blind_index_terms_subject_idx on blind_index_terms (tenant_id, subject_id)`.execute(db);
}
