import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';

// The only SQL of the access package: everything held about one data subject,
// read by subject (never through a user's record reach: the privacy officer
// compiles the whole of it). Reads only; soft-deleted records are included
// (they are still held until the recycle bin is purged) and marked so.

export async function peopleOfSubject(db: Kysely<Database>, tenantId: string, subjectId: string) {
  const contacts = await db
    .selectFrom('contacts')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('subject_id', '=', subjectId)
    .orderBy('created_at')
    .execute();
  const leads = await db
    .selectFrom('leads')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('subject_id', '=', subjectId)
    .orderBy('created_at')
    .execute();
  return { contacts, leads };
}

export async function organizationsByIds(db: Kysely<Database>, tenantId: string, ids: string[]) {
  if (ids.length === 0) return [];
  return db
    .selectFrom('organizations')
    .select(['id', 'name', 'domain', 'website'])
    .where('tenant_id', '=', tenantId)
    .where('id', 'in', ids)
    .execute();
}

/** Deals the person takes part in (as a contact) or that their lead became. */
export async function dealsOf(db: Kysely<Database>, tenantId: string, contactIds: string[], dealIds: string[]) {
  if (contactIds.length === 0 && dealIds.length === 0) return [];
  return db
    .selectFrom('deals')
    .leftJoin('pipeline_stages', (j) =>
      j.onRef('pipeline_stages.tenant_id', '=', 'deals.tenant_id').onRef('pipeline_stages.id', '=', 'deals.stage_id'),
    )
    .select([
      'deals.id',
      'deals.title',
      'deals.amount_minor',
      'deals.currency',
      'deals.status',
      'deals.expected_close_date',
      'deals.closed_at',
      'deals.organization_id',
      'deals.created_at',
      'deals.deleted_at',
      'pipeline_stages.name as stage',
    ])
    .where('deals.tenant_id', '=', tenantId)
    .where((eb) =>
      eb.or([
        ...(dealIds.length > 0 ? [eb('deals.id', 'in', dealIds)] : []),
        ...(contactIds.length > 0
          ? [
              eb.exists(
                eb
                  .selectFrom('deal_contacts')
                  .select('deal_contacts.deal_id')
                  .whereRef('deal_contacts.tenant_id', '=', 'deals.tenant_id')
                  .whereRef('deal_contacts.deal_id', '=', 'deals.id')
                  .where('deal_contacts.contact_id', 'in', contactIds),
              ),
            ]
          : []),
      ]),
    )
    .orderBy('deals.created_at')
    .execute();
}

export interface PersonIds {
  subjectId: string;
  contactIds: string[];
  leadIds: string[];
}

/** Notes sealed under the person's key, or on one of their records. */
export async function notesOf(db: Kysely<Database>, tenantId: string, ids: PersonIds) {
  return db
    .selectFrom('notes')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where((eb) =>
      eb.or([
        eb('subject_id', '=', ids.subjectId),
        ...(ids.contactIds.length > 0 ? [eb('contact_id', 'in', ids.contactIds)] : []),
        ...(ids.leadIds.length > 0 ? [eb('lead_id', 'in', ids.leadIds)] : []),
      ]),
    )
    .orderBy('created_at')
    .execute();
}

/** Activities sealed under the person's key, or on one of their records. */
export async function activitiesOf(db: Kysely<Database>, tenantId: string, ids: PersonIds) {
  return db
    .selectFrom('activities')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where((eb) =>
      eb.or([
        eb('subject_id', '=', ids.subjectId),
        ...(ids.contactIds.length > 0 ? [eb('contact_id', 'in', ids.contactIds)] : []),
        ...(ids.leadIds.length > 0 ? [eb('lead_id', 'in', ids.leadIds)] : []),
      ]),
    )
    .orderBy('created_at')
    .execute();
}

export async function emailMessagesOf(db: Kysely<Database>, tenantId: string, ids: PersonIds) {
  return db
    .selectFrom('email_messages')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where((eb) => {
      const parts = [eb('subject_id', '=', ids.subjectId)];
      if (ids.contactIds.length > 0) parts.push(eb('contact_id', 'in', ids.contactIds));
      return eb.or(parts);
    })
    .orderBy('sent_at')
    .execute();
}

export async function tenantOf(db: Kysely<Database>, tenantId: string) {
  return db.selectFrom('tenants').select(['name', 'slug']).where('id', '=', tenantId).executeTakeFirst();
}
