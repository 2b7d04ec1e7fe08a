import { sql, type Insertable, type Kysely, type Selectable } from 'kysely';
import type { ConsentSignupsTable, Database } from '../../db/schema.js';

// The only SQL of public double opt-in: pending sign-ups, their throttle
// counts, and the one fact it needs of the tenant's users.

export type SignupRow = Selectable<ConsentSignupsTable>;
export type NewSignup = Insertable<ConsentSignupsTable>;

export async function insertSignup(db: Kysely<Database>, row: NewSignup): Promise<void> {
  await db.insertInto('consent_signups').values(row).execute();
}

/** The sign-up a token hash names, locked for the confirming transaction when asked. */
export async function findSignupByTokenHash(
  db: Kysely<Database>,
  tokenHash: Buffer,
  options: { forUpdate?: boolean } = {},
): Promise<SignupRow | undefined> {
  return db
    .selectFrom('consent_signups')
    .selectAll()
    .where('token_hash', '=', tokenHash)
    .$if(options.forUpdate === true, (q) => q.forUpdate())
    .executeTakeFirst();
}

/** Single use: marks the sign-up confirmed and drops its sealed address and name (the person's record holds them now). */
export async function markConfirmed(db: Kysely<Database>, tenantId: string, id: string, at: Date): Promise<boolean> {
  const result = await db
    .updateTable('consent_signups')
    .set({ confirmed_at: at, email_enc: null, first_name_enc: null })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .where('confirmed_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/**
 * Counts one sign-up against a throttle key in a fixed window and answers the
 * count so far, this one included: one statement, so parallel requests on
 * several nodes count exactly.
 */
export async function countAttempt(db: Kysely<Database>, key: Buffer, now: Date, windowMs: number): Promise<number> {
  const windowOpen = new Date(now.getTime() - windowMs);
  const row = await db
    .insertInto('subscription_throttles')
    .values({ key, window_start: now, count: 1 })
    .onConflict((oc) =>
      oc.column('key').doUpdateSet({
        count: sql<number>`case when subscription_throttles.window_start <= ${windowOpen} then 1 else subscription_throttles.count + 1 end`,
        window_start: sql<Date>`case when subscription_throttles.window_start <= ${windowOpen} then ${now} else subscription_throttles.window_start end`,
      }),
    )
    .returning('count')
    .executeTakeFirstOrThrow();
  return row.count;
}

/** Holds a transaction-level lock on a number (two confirmations of one address must not both create a lead). */
export async function lockNumber(db: Kysely<Database>, key: bigint): Promise<void> {
  await sql`select pg_advisory_xact_lock(${key.toString()}::bigint)`.execute(db);
}

/**
 * The owner of leads that public sign-ups create: the tenant's longest-standing
 * active administrator (only the id is read, nothing personal).
 */
export async function firstActiveAdminId(db: Kysely<Database>, tenantId: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('users')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('is_admin', '=', true)
    .where('status', '=', 'active')
    .orderBy('created_at')
    .orderBy('id')
    .limit(1)
    .executeTakeFirst();
  return row?.id;
}

export interface PurgedSignups {
  /** Never confirmed, older than the cut-off. */
  unconfirmed: Array<{ tenant_id: string; id: string }>;
  /** Confirmed and their link expired: nothing left to answer for. */
  used: number;
  throttles: number;
}

/** Deletes what public double opt-in no longer needs: old unconfirmed sign-ups, used ones past expiry, stale throttle counts. */
export async function purgeSignups(
  db: Kysely<Database>,
  cutOffs: { unconfirmedBefore: Date; now: Date; throttleBefore: Date },
): Promise<PurgedSignups> {
  const unconfirmed = await db
    .deleteFrom('consent_signups')
    .where('confirmed_at', 'is', null)
    .where('created_at', '<', cutOffs.unconfirmedBefore)
    .returning(['tenant_id', 'id'])
    .execute();
  const used = await db
    .deleteFrom('consent_signups')
    .where('confirmed_at', 'is not', null)
    .where('expires_at', '<', cutOffs.now)
    .executeTakeFirst();
  const throttles = await db.deleteFrom('subscription_throttles').where('window_start', '<', cutOffs.throttleBefore).executeTakeFirst();
  return { unconfirmed, used: Number(used.numDeletedRows), throttles: Number(throttles.numDeletedRows) };
}
