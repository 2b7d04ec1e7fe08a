import type { Kysely } from 'kysely';
import type { Database, NewTenantRow, TenantRow, TenantStatus, TenantUpdate } from '../db/schema.js';

// The tenants table is the root of the tenant model: it is not tenant-owned,
// so these functions are the only ones that work across tenants.

export async function insertTenant(db: Kysely<Database>, row: NewTenantRow): Promise<TenantRow> {
  return db.insertInto('tenants').values(row).returningAll().executeTakeFirstOrThrow();
}

export async function findTenantBySlug(db: Kysely<Database>, slug: string): Promise<TenantRow | undefined> {
  return db.selectFrom('tenants').selectAll().where('slug', '=', slug).executeTakeFirst();
}

/** Locks the row for the rest of the transaction, so status changes do not race. */
export async function lockTenantBySlug(db: Kysely<Database>, slug: string): Promise<TenantRow | undefined> {
  return db.selectFrom('tenants').selectAll().where('slug', '=', slug).forUpdate().executeTakeFirst();
}

export async function lockTenantById(db: Kysely<Database>, id: string): Promise<void> {
  await db.selectFrom('tenants').select('id').where('id', '=', id).forUpdate().execute();
}

export async function findTenantById(db: Kysely<Database>, id: string): Promise<TenantRow | undefined> {
  return db.selectFrom('tenants').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function listTenants(db: Kysely<Database>, filter: { status?: TenantStatus } = {}): Promise<TenantRow[]> {
  let query = db.selectFrom('tenants').selectAll().orderBy('slug');
  if (filter.status) query = query.where('status', '=', filter.status);
  return query.execute();
}

export async function updateTenant(db: Kysely<Database>, id: string, update: TenantUpdate): Promise<TenantRow> {
  return db
    .updateTable('tenants')
    .set({ ...update, updated_at: new Date() })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}
