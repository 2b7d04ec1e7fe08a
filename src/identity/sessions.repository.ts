import type { Kysely } from 'kysely';
import type { Database, NewSessionRow, SessionRow } from '../db/schema.js';

export async function insertSession(
  db: Kysely<Database>,
  tenantId: string,
  row: Omit<NewSessionRow, 'tenant_id'>,
): Promise<void> {
  await db
    .insertInto('sessions')
    .values({ ...row, tenant_id: tenantId })
    .execute();
}

/**
 * The one lookup that does not start from a tenant: a bearer token is all a
 * request carries, and its hash is globally unique. The caller gets the
 * tenant scope from the row.
 */
export async function findSessionByTokenHash(db: Kysely<Database>, tokenHash: Buffer): Promise<SessionRow | undefined> {
  return db.selectFrom('sessions').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
}

export async function touchSession(
  db: Kysely<Database>,
  tenantId: string,
  id: string,
  seenAt: Date,
  idleExpiresAt: Date,
): Promise<void> {
  await db
    .updateTable('sessions')
    .set({ last_seen_at: seenAt, idle_expires_at: idleExpiresAt })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .execute();
}

export async function listSessionsOfUser(db: Kysely<Database>, tenantId: string, userId: string, now: Date) {
  return db
    .selectFrom('sessions')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('user_id', '=', userId)
    .where('idle_expires_at', '>', now)
    .where('absolute_expires_at', '>', now)
    .orderBy('last_seen_at', 'desc')
    .execute();
}

export async function deleteSessionOfUser(
  db: Kysely<Database>,
  tenantId: string,
  userId: string,
  id: string,
): Promise<boolean> {
  const result = await db
    .deleteFrom('sessions')
    .where('tenant_id', '=', tenantId)
    .where('user_id', '=', userId)
    .where('id', '=', id)
    .executeTakeFirst();
  return result.numDeletedRows === 1n;
}

/** Ends the user's sessions, except one when given; returns how many ended. */
export async function deleteSessionsOfUser(
  db: Kysely<Database>,
  tenantId: string,
  userId: string,
  exceptId?: string,
): Promise<number> {
  let query = db.deleteFrom('sessions').where('tenant_id', '=', tenantId).where('user_id', '=', userId);
  if (exceptId) query = query.where('id', '!=', exceptId);
  const result = await query.executeTakeFirst();
  return Number(result.numDeletedRows);
}

export async function requireEnrolmentForUser(db: Kysely<Database>, tenantId: string, userId: string, required: boolean) {
  await db
    .updateTable('sessions')
    .set({ mfa_enrolment_required: required })
    .where('tenant_id', '=', tenantId)
    .where('user_id', '=', userId)
    .execute();
}

export async function deleteSession(db: Kysely<Database>, tenantId: string, id: string): Promise<void> {
  await db.deleteFrom('sessions').where('tenant_id', '=', tenantId).where('id', '=', id).execute();
}
