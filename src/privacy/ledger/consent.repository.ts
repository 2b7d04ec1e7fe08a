import type { Insertable, Kysely, Selectable } from 'kysely';
import type { ConsentEventsTable, Database } from '../../db/schema.js';

// The ledger's only SQL. There is deliberately no update or delete here: the
// ledger is append-only (and the database refuses both, migration 0015).

export type ConsentEventRow = Selectable<ConsentEventsTable>;
export type NewConsentEvent = Insertable<ConsentEventsTable>;

export async function insertConsentEvent(db: Kysely<Database>, row: NewConsentEvent): Promise<ConsentEventRow> {
  return db.insertInto('consent_events').values(row).returningAll().executeTakeFirstOrThrow();
}

/** A person's events, newest first. */
export async function eventsOfSubject(db: Kysely<Database>, tenantId: string, subjectId: string): Promise<ConsentEventRow[]> {
  return db
    .selectFrom('consent_events')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('subject_id', '=', subjectId)
    .orderBy('seq', 'desc')
    .execute();
}

/** The events of many people for the given purposes (and their objections), newest first: campaigns check consent with it. */
export async function eventsOfSubjects(db: Kysely<Database>, tenantId: string, subjectIds: readonly string[]): Promise<ConsentEventRow[]> {
  if (subjectIds.length === 0) return [];
  return db
    .selectFrom('consent_events')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('subject_id', 'in', subjectIds)
    .orderBy('seq', 'desc')
    .execute();
}

/** The live person (contact first, else lead) a subject belongs to, if any. */
export async function personOfSubject(
  db: Kysely<Database>,
  tenantId: string,
  subjectId: string,
): Promise<{ table: 'contacts' | 'leads'; id: string } | undefined> {
  const contact = await db
    .selectFrom('contacts')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('subject_id', '=', subjectId)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  if (contact) return { table: 'contacts', id: contact.id };
  const lead = await db
    .selectFrom('leads')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('subject_id', '=', subjectId)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  return lead ? { table: 'leads', id: lead.id } : undefined;
}
