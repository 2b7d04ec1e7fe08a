import type { Kysely } from 'kysely';
import type { Database, NewSessionRow, SessionRow } from '../db/schema.js';
import { fenceCredential, fenceUser } from './auth-cache.js';

// Every write here that ends or changes a session fences it in this
// process's authentication cache (auth-cache.ts) before it runs, so no
// service can forget to.

export async function insertSession(db: Kysely<Database>, tenantId: string, row: Omit<NewSessionRow, 'tenant_id'>): Promise<void> {
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

/**
 * What authenticating a request needs, in one round trip: the session, its
 * user, the tenant's status and the user's wrapped subject key (null once
 * erased), so that personal fields can be opened without another query.
 */
export async function findSessionForRequest(db: Kysely<Database>, tokenHash: Buffer) {
  return db
    .selectFrom('sessions')
    .innerJoin('users', (j) => j.onRef('users.tenant_id', '=', 'sessions.tenant_id').onRef('users.id', '=', 'sessions.user_id'))
    .innerJoin('tenants', 'tenants.id', 'sessions.tenant_id')
    .leftJoin('subject_keys', (j) =>
      j.onRef('subject_keys.tenant_id', '=', 'users.tenant_id').onRef('subject_keys.subject_id', '=', 'users.subject_id'),
    )
    .selectAll('users')
    .select([
      'sessions.id as session_id',
      'sessions.last_seen_at as session_last_seen_at',
      'sessions.idle_expires_at as session_idle_expires_at',
      'sessions.absolute_expires_at as session_absolute_expires_at',
      'sessions.mfa_enrolment_required as session_mfa_enrolment_required',
      'tenants.status as tenant_status',
      'subject_keys.wrapped_key as subject_wrapped_key',
      'subject_keys.key_version as subject_key_version',
      'subject_keys.tenant_key_version as subject_tenant_key_version',
    ])
    .where('sessions.token_hash', '=', tokenHash)
    .executeTakeFirst();
}

export async function touchSession(db: Kysely<Database>, tenantId: string, id: string, seenAt: Date, idleExpiresAt: Date): Promise<void> {
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

export async function deleteSessionOfUser(db: Kysely<Database>, tenantId: string, userId: string, id: string): Promise<boolean> {
  fenceCredential(tenantId, id);
  const result = await db
    .deleteFrom('sessions')
    .where('tenant_id', '=', tenantId)
    .where('user_id', '=', userId)
    .where('id', '=', id)
    .executeTakeFirst();
  return result.numDeletedRows === 1n;
}

/** Ends the user's sessions, except one when given; returns how many ended. */
export async function deleteSessionsOfUser(db: Kysely<Database>, tenantId: string, userId: string, exceptId?: string): Promise<number> {
  fenceUser(tenantId, userId);
  let query = db.deleteFrom('sessions').where('tenant_id', '=', tenantId).where('user_id', '=', userId);
  if (exceptId) query = query.where('id', '!=', exceptId);
  const result = await query.executeTakeFirst();
  return Number(result.numDeletedRows);
}

export async function requireEnrolmentForUser(db: Kysely<Database>, tenantId: string, userId: string, required: boolean) {
  fenceUser(tenantId, userId);
  await db
    .updateTable('sessions')
    .set({ mfa_enrolment_required: required })
    .where('tenant_id', '=', tenantId)
    .where('user_id', '=', userId)
    .execute();
}

export async function deleteSession(db: Kysely<Database>, tenantId: string, id: string): Promise<void> {
  fenceCredential(tenantId, id);
  await db.deleteFrom('sessions').where('tenant_id', '=', tenantId).where('id', '=', id).execute();
}
