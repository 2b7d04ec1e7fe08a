import { sql, type Insertable, type Kysely, type Selectable, type Updateable } from 'kysely';
import type { Database, PrivacyBreachesTable } from '../../db/schema.js';

// The only SQL of the breach register.

export type BreachRow = Selectable<PrivacyBreachesTable>;

export async function insertBreach(db: Kysely<Database>, row: Insertable<PrivacyBreachesTable>): Promise<BreachRow> {
  return db.insertInto('privacy_breaches').values(row).returningAll().executeTakeFirstOrThrow();
}

export async function findBreach(
  db: Kysely<Database>,
  tenantId: string,
  id: string,
  options: { forUpdate?: boolean } = {},
): Promise<BreachRow | undefined> {
  return db
    .selectFrom('privacy_breaches')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .$if(options.forUpdate === true, (q) => q.forUpdate())
    .executeTakeFirst();
}

export async function updateBreach(
  db: Kysely<Database>,
  tenantId: string,
  id: string,
  changes: Updateable<PrivacyBreachesTable>,
): Promise<BreachRow> {
  return db
    .updateTable('privacy_breaches')
    .set({ ...changes, updated_at: new Date(), version: sql<number>`version + 1` })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Breaches newest first (by detection), after the keyset of the previous page. */
export async function listBreaches(
  db: Kysely<Database>,
  tenantId: string,
  filter: { limit: number; before?: { detectedAt: string; id: string } },
): Promise<BreachRow[]> {
  const { before } = filter;
  return db
    .selectFrom('privacy_breaches')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .$if(before !== undefined, (q) =>
      q.where((eb) =>
        eb.or([
          eb('detected_at', '<', new Date(before!.detectedAt)),
          eb.and([eb('detected_at', '=', new Date(before!.detectedAt)), eb('id', '<', before!.id)]),
        ]),
      ),
    )
    .orderBy('detected_at', 'desc')
    .orderBy('id', 'desc')
    .limit(filter.limit)
    .execute();
}
