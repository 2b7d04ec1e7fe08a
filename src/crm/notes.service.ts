import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Authenticated } from '../identity/identity.service.js';
import type { Keyring } from '../keys/keyring.js';
import { openField, sealField } from '../keys/keys.service.js';
import { newId } from '../shared/ids.js';
import { getContact } from './contacts.service.js';
import { CrmError } from './crm.errors.js';
import * as repo from './crm.repository.js';
import { decodeCursor, encodeCursor, pageSize } from './cursor.js';

/** Notes on a contact: their bodies are personal, so ciphertext under the contact's subject key. */

export interface Note {
  id: string;
  contactId: string;
  authorId: string;
  body: string;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

type Row = NonNullable<Awaited<ReturnType<typeof repo.findNote>>>;

function ref(row: Pick<Row, 'tenant_id' | 'id' | 'subject_id'>) {
  return { tenantId: row.tenant_id, subjectId: row.subject_id, table: 'notes', rowId: row.id, field: 'body' };
}

function body(value: string): string {
  const trimmed = value.trim();
  if (trimmed.length < 1 || trimmed.length > 100_000) throw new CrmError('invalid_field', 'a note body is 1 to 100,000 characters');
  return trimmed;
}

async function open(db: Kysely<Database>, keyring: Keyring, row: Row): Promise<Note> {
  return {
    id: row.id,
    contactId: row.contact_id!,
    authorId: row.author_id,
    body: await openField(db, keyring, ref(row), row.body_enc),
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export async function createNote(
  db: Kysely<Database>,
  keyring: Keyring,
  actor: Authenticated,
  input: { body: string; contactId: string },
): Promise<Note> {
  const text = body(input.body);
  return db.transaction().execute(async (trx) => {
    // Reached through its contact: a contact the actor cannot see does not exist for them.
    const contact = await getContact(trx, keyring, actor, input.contactId);
    const id = newId();
    const row = { tenant_id: actor.tenantId, id, subject_id: contact.subjectId };
    const inserted = await repo.insertNote(trx, actor.tenantId, {
      id,
      contact_id: contact.id,
      subject_id: contact.subjectId,
      author_id: actor.user.id,
      body_enc: await sealField(trx, keyring, ref(row), text),
    });
    return open(trx, keyring, inserted);
  });
}

async function load(db: Kysely<Database>, keyring: Keyring, actor: Authenticated, id: string): Promise<Note> {
  const row = await repo.findNote(db, actor.tenantId, id);
  if (!row) throw new CrmError('record_not_found', 'no such note');
  await getContact(db, keyring, actor, row.contact_id!);
  try {
    return await open(db, keyring, row);
  } catch {
    throw new CrmError('record_not_found', 'no such note');
  }
}

export const getNote = load;

export async function listNotes(
  db: Kysely<Database>,
  keyring: Keyring,
  actor: Authenticated,
  query: { contactId?: string; limit?: number; cursor?: string },
): Promise<{ items: Note[]; nextCursor: string | null }> {
  const limit = pageSize(query.limit);
  const afterId = decodeCursor(query.cursor)?.id ?? null;
  if (query.contactId) await getContact(db, keyring, actor, query.contactId);
  const rows = await repo.listNotes(db, actor.tenantId, { ...(query.contactId ? { contactId: query.contactId } : {}), afterId, limit: limit + 1 });
  const page = rows.slice(0, limit);
  const items: Note[] = [];
  for (const row of page) {
    try {
      items.push(await open(db, keyring, row));
    } catch {
      // the person was erased: nothing left to show
    }
  }
  const last = page[page.length - 1];
  return { items, nextCursor: rows.length > limit && last ? encodeCursor({ id: last.id }) : null };
}

export async function updateNote(
  db: Kysely<Database>,
  keyring: Keyring,
  actor: Authenticated,
  id: string,
  input: { body: string; version?: number },
  ifMatch?: number,
): Promise<Note> {
  return db.transaction().execute(async (trx) => {
    const current = await load(trx, keyring, actor, id);
    const row = await repo.findNote(trx, actor.tenantId, id);
    const expected = ifMatch ?? input.version ?? current.version;
    const updated = await repo.updateNote(trx, actor.tenantId, id, expected, await sealField(trx, keyring, ref(row!), body(input.body)));
    if (!updated) throw new CrmError('version_conflict', `the note changed since version ${expected}; reload and try again`);
    return open(trx, keyring, updated);
  });
}

export async function deleteNote(db: Kysely<Database>, keyring: Keyring, actor: Authenticated, id: string): Promise<void> {
  await load(db, keyring, actor, id);
  if (!(await repo.softDeleteNote(db, actor.tenantId, id))) throw new CrmError('record_not_found', 'no such note');
}
