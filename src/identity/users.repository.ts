import { sql, type Kysely } from 'kysely';
import type { Database, NewUserRow, UserRow } from '../db/schema.js';

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

export async function updatePasswordHash(
  db: Kysely<Database>,
  tenantId: string,
  id: string,
  passwordHash: string,
): Promise<void> {
  await db
    .updateTable('users')
    .set({ password_hash: passwordHash, updated_at: new Date() })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .execute();
}
