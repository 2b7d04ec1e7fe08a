import type { Kysely } from 'kysely';
import { accessOf } from '../../access/access.service.js';
import { auditActorOf, recordChange, recordRead } from '../../audit/recorder.js';
import type { Database, EmailDirection } from '../../db/schema.js';
import { inTransaction } from '../../db/transaction.js';
import type { Authenticated } from '../../shared/actor.js';
import { decryptField, fieldKey } from '../../keys/field-crypto.js';
import type { Keyring } from '../../keys/keyring.js';
import { recordsSubjectId, sealField, subjectKeys } from '../../keys/keys.service.js';
import { newId } from '../../shared/ids.js';
import { CrmError } from '../common/crm.errors.js';
import { decodeCursor, pageOf, pageSize } from '../../shared/cursor.js';
import * as repo from './email-messages.repository.js';
import { contactSubjectId } from '../people/contacts.service.js';
import { getDeal } from '../deals/deals.service.js';
import { reachOf } from '../common/reach.js';
import { moveToBin } from '../recycle-bin/recycle-bin.repository.js';

/**
 * Logged e-mail messages: what was written to or by a contact, kept on the
 * contact and/or a deal. Addresses, subject and body are all personal, so
 * each is ciphertext under the contact's key (the tenant's records key for a
 * mail logged on a deal alone); erasing the person makes them unreadable.
 */

export interface EmailMessage {
  id: string;
  direction: EmailDirection;
  from: string;
  to: string[];
  subject: string;
  body: string;
  sentAt: Date;
  contactId: string | null;
  dealId: string | null;
  loggedBy: string;
  createdAt: Date;
}

export interface EmailMessageInput {
  direction: EmailDirection;
  from: string;
  to: string[];
  subject?: string;
  body: string;
  sentAt?: string | Date;
  contactId?: string;
  dealId?: string;
}

const SORT = '-sentAt';
// A bare address or "Display Name <address>".
const ADDRESS = /^(?:[^<>]*<\s*[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+\s*>|[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+)$/;
type Field = 'from' | 'to' | 'subject' | 'body';

type Row = NonNullable<Awaited<ReturnType<typeof repo.findEmailMessage>>>;

function ref(tenantId: string, id: string, subjectId: string, field: Field) {
  return { tenantId, subjectId, table: 'email_messages', rowId: id, field };
}

/**
 * Messages opened, the subject keys of all of them in one lookup (a page costs
 * one query, not four per row); undefined for a message whose person has been
 * erased (no key).
 */
async function openAll(db: Kysely<Database>, keyring: Keyring, rows: Row[]): Promise<Array<EmailMessage | undefined>> {
  if (rows.length === 0) return [];
  const keys = await subjectKeys(
    db,
    keyring,
    rows[0]!.tenant_id,
    rows.map((r) => r.subject_id),
  );
  return rows.map((row) => {
    const subjectKey = keys.get(row.subject_id);
    if (!subjectKey) return undefined;
    const key = fieldKey(subjectKey);
    const read = (field: Field, ciphertext: Buffer) => decryptField(key, ref(row.tenant_id, row.id, row.subject_id, field), ciphertext);
    return {
      id: row.id,
      direction: row.direction,
      from: read('from', row.from_enc),
      to: JSON.parse(read('to', row.to_enc)) as string[],
      subject: read('subject', row.subject_enc),
      body: read('body', row.body_enc),
      sentAt: row.sent_at,
      contactId: row.contact_id,
      dealId: row.deal_id,
      loggedBy: row.logged_by,
      createdAt: row.created_at,
    };
  });
}

async function open(db: Kysely<Database>, keyring: Keyring, row: Row): Promise<EmailMessage | undefined> {
  return (await openAll(db, keyring, [row]))[0];
}

function address(value: string, field: string): string {
  const trimmed = value.trim();
  if (trimmed.length > 320 || !ADDRESS.test(trimmed)) throw new CrmError('invalid_field', `${field} must be an e-mail address`);
  return trimmed;
}

function validate(input: EmailMessageInput) {
  if (input.direction !== 'inbound' && input.direction !== 'outbound')
    throw new CrmError('invalid_field', 'direction must be inbound or outbound');
  if (!Array.isArray(input.to) || input.to.length < 1 || input.to.length > 100)
    throw new CrmError('invalid_field', 'to lists 1 to 100 addresses');
  const subject = (input.subject ?? '').trim();
  if (subject.length > 1000) throw new CrmError('invalid_field', 'subject must be at most 1,000 characters');
  if (input.body.length > 1_000_000) throw new CrmError('invalid_field', 'body must be at most 1,000,000 characters');
  const sentAt = input.sentAt === undefined ? new Date() : new Date(input.sentAt);
  if (Number.isNaN(sentAt.getTime())) throw new CrmError('invalid_field', 'sentAt must be a date-time');
  return {
    from: address(input.from, 'from'),
    to: input.to.map((a, i) => address(a, `to[${i}]`)),
    subject,
    body: input.body,
    sentAt,
  };
}

/** The person a logged mail is about, for the audit trail: its contact's, when it has one. */
const aboutPeople = (row: Pick<Row, 'contact_id' | 'subject_id'>): string[] => (row.contact_id ? [row.subject_id] : []);
const MAIL_FIELDS = ['from', 'to', 'subject', 'body'];

/** Logs a mail on a contact and/or a deal of the actor's tenant. */
export async function logEmailMessage(
  db: Kysely<Database>,
  keyring: Keyring,
  actor: Authenticated,
  input: EmailMessageInput,
): Promise<EmailMessage> {
  const mail = validate(input);
  if (!input.contactId && !input.dealId) throw new CrmError('invalid_field', 'a logged e-mail needs a contactId or a dealId');
  return inTransaction(db, async (trx) => {
    const parents = await visibleParents(trx, actor, input, 'invalid_field');
    const subjectId = parents.contactSubjectId ?? (await recordsSubjectId(trx, keyring, actor.tenantId));
    const id = newId();
    const seal = (field: Field, value: string) => sealField(trx, keyring, ref(actor.tenantId, id, subjectId, field), value);
    const row = await repo.insertEmailMessage(trx, actor.tenantId, {
      id,
      direction: input.direction,
      subject_id: subjectId,
      from_enc: await seal('from', mail.from),
      to_enc: await seal('to', JSON.stringify(mail.to)),
      subject_enc: await seal('subject', mail.subject),
      body_enc: await seal('body', mail.body),
      sent_at: mail.sentAt,
      contact_id: input.contactId ?? null,
      deal_id: input.dealId ?? null,
      logged_by: actor.user.id,
    });
    await recordChange(trx, keyring, {
      tenantId: actor.tenantId,
      actor: auditActorOf(actor),
      action: 'email_message.logged',
      entity: 'email_messages',
      entityId: id,
      subjectIds: aboutPeople(row),
      fields: MAIL_FIELDS,
      details: { direction: input.direction },
    });
    return (await open(trx, keyring, row))!;
  });
}

/**
 * A logged mail is seen with its contact and deal: each one named must be a
 * record the actor sees. For a link being made, a miss is a bad field; for a
 * mail being read, it is no such mail.
 */
async function visibleParents(
  db: Kysely<Database>,
  actor: Authenticated,
  links: { contactId?: string | null; dealId?: string | null },
  miss: 'invalid_field' | 'record_not_found',
) {
  try {
    return {
      contactSubjectId: links.contactId ? await contactSubjectId(db, actor, links.contactId) : undefined,
      deal: links.dealId ? await getDeal(db, actor, links.dealId) : undefined,
    };
  } catch (error) {
    if (!(error instanceof CrmError) || error.code !== 'record_not_found') throw error;
    throw miss === 'invalid_field'
      ? new CrmError(
          'invalid_field',
          links.contactId ? 'contactId (or dealId) does not name a record you can see' : 'dealId does not name a deal',
        )
      : new CrmError('record_not_found', 'no such e-mail message');
  }
}

/** The message and its row, when the actor sees its parents; record_not_found otherwise. */
async function load(
  db: Kysely<Database>,
  keyring: Keyring,
  actor: Authenticated,
  id: string,
): Promise<{ message: EmailMessage; row: Row }> {
  const row = await repo.findEmailMessage(db, actor.tenantId, id);
  if (row) await visibleParents(db, actor, { contactId: row.contact_id, dealId: row.deal_id }, 'record_not_found');
  const message = row && (await open(db, keyring, row));
  if (!row || !message) throw new CrmError('record_not_found', 'no such e-mail message');
  return { message, row };
}

export async function getEmailMessage(db: Kysely<Database>, keyring: Keyring, actor: Authenticated, id: string): Promise<EmailMessage> {
  const { message, row } = await load(db, keyring, actor, id);
  await recordRead(db, keyring, {
    tenantId: actor.tenantId,
    actor: auditActorOf(actor),
    action: 'email_message.read',
    entity: 'email_messages',
    entityId: id,
    subjectIds: aboutPeople(row),
    fields: MAIL_FIELDS,
  });
  return message;
}

/** Logged mails, newest first, of one contact or deal (or all). */
export async function listEmailMessages(
  db: Kysely<Database>,
  keyring: Keyring,
  actor: Authenticated,
  query: { limit?: number; cursor?: string; contactId?: string; dealId?: string },
): Promise<{ items: EmailMessage[]; nextCursor: string | null }> {
  const limit = pageSize(query.limit);
  const after = decodeCursor(query.cursor, SORT);
  if (after && typeof after.key !== 'string') throw new CrmError('invalid_cursor', 'cursor is not one this API gave out');
  await visibleParents(db, actor, query, 'record_not_found');
  const rows = await repo.listEmailMessages(db, actor.tenantId, {
    reach: reachOf(await accessOf(db, actor), ['contacts', 'deals']),
    after: after ? { id: after.id, key: after.key as string } : null,
    limit: limit + 1,
    ...(query.contactId ? { contactId: query.contactId } : {}),
    ...(query.dealId ? { dealId: query.dealId } : {}),
  });
  const page = pageOf(rows, limit, (r) => r.sort_key, SORT);
  const opened = await openAll(db, keyring, page.rows);
  const items = opened.filter((m): m is EmailMessage => m !== undefined);
  if (items.length > 0) {
    await recordRead(db, keyring, {
      tenantId: actor.tenantId,
      actor: auditActorOf(actor),
      action: 'email_message.listed',
      entity: 'email_messages',
      subjectIds: [...new Set(page.rows.filter((_, i) => opened[i]).flatMap(aboutPeople))],
      fields: MAIL_FIELDS,
      details: { count: items.length },
    });
  }
  return { items, nextCursor: page.nextCursor };
}

export async function deleteEmailMessage(db: Kysely<Database>, keyring: Keyring, actor: Authenticated, id: string): Promise<void> {
  await load(db, keyring, actor, id);
  await inTransaction(db, async (trx) => {
    const row = await repo.findEmailMessage(trx, actor.tenantId, id);
    if (!row || !(await moveToBin(trx, actor.tenantId, 'email_messages', id)))
      throw new CrmError('record_not_found', 'no such e-mail message');
    await recordChange(trx, keyring, {
      tenantId: actor.tenantId,
      actor: auditActorOf(actor),
      action: 'email_message.deleted',
      entity: 'email_messages',
      entityId: id,
      subjectIds: aboutPeople(row),
    });
  });
}
