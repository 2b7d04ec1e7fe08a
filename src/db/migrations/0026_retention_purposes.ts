import { sql, type Kysely } from 'kysely';

// Issue 17, retention per purpose: a rule may name a purpose. It then covers
// only the people with a consent event for that purpose, and may count from
// when they withdrew their consent for it (`consent_withdrawn`).

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('retention_rules').addColumn('purpose_id', 'uuid').execute();
  await db.schema
    .alterTable('retention_rules')
    .addForeignKeyConstraint('retention_rules_purpose_fkey', ['tenant_id', 'purpose_id'], 'purposes', ['tenant_id', 'id'])
    .execute();
  await sql`alter table retention_rules drop constraint retention_rules_based_on`.execute(db);
  await sql`alter table retention_rules add constraint retention_rules_based_on
    check (based_on in ('last_activity', 'created', 'updated', 'closed', 'consent_withdrawn'))`.execute(db);
  await sql`alter table retention_rules add constraint retention_rules_withdrawn_purpose
    check (based_on <> 'consent_withdrawn' or purpose_id is not null)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`delete from retention_rules where based_on = 'consent_withdrawn'`.execute(db);
  await sql`alter table retention_rules drop constraint retention_rules_withdrawn_purpose`.execute(db);
  await sql`alter table retention_rules drop constraint retention_rules_based_on`.execute(db);
  await sql`alter table retention_rules add constraint retention_rules_based_on
    check (based_on in ('last_activity', 'created', 'updated', 'closed'))`.execute(db);
  await db.schema.alterTable('retention_rules').dropConstraint('retention_rules_purpose_fkey').execute();
  await db.schema.alterTable('retention_rules').dropColumn('purpose_id').execute();
}
