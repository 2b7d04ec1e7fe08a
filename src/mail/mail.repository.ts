import type { Insertable, Kysely, Selectable } from 'kysely';
import type { Database, MailOutboxTable, MailStatus } from '../db/schema.js';

// The outbox is operator-wide, not tenant-owned: one sender delivers the mail
// of every tenant (and operator mail with tenant_id null), so these queries
// are deliberately not scoped to a tenant.

export type MailRow = Selectable<MailOutboxTable>;
export type NewMailRow = Insertable<MailOutboxTable>;

export async function insertMail(db: Kysely<Database>, row: NewMailRow): Promise<MailRow> {
  return db.insertInto('mail_outbox').values(row).returningAll().executeTakeFirstOrThrow();
}

/**
 * Claims up to `limit` due messages by moving their next attempt to
 * `leaseUntil` and counting the attempt. `skip locked` lets several nodes
 * claim at once without waiting for, or taking, each other's rows; the lease
 * makes a message that a crashed node claimed due again once it runs out.
 */
export async function claimDueMail(db: Kysely<Database>, options: { now: Date; leaseUntil: Date; limit: number }): Promise<MailRow[]> {
  const claim = async (trx: Kysely<Database>) => {
    const due = await trx
      .selectFrom('mail_outbox')
      .select('id')
      .where('status', '=', 'pending')
      // `now` has whole milliseconds, the database's default now() microseconds: a message queued earlier in the
      // same millisecond is due (it was missed when the sender asked straight after queueing: a flaky test).
      .where('next_attempt_at', '<', new Date(options.now.getTime() + 1))
      .orderBy('next_attempt_at')
      .orderBy('id')
      .limit(options.limit)
      .forUpdate()
      .skipLocked()
      .execute();
    if (due.length === 0) return [];
    const ids = due.map((r) => r.id);
    const rows = await trx
      .updateTable('mail_outbox')
      .set((eb) => ({ attempts: eb('attempts', '+', 1), next_attempt_at: options.leaseUntil }))
      .where('id', 'in', ids)
      .returningAll()
      .execute();
    // update … returning comes back in no particular order; keep the queue's.
    return ids.flatMap((id) => rows.filter((r) => r.id === id));
  };
  return db.isTransaction ? claim(db) : db.transaction().execute(claim);
}

/**
 * Records delivery and drops the bodies and headers, which may carry secrets
 * (a single-use reset link, a person's withdrawal link).
 */
export async function markMailSent(db: Kysely<Database>, id: string, sentAt: Date): Promise<void> {
  await db
    .updateTable('mail_outbox')
    .set({ status: 'sent', sent_at: sentAt, text_body: '', html_body: '', headers: null, last_error: null })
    .where('id', '=', id)
    .execute();
}

// Retry and failure only apply to the claim that made the attempt: if its
// lease ran out and another node claimed the message since, that node decides.
export async function scheduleMailRetry(
  db: Kysely<Database>,
  claim: { id: string; attempts: number },
  nextAttemptAt: Date,
  lastError: string,
): Promise<void> {
  await db
    .updateTable('mail_outbox')
    .set({ next_attempt_at: nextAttemptAt, last_error: lastError })
    .where('id', '=', claim.id)
    .where('status', '=', 'pending')
    .where('attempts', '=', claim.attempts)
    .execute();
}

export async function markMailFailed(db: Kysely<Database>, claim: { id: string; attempts: number }, lastError: string): Promise<void> {
  await db
    .updateTable('mail_outbox')
    .set({ status: 'failed', last_error: lastError })
    .where('id', '=', claim.id)
    .where('status', '=', 'pending')
    .where('attempts', '=', claim.attempts)
    .execute();
}

export async function listMail(db: Kysely<Database>, filter: { status?: MailStatus; limit: number }): Promise<MailRow[]> {
  let query = db.selectFrom('mail_outbox').selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(filter.limit);
  if (filter.status) query = query.where('status', '=', filter.status);
  return query.execute();
}

export async function findMailById(db: Kysely<Database>, id: string): Promise<MailRow | undefined> {
  return db.selectFrom('mail_outbox').selectAll().where('id', '=', id).executeTakeFirst();
}
