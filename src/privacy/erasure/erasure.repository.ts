import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';

// The SQL of an erasure: finding every record of a person, then deleting what
// is theirs. Only erasure and tenant purge may delete from the consent ledger
// (migration 0015): `allowLedgerDelete` says so for this transaction.

export type PersonTable = 'contacts' | 'leads';

/** The person's subject, whether the record is live or in the recycle bin. */
export async function subjectOfPerson(db: Kysely<Database>, tenantId: string, table: PersonTable, id: string): Promise<string | undefined> {
  const row = await db.selectFrom(table).select('subject_id').where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
  return row?.subject_id;
}

/** Every contact and lead of a subject (a lead and the contact it became share one), binned ones too. */
export async function recordsOfSubject(
  db: Kysely<Database>,
  tenantId: string,
  subjectId: string,
): Promise<{ contacts: string[]; leads: string[] }> {
  const of = async (table: PersonTable) =>
    (await db.selectFrom(table).select('id').where('tenant_id', '=', tenantId).where('subject_id', '=', subjectId).execute()).map(
      (r) => r.id,
    );
  return { contacts: await of('contacts'), leads: await of('leads') };
}

/** Whether an unreleased legal hold covers the subject. */
export async function heldSubject(db: Kysely<Database>, tenantId: string, subjectId: string): Promise<boolean> {
  const row = await db
    .selectFrom('legal_holds')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('subject_id', '=', subjectId)
    .where('released_at', 'is', null)
    .executeTakeFirst();
  return row !== undefined;
}

export async function allowLedgerDelete(db: Kysely<Database>): Promise<void> {
  await sql`select set_config('custodia.ledger_delete', 'erase', true)`.execute(db);
}

const none = sql`false`;
const anyOf = (column: string, ids: readonly string[]) => (ids.length ? sql`${sql.ref(column)} in (${sql.join(ids)})` : none);

/** Deletes what is about the person (sealed under their key, or hanging on their records); answers counts per table. */
export async function deletePersonalRows(
  db: Kysely<Database>,
  tenantId: string,
  subjectId: string,
  records: { contacts: readonly string[]; leads: readonly string[] },
): Promise<Record<string, number>> {
  const t = sql`tenant_id = ${tenantId}`;
  const counts: Record<string, number> = {};
  const run = async (table: string, query: ReturnType<typeof sql>) => {
    const r = await query.execute(db);
    const n = Number(r.numAffectedRows ?? 0);
    if (n > 0) counts[table] = n;
  };
  await run(
    'notes',
    sql`delete from notes where ${t} and (subject_id = ${subjectId} or ${anyOf('contact_id', records.contacts)} or ${anyOf('lead_id', records.leads)})`,
  );
  await run(
    'email_messages',
    sql`delete from email_messages where ${t} and (subject_id = ${subjectId} or ${anyOf('contact_id', records.contacts)})`,
  );
  // Their files (every version's row goes by cascade); the blobs, already unreadable with the key shredded, go with the orphan job.
  await run(
    'files',
    sql`delete from files where ${t} and (subject_id = ${subjectId} or ${anyOf('contact_id', records.contacts)} or ${anyOf('lead_id', records.leads)})`,
  );
  await run('activities', sql`delete from activities where ${t} and subject_id = ${subjectId}`);
  await run('deal_contacts', sql`delete from deal_contacts where ${t} and ${anyOf('contact_id', records.contacts)}`);
  // That a campaign was sent to them (or skipped them) is about them too.
  await run('campaign_recipients', sql`delete from campaign_recipients where ${t} and subject_id = ${subjectId}`);
  await allowLedgerDelete(db);
  await run('consent_events', sql`delete from consent_events where ${t} and subject_id = ${subjectId}`);
  return counts;
}
