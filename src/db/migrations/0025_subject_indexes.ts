import { sql, type Kysely } from 'kysely';

// Issue 17: finding everything of one person by their subject. Erasure,
// restriction, the consent ledger's person lookup, the recycle bin's "is this
// subject still in use" and the check that refuses notes and activities about a
// restricted person all ask "which rows belong to subject S?" — without these
// indexes each was a scan of the whole table (an erasure took 215 ms at one
// million contacts, bench/RESULTS.md). Each leads with tenant_id like every
// tenant-owned index.

const TABLES = ['contacts', 'leads', 'notes', 'activities', 'email_messages'] as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  // Purging a person lets go of the links to them: the lead a contact came from, the contact a lead became.
  await sql`create index contacts_lead_idx on contacts (tenant_id, lead_id) where lead_id is not null`.execute(db);
  await sql`create index leads_converted_contact_idx on leads (tenant_id, converted_contact_id) where converted_contact_id is not null`.execute(
    db,
  );
  for (const table of TABLES)
    await sql`create index ${sql.id(`${table}_subject_idx`)} on ${sql.table(table)} (tenant_id, subject_id)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index contacts_lead_idx`.execute(db);
  await sql`drop index leads_converted_contact_idx`.execute(db);
  for (const table of TABLES) await sql`drop index ${sql.id(`${table}_subject_idx`)}`.execute(db);
}
