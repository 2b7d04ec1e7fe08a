import { sql, type Kysely, type SqlBool } from 'kysely';
import { parentInReach, type ParentModule, type Reach } from '../common/reach.js';
import type { Database } from '../../db/schema.js';

// The only SQL for notes. Every function takes the tenant scope.

export async function insertNote(
  db: Kysely<Database>,
  tenantId: string,
  row: {
    id: string;
    contact_id?: string;
    lead_id?: string;
    organization_id?: string;
    deal_id?: string;
    subject_id: string;
    author_id: string;
    body_enc: Buffer;
  },
) {
  return db
    .insertInto('notes')
    .values({ ...row, tenant_id: tenantId, updated_at: new Date() })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Many notes in one INSERT (an import's notes on the contacts it created). */
export async function insertNotes(
  db: Kysely<Database>,
  tenantId: string,
  rows: Array<{ id: string; contact_id: string; subject_id: string; author_id: string; body_enc: Buffer }>,
): Promise<void> {
  if (rows.length === 0) return;
  const now = new Date();
  await db
    .insertInto('notes')
    .values(rows.map((row) => ({ ...row, tenant_id: tenantId, updated_at: now })))
    .execute();
}

export async function findNote(db: Kysely<Database>, tenantId: string, id: string, options: { deleted?: boolean } = {}) {
  return db
    .selectFrom('notes')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .where('deleted_at', options.deleted ? 'is not' : 'is', null)
    .executeTakeFirst();
}

const PARENT_COLUMN = { contacts: 'contact_id', leads: 'lead_id', organizations: 'organization_id', deals: 'deal_id' } as const;

/** Newest first; with a parent, only its notes. */
export async function listNotes(
  db: Kysely<Database>,
  tenantId: string,
  page: {
    parent?: { column: 'contact_id' | 'lead_id' | 'organization_id' | 'deal_id'; id: string };
    /** The actor's reach per parent module. */
    reach?: Partial<Record<ParentModule, Reach>>;
    afterId: string | null;
    limit: number;
  },
) {
  let query = db
    .selectFrom('notes')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('deleted_at', 'is', null)
    .orderBy('id', 'desc')
    .limit(page.limit);
  if (page.parent) query = query.where(page.parent.column, '=', page.parent.id);
  else {
    // Notes of a record in the recycle bin are hidden with it.
    for (const [column, table] of [
      ['contact_id', 'contacts'],
      ['lead_id', 'leads'],
      ['organization_id', 'organizations'],
      ['deal_id', 'deals'],
    ] as const) {
      query = query.where(
        sql<SqlBool>`not exists (select 1 from ${sql.table(table)} p where p.tenant_id = notes.tenant_id and p.id = ${sql.ref(`notes.${column}`)} and p.deleted_at is not null)`,
      );
    }
  }
  if (page.afterId) query = query.where('id', '<', page.afterId);
  for (const [parent, reach] of Object.entries(page.reach ?? {}) as Array<[ParentModule, Reach]>) {
    const condition = parentInReach(`notes.${PARENT_COLUMN[parent]}`, parent, reach);
    if (condition) query = query.where(condition);
  }
  return query.execute();
}

export async function updateNote(db: Kysely<Database>, tenantId: string, id: string, expectedVersion: number, bodyEnc: Buffer) {
  return db
    .updateTable('notes')
    .set((eb) => ({ body_enc: bodyEnc, version: eb('version', '+', 1), updated_at: new Date() }))
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .where('version', '=', expectedVersion)
    .where('deleted_at', 'is', null)
    .returningAll()
    .executeTakeFirst();
}

/** Notes of the tenant among these ids (in the bin or not), with the record each hangs on. */
export async function noteParentsAmong(db: Kysely<Database>, tenantId: string, ids: string[]) {
  if (ids.length === 0) return [];
  return db
    .selectFrom('notes')
    .select(['id', 'contact_id', 'lead_id', 'organization_id', 'deal_id'])
    .where('tenant_id', '=', tenantId)
    .where('id', 'in', ids)
    .execute();
}
