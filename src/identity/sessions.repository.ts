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

export async function deleteSession(db: Kysely<Database>, tenantId: string, id: string): Promise<void> {
  await db.deleteFrom('sessions').where('tenant_id', '=', tenantId).where('id', '=', id).execute();
}
