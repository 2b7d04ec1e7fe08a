import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';

// The SQL behind "which of these records could the actor read": their owners,
// deleted records (in the recycle bin) included; the service decides.

export type OwnedTable = 'contacts' | 'leads' | 'organizations' | 'deals' | 'activities';

/** Records of the tenant among these ids, with the owners that decide who sees them. */
export async function ownersAmong(
  db: Kysely<Database>,
  table: OwnedTable,
  tenantId: string,
  ids: string[],
): Promise<Array<{ id: string; owner_id: string; owner_group_id: string | null }>> {
  if (ids.length === 0) return [];
  // The tables share these columns; Kysely cannot type "any of them".
  return db
    .selectFrom(table as 'contacts')
    .select(['id', 'owner_id', 'owner_group_id'])
    .where('tenant_id', '=', tenantId)
    .where('id', 'in', ids)
    .execute();
}
