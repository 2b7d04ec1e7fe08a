import type { Kysely } from 'kysely';
import { parentInReach, type ParentModule, type Reach } from '../common/reach.js';
import type { Database, EmailDirection } from '../../db/schema.js';
import { after, orderBy, sortKey, type Keyset } from '../common/pagination.js';

// The only SQL for logged e-mail messages. They are a record of what was
// said: inserted and deleted, never updated.

export type EmailMessageValues = {
  direction: EmailDirection;
  subject_id: string;
  from_enc: Buffer;
  to_enc: Buffer;
  subject_enc: Buffer;
  body_enc: Buffer;
  sent_at: Date;
  contact_id: string | null;
  deal_id: string | null;
  logged_by: string;
};

/** Newest first. */
const BY_SENT: Keyset = { column: 'email_messages.sent_at', id: 'email_messages.id', descending: true, cast: 'timestamptz' };

export async function insertEmailMessage(db: Kysely<Database>, tenantId: string, row: EmailMessageValues & { id: string }) {
  return db
    .insertInto('email_messages')
    .values({ ...row, tenant_id: tenantId, created_at: new Date() })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function findEmailMessage(db: Kysely<Database>, tenantId: string, id: string) {
  return db
    .selectFrom('email_messages')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
}

/** A page, newest first; each row carries `sort_key` for the next cursor. */
export async function listEmailMessages(
  db: Kysely<Database>,
  tenantId: string,
  q: {
    after: { key: string; id: string } | null;
    limit: number;
    contactId?: string;
    dealId?: string;
    reach?: Partial<Record<ParentModule, Reach>>;
  },
) {
  const [first, second] = orderBy(BY_SENT);
  let query = db
    .selectFrom('email_messages')
    .selectAll()
    .select(sortKey(BY_SENT).as('sort_key'))
    .where('tenant_id', '=', tenantId)
    .where('deleted_at', 'is', null)
    .orderBy(first)
    .orderBy(second)
    .limit(q.limit);
  if (q.after) query = query.where(after(BY_SENT, q.after));
  if (q.contactId) query = query.where('contact_id', '=', q.contactId);
  if (q.dealId) query = query.where('deal_id', '=', q.dealId);
  for (const [parent, column] of [
    ['contacts', 'email_messages.contact_id'],
    ['deals', 'email_messages.deal_id'],
  ] as const) {
    const condition = q.reach?.[parent] ? parentInReach(column, parent, q.reach[parent]) : null;
    if (condition) query = query.where(condition);
  }
  return query.execute();
}
