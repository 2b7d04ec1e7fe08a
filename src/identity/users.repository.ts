import { sql, type Kysely } from 'kysely';
import type { Database, NewUserRow, UserRow, UserUpdate } from '../db/schema.js';

export async function insertUser(
  db: Kysely<Database>,
  tenantId: string,
  row: Omit<NewUserRow, 'tenant_id'>,
): Promise<UserRow> {
  return db
    .insertInto('users')
    .values({ ...row, tenant_id: tenantId })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function findUserByEmail(
  db: Kysely<Database>,
  tenantId: string,
  email: string,
): Promise<UserRow | undefined> {
  return db
    .selectFrom('users')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where(sql<string>`lower(email)`, '=', email.toLowerCase())
    .executeTakeFirst();
}

export async function findUserById(db: Kysely<Database>, tenantId: string, id: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
}

export async function listUsers(db: Kysely<Database>, tenantId: string): Promise<UserRow[]> {
  return db.selectFrom('users').selectAll().where('tenant_id', '=', tenantId).orderBy('name').orderBy('id').execute();
}

export async function updateUser(
  db: Kysely<Database>,
  tenantId: string,
  id: string,
  update: UserUpdate,
): Promise<UserRow | undefined> {
  return db
    .updateTable('users')
    .set({ ...update, updated_at: new Date() })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
}

/** Active administrators of the tenant other than the given user, locked against a concurrent demotion. */
export async function countOtherActiveAdmins(db: Kysely<Database>, tenantId: string, exceptUserId: string): Promise<number> {
  const rows = await db
    .selectFrom('users')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('is_admin', '=', true)
    .where('status', '=', 'active')
    .where('id', '!=', exceptUserId)
    .forUpdate()
    .execute();
  return rows.length;
}

/** Accepts a TOTP time step only if it is newer than the last accepted one. */
export async function advanceTotpStep(db: Kysely<Database>, tenantId: string, id: string, step: number): Promise<boolean> {
  const result = await db
    .updateTable('users')
    .set({ totp_last_step: step })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', step)]))
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

/** Holds the user's row until the transaction ends, to serialize per-user bookkeeping. */
export async function lockUser(db: Kysely<Database>, tenantId: string, id: string): Promise<void> {
  await db.selectFrom('users').select('id').where('tenant_id', '=', tenantId).where('id', '=', id).forUpdate().execute();
}

export async function tenantSlugOf(db: Kysely<Database>, tenantId: string): Promise<string | undefined> {
  const row = await db.selectFrom('tenants').select('slug').where('id', '=', tenantId).executeTakeFirst();
  return row?.slug;
}

export async function updatePasswordHash(
  db: Kysely<Database>,
  tenantId: string,
  id: string,
  passwordHash: string,
): Promise<void> {
  await db
    .updateTable('users')
    .set({ password_hash: passwordHash, password_changed_at: new Date(), updated_at: new Date() })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .execute();
}
