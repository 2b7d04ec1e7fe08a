import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';

// The SQL behind "does this linked record exist": a deal, activity or logged
// e-mail may only point at live records of its own tenant. People answer
// with their subject, whose key seals the free text linked to them.

export type LinkedTable = 'contacts' | 'leads' | 'organizations' | 'deals';

export async function liveRecordExists(db: Kysely<Database>, table: LinkedTable, tenantId: string, id: string): Promise<boolean> {
  const row = await db
    .selectFrom(table)
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  return row !== undefined;
}

/** Which of these contact ids are live contacts of the tenant. */
export async function liveContactIds(db: Kysely<Database>, tenantId: string, ids: string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .selectFrom('contacts')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('id', 'in', ids)
    .where('deleted_at', 'is', null)
    .execute();
  return rows.map((r) => r.id);
}

/** A live contact or lead and the subject its personal data is sealed under. */
export async function livePerson(
  db: Kysely<Database>,
  table: 'contacts' | 'leads',
  tenantId: string,
  id: string,
): Promise<{ id: string; subject_id: string } | undefined> {
  // Both tables share these columns; Kysely cannot type "either table".
  return db
    .selectFrom(table as 'contacts')
    .select(['id', 'subject_id'])
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
}
