import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';

// The SQL behind "may this record be linked": a deal, activity, contact or
// logged e-mail may only point at live records of its own tenant, and the
// caller decides from the owners answered here whether the actor sees them.
// People answer with their subject, whose key seals the free text linked to them.

export type LinkedTable = 'contacts' | 'leads' | 'organizations' | 'deals';

/** A live record of the tenant, with the owners that decide who sees it. */
export interface LinkedRow {
  id: string;
  owner_id: string;
  owner_group_id: string | null;
}

/** Tables whose records have owners: the linked ones, and activities (whose audit values follow them too). */
export type OwnedTable = LinkedTable | 'activities';

/**
 * The records of the tenant among these ids, with their owners: live ones
 * only (those in the bin or of another tenant are not), or with `binned` also
 * those in the recycle bin, which stay their owners' (the audit trail's reads).
 */
export async function recordOwners(
  db: Kysely<Database>,
  table: OwnedTable,
  tenantId: string,
  ids: string[],
  options: { binned?: boolean } = {},
): Promise<LinkedRow[]> {
  if (ids.length === 0) return [];
  // The tables share these columns; Kysely cannot type "any of them".
  return db
    .selectFrom(table as 'contacts')
    .select(['id', 'owner_id', 'owner_group_id'])
    .where('tenant_id', '=', tenantId)
    .where('id', 'in', ids)
    .$if(!options.binned, (q) => q.where('deleted_at', 'is', null))
    .execute();
}

/** A live contact or lead, its owners and the subject its personal data is sealed under. */
export async function livePerson(
  db: Kysely<Database>,
  table: 'contacts' | 'leads',
  tenantId: string,
  id: string,
): Promise<(LinkedRow & { subject_id: string }) | undefined> {
  return db
    .selectFrom(table as 'contacts')
    .select(['id', 'owner_id', 'owner_group_id', 'subject_id'])
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
}
