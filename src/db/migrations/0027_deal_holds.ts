import { sql, type Kysely } from 'kysely';

// Issue 17: a legal hold on a record, not only on a person. A hold on a deal
// (a claim about a contract) keeps every person linked to it from every
// retention rule. The hold names its record in person_table/person_id
// ('deals', the deal's id); its reason, staff's words about a company record,
// is sealed under the tenant's records subject, which is its subject_id.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table legal_holds drop constraint legal_holds_person_table`.execute(db);
  await sql`alter table legal_holds add constraint legal_holds_person_table check (person_table in ('contacts', 'leads', 'deals'))`.execute(
    db,
  );
  await sql`create index legal_holds_record_idx on legal_holds (tenant_id, person_id) where released_at is null and person_table = 'deals'`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index legal_holds_record_idx`.execute(db);
  await sql`alter table legal_holds drop constraint legal_holds_person_table`.execute(db);
  await sql`alter table legal_holds add constraint legal_holds_person_table check (person_table in ('contacts', 'leads'))`.execute(db);
}
