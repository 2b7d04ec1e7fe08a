import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';

// SQL that only leads need; their shared person columns go through people.repository.

/** Holds the lead's row for the conversion, if it is still at the version read. */
export async function lockLead(db: Kysely<Database>, tenantId: string, id: string, version: number): Promise<boolean> {
  const row = await db
    .selectFrom('leads')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .where('version', '=', version)
    .where('deleted_at', 'is', null)
    .forUpdate()
    .executeTakeFirst();
  return row !== undefined;
}

export async function markConverted(
  db: Kysely<Database>,
  tenantId: string,
  id: string,
  to: { contactId: string; organizationId: string | null; dealId: string | null },
): Promise<void> {
  await db
    .updateTable('leads')
    .set((eb) => ({
      status: 'converted',
      converted_at: new Date(),
      converted_contact_id: to.contactId,
      converted_organization_id: to.organizationId,
      converted_deal_id: to.dealId,
      version: eb('version', '+', 1),
      updated_at: new Date(),
    }))
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .execute();
}

/**
 * The lead's notes now hang on the contact it became, and its activities name
 * the contact too; their ciphertext is bound to the note or activity, not to
 * the parent, so nothing is re-encrypted.
 */
export async function moveHistoryToContact(db: Kysely<Database>, tenantId: string, leadId: string, contactId: string): Promise<void> {
  await db
    .updateTable('notes')
    .set({ contact_id: contactId, lead_id: null })
    .where('tenant_id', '=', tenantId)
    .where('lead_id', '=', leadId)
    .execute();
  await db
    .updateTable('activities')
    .set({ contact_id: contactId })
    .where('tenant_id', '=', tenantId)
    .where('lead_id', '=', leadId)
    .where('contact_id', 'is', null)
    .execute();
}
