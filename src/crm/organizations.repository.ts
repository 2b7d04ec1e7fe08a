import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';

// The only SQL for organizations (company data: plain columns).

export type OrganizationValues = {
  name: string;
  domain: string | null;
  industry: string | null;
  website: string | null;
  phone: string | null;
};

export async function insertOrganization(db: Kysely<Database>, tenantId: string, row: OrganizationValues & { id: string; owner_id: string }) {
  return db
    .insertInto('organizations')
    .values({ ...row, tenant_id: tenantId, updated_at: new Date() })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function findOrganization(db: Kysely<Database>, tenantId: string, id: string) {
  return db
    .selectFrom('organizations')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
}

/** Sorted by name then id; the cursor is the last (lower(name), id) pair. */
export async function listOrganizations(
  db: Kysely<Database>,
  tenantId: string,
  page: { after: { name: string; id: string } | null; limit: number; q?: string },
) {
  let query = db
    .selectFrom('organizations')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('deleted_at', 'is', null)
    .orderBy(sql`lower(name)`)
    .orderBy('id')
    .limit(page.limit);
  if (page.q) {
    const pattern = `%${page.q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    query = query.where((eb) => eb.or([eb(sql`lower(name)`, 'like', pattern), eb(sql`lower(coalesce(domain, ''))`, 'like', pattern)]));
  }
  if (page.after) {
    const after = page.after;
    query = query.where(sql<boolean>`(lower(name), id) > (${after.name}, ${after.id}::uuid)`);
  }
  return query.execute();
}

export async function updateOrganization(
  db: Kysely<Database>,
  tenantId: string,
  id: string,
  expectedVersion: number,
  values: Partial<OrganizationValues>,
) {
  return db
    .updateTable('organizations')
    .set((eb) => ({ ...values, version: eb('version', '+', 1), updated_at: new Date() }))
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .where('version', '=', expectedVersion)
    .where('deleted_at', 'is', null)
    .returningAll()
    .executeTakeFirst();
}

export async function softDeleteOrganization(db: Kysely<Database>, tenantId: string, id: string): Promise<boolean> {
  const result = await db
    .updateTable('organizations')
    .set({ deleted_at: new Date() })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}
