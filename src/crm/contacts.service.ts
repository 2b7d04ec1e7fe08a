import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Authenticated } from '../identity/identity.service.js';
import { EMAIL_INDEX, foldWords, NAME_INDEX, nameQueryTerms, normalizeEmail, PHONE_INDEX, type BlindIndexSpec } from '../keys/blind-index.js';
import { decryptField, encryptField, fieldKey } from '../keys/field-crypto.js';
import type { Keyring } from '../keys/keyring.js';
import { createSubject, findCandidates, indexRecord, subjectKey, subjectKeys } from '../keys/keys.service.js';
import { newId } from '../shared/ids.js';
import { CrmError } from './crm.errors.js';
import { decodeCursor, encodeCursor, pageSize } from './cursor.js';
import * as repo from './crm.repository.js';
import { findOrganization } from './organizations.repository.js';

/**
 * Contacts: people, so every personal field is ciphertext under the contact's
 * own subject key, and e-mail, phone and name are searchable through blind
 * indexes whose matches are confirmed after decryption.
 */

export const CONTACT_EMAIL_INDEX: BlindIndexSpec = { ...EMAIL_INDEX, name: 'contact_email' };
export const CONTACT_PHONE_INDEX: BlindIndexSpec = { ...PHONE_INDEX, name: 'contact_phone' };
export const CONTACT_NAME_INDEX: BlindIndexSpec = { ...NAME_INDEX, name: 'contact_name' };

export interface LabelledValue {
  value: string;
  label: string | null;
}

export interface Contact {
  id: string;
  ownerId: string;
  subjectId: string;
  firstName: string;
  lastName: string;
  emails: LabelledValue[];
  phones: LabelledValue[];
  organizationId: string | null;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface ContactInput {
  firstName?: string;
  lastName?: string;
  emails?: Array<string | { value: string; label?: string | null }>;
  phones?: Array<string | { value: string; label?: string | null }>;
  organizationId?: string | null;
}

const SUBJECT_KEY_VERSION = 1;

function labelled(values: ContactInput['emails'], kind: 'e-mail' | 'phone'): LabelledValue[] {
  return (values ?? []).map((v) => {
    const value = (typeof v === 'string' ? v : v.value).trim();
    const label = typeof v === 'string' ? null : (v.label?.trim() ?? null);
    if (!value || value.length > 254) throw new CrmError('invalid_field', `each ${kind} must be 1 to 254 characters`);
    if (kind === 'e-mail' && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value)) {
      throw new CrmError('invalid_field', 'an e-mail address is not valid');
    }
    return { value, label: label || null };
  });
}

function name(value: string | undefined, field: string): string {
  const trimmed = (value ?? '').trim();
  if (trimmed.length > 200) throw new CrmError('invalid_field', `${field} must be at most 200 characters`);
  return trimmed;
}

type Row = NonNullable<Awaited<ReturnType<typeof repo.findContact>>>;

function ctx(tenantId: string, id: string, field: string) {
  return { tenantId, table: 'contacts', rowId: id, field };
}

function open(key: Buffer, row: Row): Contact {
  const k = fieldKey(key);
  return {
    id: row.id,
    ownerId: row.owner_id,
    subjectId: row.subject_id,
    firstName: decryptField(k, ctx(row.tenant_id, row.id, 'first_name'), row.first_name_enc),
    lastName: decryptField(k, ctx(row.tenant_id, row.id, 'last_name'), row.last_name_enc),
    emails: JSON.parse(decryptField(k, ctx(row.tenant_id, row.id, 'emails'), row.emails_enc)) as LabelledValue[],
    phones: JSON.parse(decryptField(k, ctx(row.tenant_id, row.id, 'phones'), row.phones_enc)) as LabelledValue[],
    organizationId: row.organization_id,
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function seal(key: Buffer, tenantId: string, id: string, field: string, value: string): Buffer {
  return encryptField(fieldKey(key), SUBJECT_KEY_VERSION, ctx(tenantId, id, field), value);
}

async function index(db: Kysely<Database>, keyring: Keyring, tenantId: string, c: Contact): Promise<void> {
  await indexRecord(db, keyring, tenantId, { table: 'contacts', id: c.id, subjectId: c.subjectId }, [
    { spec: CONTACT_EMAIL_INDEX, values: c.emails.map((e) => e.value) },
    { spec: CONTACT_PHONE_INDEX, values: c.phones.map((p) => p.value) },
    { spec: CONTACT_NAME_INDEX, values: [`${c.firstName} ${c.lastName}`] },
  ]);
}

export async function createContact(
  db: Kysely<Database>,
  keyring: Keyring,
  actor: Authenticated,
  input: ContactInput,
): Promise<Contact> {
  const firstName = name(input.firstName, 'firstName');
  const lastName = name(input.lastName, 'lastName');
  if (!firstName && !lastName) throw new CrmError('invalid_field', 'a contact needs a first or last name');
  const emails = labelled(input.emails, 'e-mail');
  const phones = labelled(input.phones, 'phone');
  return db.transaction().execute(async (trx) => {
    const organizationId = await organizationOf(trx, actor, input.organizationId);
    const subject = await createSubject(trx, keyring, actor.tenantId, 'person');
    const id = newId();
    const row = await repo.insertContact(trx, actor.tenantId, {
      id,
      subject_id: subject.id,
      owner_id: actor.user.id,
      first_name_enc: seal(subject.key, actor.tenantId, id, 'first_name', firstName),
      last_name_enc: seal(subject.key, actor.tenantId, id, 'last_name', lastName),
      emails_enc: seal(subject.key, actor.tenantId, id, 'emails', JSON.stringify(emails)),
      phones_enc: seal(subject.key, actor.tenantId, id, 'phones', JSON.stringify(phones)),
      organization_id: organizationId,
    });
    const contact = open(subject.key, row);
    await index(trx, keyring, actor.tenantId, contact);
    return contact;
  });
}

/** The organization a contact links to, which must exist in the actor's tenant. */
async function organizationOf(db: Kysely<Database>, actor: Authenticated, id: string | null | undefined): Promise<string | null> {
  if (id === undefined || id === null) return null;
  if (!(await findOrganization(db, actor.tenantId, id))) {
    throw new CrmError('invalid_field', 'organizationId does not name an organization');
  }
  return id;
}

async function load(db: Kysely<Database>, keyring: Keyring, actor: Authenticated, id: string): Promise<Contact> {
  const row = await repo.findContact(db, actor.tenantId, id);
  if (!row) throw new CrmError('record_not_found', 'no such contact');
  try {
    return open(await subjectKey(db, keyring, actor.tenantId, row.subject_id), row);
  } catch {
    // An erased person's record is gone for every purpose.
    throw new CrmError('record_not_found', 'no such contact');
  }
}

export function getContact(db: Kysely<Database>, keyring: Keyring, actor: Authenticated, id: string): Promise<Contact> {
  return load(db, keyring, actor, id);
}

export interface ContactPage {
  items: Contact[];
  nextCursor: string | null;
}


/** A page of contacts; `email` finds by exact address (any case), `q` by name words and prefixes. */
export async function listContacts(
  db: Kysely<Database>,
  keyring: Keyring,
  actor: Authenticated,
  query: { limit?: number; cursor?: string; email?: string; q?: string; organizationId?: string },
): Promise<ContactPage> {
  const limit = pageSize(query.limit);
  let ids: string[] | undefined;
  if (query.email !== undefined) {
    ids = await findCandidates(db, keyring, actor.tenantId, 'contacts', CONTACT_EMAIL_INDEX, normalizeEmail(query.email));
  }
  if (query.q !== undefined) {
    const byName = await findCandidates(db, keyring, actor.tenantId, 'contacts', CONTACT_NAME_INDEX, nameQueryTerms(query.q));
    ids = ids ? ids.filter((id) => byName.includes(id)) : byName;
  }
  const rows = await repo.listContacts(db, actor.tenantId, {
    afterId: decodeCursor(query.cursor)?.id ?? null,
    limit: limit + 1,
    ...(ids ? { ids } : {}),
    ...(query.organizationId ? { organizationId: query.organizationId } : {}),
  });
  const keys = await subjectKeys(db, keyring, actor.tenantId, rows.map((r) => r.subject_id));
  const opened = rows.filter((r) => keys.has(r.subject_id)).map((r) => open(keys.get(r.subject_id)!, r));
  // Blind index matches are candidates: confirm each against the decrypted values.
  const wantedEmail = query.email?.trim().toLowerCase();
  const wantedWords = query.q !== undefined ? foldWords(query.q) : undefined;
  const confirmed = opened.filter((c) => {
    if (wantedEmail && !c.emails.some((e) => e.value.toLowerCase() === wantedEmail)) return false;
    if (wantedWords) {
      const words = foldWords(`${c.firstName} ${c.lastName}`);
      return wantedWords.every((w, i) => (i < wantedWords.length - 1 ? words.includes(w) : words.some((x) => x.startsWith(w))));
    }
    return true;
  });
  const hasMore = rows.length > limit;
  const pageRows = hasMore ? rows.slice(0, limit) : rows;
  const items = confirmed.filter((c) => pageRows.some((r) => r.id === c.id));
  const last = pageRows[pageRows.length - 1];
  return { items, nextCursor: hasMore && last ? encodeCursor({ id: last.id }) : null };
}

export async function updateContact(
  db: Kysely<Database>,
  keyring: Keyring,
  actor: Authenticated,
  id: string,
  input: ContactInput & { version?: number },
  ifMatch?: number,
): Promise<Contact> {
  return db.transaction().execute(async (trx) => {
    const current = await load(trx, keyring, actor, id);
    const expected = ifMatch ?? input.version ?? current.version;
    const key = await subjectKey(trx, keyring, actor.tenantId, current.subjectId);
    const next: Contact = {
      ...current,
      ...(input.firstName !== undefined ? { firstName: name(input.firstName, 'firstName') } : {}),
      ...(input.lastName !== undefined ? { lastName: name(input.lastName, 'lastName') } : {}),
      ...(input.emails !== undefined ? { emails: labelled(input.emails, 'e-mail') } : {}),
      ...(input.phones !== undefined ? { phones: labelled(input.phones, 'phone') } : {}),
      ...(input.organizationId !== undefined ? { organizationId: await organizationOf(trx, actor, input.organizationId) } : {}),
    };
    if (!next.firstName && !next.lastName) throw new CrmError('invalid_field', 'a contact needs a first or last name');
    const row = await repo.updateContact(trx, actor.tenantId, id, expected, {
      first_name_enc: seal(key, actor.tenantId, id, 'first_name', next.firstName),
      last_name_enc: seal(key, actor.tenantId, id, 'last_name', next.lastName),
      emails_enc: seal(key, actor.tenantId, id, 'emails', JSON.stringify(next.emails)),
      phones_enc: seal(key, actor.tenantId, id, 'phones', JSON.stringify(next.phones)),
      organization_id: next.organizationId,
    });
    if (!row) throw new CrmError('version_conflict', `the contact changed since version ${expected}; reload and try again`);
    const updated = open(key, row);
    await index(trx, keyring, actor.tenantId, updated);
    return updated;
  });
}

/** Soft delete: the record leaves every list and read; erasure is a separate, final act. */
export async function deleteContact(db: Kysely<Database>, actor: Authenticated, id: string): Promise<void> {
  if (!(await repo.softDeleteContact(db, actor.tenantId, id))) throw new CrmError('record_not_found', 'no such contact');
}
