import { sql, type Kysely } from 'kysely';
import type { ApiTokenScope, Database } from '../db/schema.js';
import { fenceCredential, fenceUser } from './auth-cache.js';

// Second factors, sign-in challenges, reset tokens, API tokens and sign-in
// throttles. Every secret is stored as a hash only.

// --- recovery codes -----------------------------------------------------------

export async function replaceRecoveryCodes(
  db: Kysely<Database>,
  tenantId: string,
  userId: string,
  codes: Array<{ id: string; hash: Buffer }>,
): Promise<void> {
  await db.deleteFrom('recovery_codes').where('tenant_id', '=', tenantId).where('user_id', '=', userId).execute();
  if (codes.length === 0) return;
  await db
    .insertInto('recovery_codes')
    .values(codes.map((c) => ({ tenant_id: tenantId, id: c.id, user_id: userId, code_hash: c.hash })))
    .execute();
}

/** Marks an unused code used; true when there was one. Single-use even under concurrent attempts. */
export async function useRecoveryCode(db: Kysely<Database>, tenantId: string, userId: string, hash: Buffer): Promise<boolean> {
  const used = await db
    .updateTable('recovery_codes')
    .set({ used_at: new Date() })
    .where('tenant_id', '=', tenantId)
    .where('user_id', '=', userId)
    .where('code_hash', '=', hash)
    .where('used_at', 'is', null)
    .executeTakeFirst();
  return used.numUpdatedRows === 1n;
}

export async function countUnusedRecoveryCodes(db: Kysely<Database>, tenantId: string, userId: string): Promise<number> {
  const row = await db
    .selectFrom('recovery_codes')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('tenant_id', '=', tenantId)
    .where('user_id', '=', userId)
    .where('used_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

// --- MFA challenges -------------------------------------------------------------

export async function insertMfaChallenge(
  db: Kysely<Database>,
  tenantId: string,
  row: { id: string; userId: string; hash: Buffer; expiresAt: Date },
): Promise<void> {
  await db
    .insertInto('mfa_challenges')
    .values({ tenant_id: tenantId, id: row.id, user_id: row.userId, challenge_hash: row.hash, expires_at: row.expiresAt })
    .execute();
}

/** Like a bearer token, a challenge identifies its tenant by its hash alone. */
export async function findMfaChallenge(db: Kysely<Database>, hash: Buffer) {
  return db.selectFrom('mfa_challenges').selectAll().where('challenge_hash', '=', hash).executeTakeFirst();
}

/** Counts a wrong code; returns the attempts so far. */
export async function countMfaAttempt(db: Kysely<Database>, tenantId: string, id: string): Promise<number> {
  const row = await db
    .updateTable('mfa_challenges')
    .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .returning('attempts')
    .executeTakeFirst();
  return row?.attempts ?? Number.MAX_SAFE_INTEGER;
}

/** Deletes a challenge; true when this caller deleted it (so it is consumed once). */
export async function deleteMfaChallenge(db: Kysely<Database>, tenantId: string, id: string): Promise<boolean> {
  const result = await db.deleteFrom('mfa_challenges').where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
  return result.numDeletedRows === 1n;
}

// --- password resets -------------------------------------------------------------

export async function insertPasswordReset(
  db: Kysely<Database>,
  tenantId: string,
  row: { id: string; userId: string; hash: Buffer; expiresAt: Date },
): Promise<void> {
  await db
    .insertInto('password_resets')
    .values({ tenant_id: tenantId, id: row.id, user_id: row.userId, token_hash: row.hash, expires_at: row.expiresAt })
    .execute();
}

export async function countRecentPasswordResets(db: Kysely<Database>, tenantId: string, userId: string, since: Date): Promise<number> {
  const row = await db
    .selectFrom('password_resets')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('tenant_id', '=', tenantId)
    .where('user_id', '=', userId)
    .where('created_at', '>', since)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function findPasswordReset(db: Kysely<Database>, hash: Buffer) {
  return db.selectFrom('password_resets').selectAll().where('token_hash', '=', hash).executeTakeFirst();
}

/** Uses a reset token once: true only for the caller that marked it. */
export async function consumePasswordReset(db: Kysely<Database>, tenantId: string, id: string, at: Date): Promise<boolean> {
  const result = await db
    .updateTable('password_resets')
    .set({ used_at: at })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .where('used_at', 'is', null)
    .where('expires_at', '>', at)
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

/** Ends every other outstanding reset of the user (a reset or password change supersedes them). */
export async function expirePasswordResets(db: Kysely<Database>, tenantId: string, userId: string, at: Date): Promise<void> {
  await db
    .updateTable('password_resets')
    .set({ used_at: at })
    .where('tenant_id', '=', tenantId)
    .where('user_id', '=', userId)
    .where('used_at', 'is', null)
    .execute();
}

// --- API tokens ------------------------------------------------------------------

export async function insertApiToken(
  db: Kysely<Database>,
  tenantId: string,
  row: { id: string; userId: string; name: string; hash: Buffer; scopes: ApiTokenScope[]; expiresAt: Date },
) {
  return db
    .insertInto('api_tokens')
    .values({
      tenant_id: tenantId,
      id: row.id,
      user_id: row.userId,
      name: row.name,
      token_hash: row.hash,
      scopes: sql<ApiTokenScope[]>`${sql.val(row.scopes)}::text[]`,
      expires_at: row.expiresAt,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function findApiTokenByHash(db: Kysely<Database>, hash: Buffer) {
  return db.selectFrom('api_tokens').selectAll().where('token_hash', '=', hash).executeTakeFirst();
}

/** An API token with its user, the tenant's status and the user's wrapped subject key, in one round trip. */
export async function findApiTokenForRequest(db: Kysely<Database>, hash: Buffer) {
  return db
    .selectFrom('api_tokens')
    .innerJoin('users', (j) => j.onRef('users.tenant_id', '=', 'api_tokens.tenant_id').onRef('users.id', '=', 'api_tokens.user_id'))
    .innerJoin('tenants', 'tenants.id', 'api_tokens.tenant_id')
    .leftJoin('subject_keys', (j) =>
      j.onRef('subject_keys.tenant_id', '=', 'users.tenant_id').onRef('subject_keys.subject_id', '=', 'users.subject_id'),
    )
    .selectAll('users')
    .select([
      'api_tokens.id as token_id',
      'api_tokens.scopes as token_scopes',
      'api_tokens.expires_at as token_expires_at',
      'api_tokens.last_used_at as token_last_used_at',
      'api_tokens.revoked_at as token_revoked_at',
      'tenants.status as tenant_status',
      'subject_keys.wrapped_key as subject_wrapped_key',
      'subject_keys.key_version as subject_key_version',
      'subject_keys.tenant_key_version as subject_tenant_key_version',
    ])
    .where('api_tokens.token_hash', '=', hash)
    .executeTakeFirst();
}

export async function listApiTokens(db: Kysely<Database>, tenantId: string, userId: string) {
  return db
    .selectFrom('api_tokens')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .orderBy('created_at', 'desc')
    .execute();
}

export async function revokeApiToken(db: Kysely<Database>, tenantId: string, userId: string, id: string): Promise<boolean> {
  fenceCredential(tenantId, id); // in this process's authentication cache (auth-cache.ts)
  const result = await db
    .updateTable('api_tokens')
    .set({ revoked_at: new Date() })
    .where('tenant_id', '=', tenantId)
    .where('user_id', '=', userId)
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

export async function revokeAllApiTokens(db: Kysely<Database>, tenantId: string, userId: string): Promise<void> {
  fenceUser(tenantId, userId);
  await db
    .updateTable('api_tokens')
    .set({ revoked_at: new Date() })
    .where('tenant_id', '=', tenantId)
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .execute();
}

export async function touchApiToken(db: Kysely<Database>, tenantId: string, id: string, at: Date): Promise<void> {
  await db.updateTable('api_tokens').set({ last_used_at: at }).where('tenant_id', '=', tenantId).where('id', '=', id).execute();
}

// --- sign-in throttles --------------------------------------------------------------

export async function blockedUntil(db: Kysely<Database>, keys: Buffer[], now: Date): Promise<Date | undefined> {
  const rows = await db
    .selectFrom('sign_in_throttles')
    .select('blocked_until')
    .where('key', 'in', keys)
    .where('blocked_until', '>', now)
    .execute();
  const times = rows.map((r) => r.blocked_until!.getTime());
  return times.length ? new Date(Math.max(...times)) : undefined;
}

export interface AdmissionRule {
  now: Date;
  windowMs: number;
  hourlyCap: number;
  /** At least 1: a first attempt is always admitted. */
  freeFailures: number;
  maxDelaySeconds: number;
}

/**
 * Counts an attempt on the key and sets its delay, unless a delay is running:
 * true when the attempt is admitted. One statement, so the row lock orders
 * parallel attempts and each sees the count and delay of the one before.
 */
export async function admitAttempt(db: Kysely<Database>, key: Buffer, rule: AdmissionRule): Promise<boolean> {
  const now = sql`${rule.now}::timestamptz`;
  const windowOpen = sql`${new Date(rule.now.getTime() - rule.windowMs)}::timestamptz`;
  const result = await sql<{ failures: number }>`
    insert into sign_in_throttles as t (key, failures, window_started_at, last_failure_at, blocked_until)
    values (${key}, 1, ${now}, ${now}, null)
    on conflict (key) do update set (failures, window_started_at, last_failure_at, blocked_until) = (
      select s.n, s.w, ${now},
        case when s.n >= ${rule.hourlyCap}::int then s.w + ${rule.windowMs}::int8 * interval '1 millisecond'
             when s.n > ${rule.freeFailures}::int
               then ${now} + least(power(2, s.n - ${rule.freeFailures}::int), ${rule.maxDelaySeconds}::int) * interval '1 second'
        end
      from (select case when t.window_started_at <= ${windowOpen} then 1 else t.failures + 1 end as n,
                   case when t.window_started_at <= ${windowOpen} then ${now} else t.window_started_at end as w) as s)
    where t.blocked_until is null or t.blocked_until <= ${now}
    returning failures`.execute(db);
  return result.rows.length === 1;
}

/** Gives back one admitted attempt that succeeded; within the free failures no delay remains. */
export async function refundAttempt(db: Kysely<Database>, key: Buffer, freeFailures: number): Promise<void> {
  await db
    .updateTable('sign_in_throttles')
    .set((eb) => ({
      failures: sql<number>`greatest(${eb.ref('failures')} - 1, 0)`,
      blocked_until: sql<Date | null>`case when ${eb.ref('failures')} - 1 <= ${freeFailures}::int then null else ${eb.ref('blocked_until')} end`,
    }))
    .where('key', '=', key)
    .execute();
}

export async function clearThrottle(db: Kysely<Database>, key: Buffer): Promise<void> {
  await db.deleteFrom('sign_in_throttles').where('key', '=', key).execute();
}
