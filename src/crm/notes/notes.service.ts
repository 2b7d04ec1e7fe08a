import type { Kysely } from 'kysely';
import { assertSubjectUnrestricted, recordingBlocked } from '../common/restriction.js';
import { requirePermission } from '../../access/access.service.js';
import { auditActorOf, recordChange, recordRead } from '../../audit/recorder.js';
import type { Database } from '../../db/schema.js';
import type { Authenticated } from '../../shared/actor.js';
import { decryptField, encryptField, fieldKey } from '../../keys/field-crypto.js';
import type { Keyring } from '../../keys/keyring.js';
import { recordsSubjectId, subjectKey, subjectKeys } from '../../keys/keys.service.js';
import { newId } from '../../shared/ids.js';
import { contactSubjectId } from '../people/contacts.service.js';
import { CrmError } from '../common/crm.errors.js';
import { getDeal } from '../deals/deals.service.js';
import * as repo from './notes.repository.js';
import { decodeCursor, pageOf, pageSize } from '../../shared/cursor.js';
import { leadSubjectId } from '../people/leads.service.js';
import { getOrganization } from '../organizations/organizations.service.js';
import { reachOf } from '../common/reach.js';
import { moveToBin } from '../recycle-bin/recycle-bin.repository.js';

/**
 * Notes on any record. A body is free text, so it is personal: under the
 * person's subject key when the note is on a contact or lead (erasing the
 * person erases their notes), else under the tenant's records subject.
 */

export const NOTE_PARENTS = ['contactId', 'leadId', 'organizationId', 'dealId'] as const;
export type NoteParent = (typeof NOTE_PARENTS)[number];
const COLUMNS = { contactId: 'contact_id', leadId: 'lead_id', organizationId: 'organization_id', dealId: 'deal_id' } as const;

export interface Note {
  id: string;
  contactId: string | null;
  leadId: string | null;
  organizationId: string | null;
  dealId: string | null;
  authorId: string;
  body: string;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

export type NoteParentRef = Partial<Record<NoteParent, string>>;

type Row = NonNullable<Awaited<ReturnType<typeof repo.findNote>>>;

function ctx(row: Pick<Row, 'tenant_id' | 'id'>) {
  return { tenantId: row.tenant_id, table: 'notes', rowId: row.id, field: 'body' };
}

/** The people a note is about, for the audit trail: its person, when its parent is a contact or lead. */
function aboutPeople(row: Pick<Row, 'contact_id' | 'lead_id' | 'subject_id'>): string[] {
  return row.contact_id || row.lead_id ? [row.subject_id] : [];
}

export function bodyOf(value: string): string {
  const trimmed = value.trim();
  if (trimmed.length < 1 || trimmed.length > 100_000) throw new CrmError('invalid_field', 'a note body is 1 to 100,000 characters');
  return trimmed;
}

function toNote(row: Row, body: string): Note {
  return {
    id: row.id,
    contactId: row.contact_id,
    leadId: row.lead_id,
    organizationId: row.organization_id,
    dealId: row.deal_id,
    authorId: row.author_id,
    body,
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function parentOf(ref: NoteParentRef): [NoteParent, string] {
  const given = NOTE_PARENTS.filter((p) => ref[p] !== undefined);
  if (given.length !== 1) throw new CrmError('invalid_field', `a note hangs on exactly one of ${NOTE_PARENTS.join(', ')}`);
  return [given[0]!, ref[given[0]!]!];
}

/**
 * The subject whose key seals notes on this parent, after checking the actor
 * can see the parent: a parent they cannot see does not exist for them.
 * Nothing personal of the parent is opened (nor recorded as read) for this.
 */
async function parentSubject(
  db: Kysely<Database>,
  keyring: Keyring,
  actor: Authenticated,
  parent: NoteParent,
  id: string,
): Promise<string> {
  switch (parent) {
    case 'contactId':
      return contactSubjectId(db, actor, id);
    case 'leadId':
      return leadSubjectId(db, actor, id);
    case 'organizationId':
      await getOrganization(db, actor, id);
      return recordsSubjectId(db, keyring, actor.tenantId);
    case 'dealId':
      await getDeal(db, actor, id);
      return recordsSubjectId(db, keyring, actor.tenantId);
  }
}

function parentOfRow(row: Row): [NoteParent, string] {
  for (const p of NOTE_PARENTS) {
    const value = row[COLUMNS[p]];
    if (value) return [p, value];
  }
  throw new Error('a note without a parent');
}

export async function createNote(
  db: Kysely<Database>,
  keyring: Keyring,
  actor: Authenticated,
  input: { body: string } & NoteParentRef,
): Promise<Note> {
  await requirePermission(db, actor, 'notes', 'create');
  const text = bodyOf(input.body);
  const [parent, parentId] = parentOf(input);
  return recordingBlocked(db, keyring, actor, { table: 'notes', id: null }, 'note', () =>
    db.transaction().execute(async (trx) => {
      const subjectId = await parentSubject(trx, keyring, actor, parent, parentId);
      if (parent === 'contactId' || parent === 'leadId') await assertSubjectUnrestricted(trx, actor.tenantId, subjectId);
      const id = newId();
      const key = fieldKey(await subjectKey(trx, keyring, actor.tenantId, subjectId));
      const row = await repo.insertNote(trx, actor.tenantId, {
        id,
        [COLUMNS[parent]]: parentId,
        subject_id: subjectId,
        author_id: actor.user.id,
        body_enc: encryptField(key, 1, ctx({ tenant_id: actor.tenantId, id }), text),
      });
      await recordChange(trx, keyring, {
        tenantId: actor.tenantId,
        actor: auditActorOf(actor),
        action: 'note.created',
        entity: 'notes',
        entityId: id,
        subjectIds: aboutPeople(row),
        fields: ['body'],
        values: { subjectId, data: { body: { new: text } } },
        details: { parent },
      });
      return toNote(row, text);
    }),
  );
}

/**
 * Notes an import attaches to contacts it has just created, in the import
 * batch's transaction: one INSERT and one audit entry for the lot (as the
 * contacts themselves are recorded), each body under its person's key.
 */
export async function createImportedNotes(
  trx: Kysely<Database>,
  keyring: Keyring,
  actor: Authenticated,
  notes: Array<{ contactId: string; subjectId: string; body: string }>,
): Promise<void> {
  if (notes.length === 0) return;
  await requirePermission(trx, actor, 'notes', 'create');
  const keys = await subjectKeys(
    trx,
    keyring,
    actor.tenantId,
    notes.map((n) => n.subjectId),
  );
  const rows = notes.map((n) => {
    const id = newId();
    const key = fieldKey(keys.get(n.subjectId)!);
    return {
      id,
      contact_id: n.contactId,
      subject_id: n.subjectId,
      author_id: actor.user.id,
      body_enc: encryptField(key, 1, ctx({ tenant_id: actor.tenantId, id }), bodyOf(n.body)),
    };
  });
  await repo.insertNotes(trx, actor.tenantId, rows);
  await recordChange(trx, keyring, {
    tenantId: actor.tenantId,
    actor: auditActorOf(actor),
    action: 'note.imported',
    entity: 'notes',
    subjectIds: [...new Set(notes.map((n) => n.subjectId))],
    details: { count: rows.length },
  });
}

async function load(
  db: Kysely<Database>,
  keyring: Keyring,
  actor: Authenticated,
  id: string,
  options: { deleted?: boolean } = {},
): Promise<Note> {
  return (await loadWithRow(db, keyring, actor, id, options)).note;
}

async function loadWithRow(
  db: Kysely<Database>,
  keyring: Keyring,
  actor: Authenticated,
  id: string,
  options: { deleted?: boolean } = {},
): Promise<{ note: Note; row: Row }> {
  await requirePermission(db, actor, 'notes', 'view');
  const row = await repo.findNote(db, actor.tenantId, id, options);
  if (!row) throw new CrmError('record_not_found', 'no such note');
  const [parent, parentId] = parentOfRow(row);
  await parentSubject(db, keyring, actor, parent, parentId);
  try {
    const key = fieldKey(await subjectKey(db, keyring, actor.tenantId, row.subject_id));
    return { note: toNote(row, decryptField(key, ctx(row), row.body_enc)), row };
  } catch {
    throw new CrmError('record_not_found', 'no such note');
  }
}

export async function getNote(db: Kysely<Database>, keyring: Keyring, actor: Authenticated, id: string): Promise<Note> {
  const { note, row } = await loadWithRow(db, keyring, actor, id);
  await recordRead(db, keyring, {
    tenantId: actor.tenantId,
    actor: auditActorOf(actor),
    action: 'note.read',
    entity: 'notes',
    entityId: id,
    subjectIds: aboutPeople(row),
    fields: ['body'],
  });
  return note;
}

/** Notes newest first, of one parent record or of every record. */
export async function listNotes(
  db: Kysely<Database>,
  keyring: Keyring,
  actor: Authenticated,
  query: NoteParentRef & { limit?: number; cursor?: string },
): Promise<{ items: Note[]; nextCursor: string | null }> {
  const access = await requirePermission(db, actor, 'notes', 'view');
  const limit = pageSize(query.limit);
  const afterId = decodeCursor(query.cursor)?.id ?? null;
  const given = NOTE_PARENTS.filter((p) => query[p] !== undefined);
  if (given.length > 1) throw new CrmError('invalid_field', `filter by one of ${NOTE_PARENTS.join(', ')} at a time`);
  const parent = given[0];
  if (parent) await parentSubject(db, keyring, actor, parent, query[parent]!);
  // A note is seen with its record: only notes whose parent the actor reaches.
  const reach = reachOf(access, ['contacts', 'leads', 'organizations', 'deals']);
  const rows = await repo.listNotes(db, actor.tenantId, {
    ...(parent ? { parent: { column: COLUMNS[parent], id: query[parent]! } } : {}),
    reach,
    afterId,
    limit: limit + 1,
  });
  const page = pageOf(rows, limit);
  const keys = await subjectKeys(
    db,
    keyring,
    actor.tenantId,
    page.rows.map((r) => r.subject_id),
  );
  const shown = page.rows.filter((r) => keys.has(r.subject_id)); // the person was erased: nothing left to show
  const items = shown.map((r) => toNote(r, decryptField(fieldKey(keys.get(r.subject_id)!), ctx(r), r.body_enc)));
  if (items.length > 0) {
    await recordRead(db, keyring, {
      tenantId: actor.tenantId,
      actor: auditActorOf(actor),
      action: 'note.listed',
      entity: 'notes',
      subjectIds: [...new Set(shown.flatMap(aboutPeople))],
      fields: ['body'],
      details: { count: items.length },
    });
  }
  return { items, nextCursor: page.nextCursor };
}

export async function updateNote(
  db: Kysely<Database>,
  keyring: Keyring,
  actor: Authenticated,
  id: string,
  input: { body: string; version?: number },
  ifMatch?: number,
): Promise<Note> {
  await requirePermission(db, actor, 'notes', 'edit');
  const text = bodyOf(input.body);
  return recordingBlocked(db, keyring, actor, { table: 'notes', id }, 'note', () =>
    db.transaction().execute(async (trx) => {
      const current = await load(trx, keyring, actor, id);
      const row = (await repo.findNote(trx, actor.tenantId, id))!;
      if (row.contact_id || row.lead_id) await assertSubjectUnrestricted(trx, actor.tenantId, row.subject_id);
      const expected = ifMatch ?? input.version ?? current.version;
      const key = fieldKey(await subjectKey(trx, keyring, actor.tenantId, row.subject_id));
      const updated = await repo.updateNote(trx, actor.tenantId, id, expected, encryptField(key, 1, ctx(row), text));
      if (!updated) throw new CrmError('version_conflict', `the note changed since version ${expected}; reload and try again`);
      await recordChange(trx, keyring, {
        tenantId: actor.tenantId,
        actor: auditActorOf(actor),
        action: 'note.updated',
        entity: 'notes',
        entityId: id,
        subjectIds: aboutPeople(row),
        fields: current.body === text ? [] : ['body'],
        values: { subjectId: row.subject_id, data: current.body === text ? {} : { body: { old: current.body, new: text } } },
        details: { version: updated.version },
      });
      return toNote(updated, text);
    }),
  );
}

/** Soft delete into the recycle bin. */
export async function deleteNote(db: Kysely<Database>, keyring: Keyring, actor: Authenticated, id: string): Promise<void> {
  await load(db, keyring, actor, id);
  await requirePermission(db, actor, 'notes', 'delete');
  await recordingBlocked(db, keyring, actor, { table: 'notes', id }, 'delete note', () =>
    db.transaction().execute(async (trx) => {
      const row = await repo.findNote(trx, actor.tenantId, id);
      if (row && (row.contact_id || row.lead_id)) await assertSubjectUnrestricted(trx, actor.tenantId, row.subject_id);
      if (!row || !(await moveToBin(trx, actor.tenantId, 'notes', id))) throw new CrmError('record_not_found', 'no such note');
      await recordChange(trx, keyring, {
        tenantId: actor.tenantId,
        actor: auditActorOf(actor),
        action: 'note.deleted',
        entity: 'notes',
        entityId: id,
        subjectIds: aboutPeople(row),
      });
    }),
  );
}

/** A note in the recycle bin, checked against its parent, for restoring. */
export async function getDeletedNote(db: Kysely<Database>, keyring: Keyring, actor: Authenticated, id: string): Promise<Note> {
  return load(db, keyring, actor, id, { deleted: true });
}
