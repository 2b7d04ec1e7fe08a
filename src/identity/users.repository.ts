import { sql, type Kysely } from 'kysely';
import type { Database, NewUserRow, UserRow, UserUpdate } from '../db/schema.js';
import { fenceUser } from './auth-cache.js';

export async function insertUser(db: Kysely<Database>, tenantId: string, row: Omit<NewUserRow, 'tenant_id'>): Promise<UserRow> {
  return db
    .insertInto('users')
    .values({ ...row, tenant_id: tenantId })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** A user not yet moved into ciphertext, by plaintext e-mail (see encryptLegacyUsers). */
export async function findLegacyUserByEmail(db: Kysely<Database>, tenantId: string, email: string): Promise<UserRow | undefined> {
  return db
    .selectFrom('users')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('email', 'is not', null)
    .where(sql<string>`lower(email)`, '=', email.toLowerCase())
    .executeTakeFirst();
}

export async function findLegacyUsers(db: Kysely<Database>, limit: number): Promise<UserRow[]> {
  return db.selectFrom('users').selectAll().where('email_enc', 'is', null).orderBy('tenant_id').orderBy('id').limit(limit).execute();
}

export async function findUsersByIds(db: Kysely<Database>, tenantId: string, ids: string[]): Promise<UserRow[]> {
  if (ids.length === 0) return [];
  return db.selectFrom('users').selectAll().where('tenant_id', '=', tenantId).where('id', 'in', ids).execute();
}

/** Users in id order after `afterId` (for re-indexing in batches). */
export async function listUsersAfter(db: Kysely<Database>, tenantId: string, afterId: string | null, limit: number) {
  let query = db.selectFrom('users').selectAll().where('tenant_id', '=', tenantId).orderBy('id').limit(limit);
  if (afterId) query = query.where('id', '>', afterId);
  return query.execute();
}

export async function findUserById(db: Kysely<Database>, tenantId: string, id: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
}

export async function listUsers(db: Kysely<Database>, tenantId: string): Promise<UserRow[]> {
  // Names are ciphertext: the caller sorts after decryption.
  return db.selectFrom('users').selectAll().where('tenant_id', '=', tenantId).orderBy('id').execute();
}

export async function updateUser(db: Kysely<Database>, tenantId: string, id: string, update: UserUpdate): Promise<UserRow | undefined> {
  fenceUser(tenantId, id); // status, profile, second factor …: authentication must look again
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

export async function tenantNameOf(db: Kysely<Database>, tenantId: string): Promise<string | undefined> {
  const row = await db.selectFrom('tenants').select('name').where('id', '=', tenantId).executeTakeFirst();
  return row?.name;
}

export async function updatePasswordHash(db: Kysely<Database>, tenantId: string, id: string, passwordHash: string): Promise<void> {
  fenceUser(tenantId, id);
  await db
    .updateTable('users')
    .set({ password_hash: passwordHash, password_changed_at: new Date(), updated_at: new Date() })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .execute();
}
