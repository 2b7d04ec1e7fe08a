import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { Authenticated } from '../../shared/actor.js';
import type { Keyring } from '../../keys/keyring.js';
import { organizationOf } from '../common/links.service.js';
import { indexesOf } from './people.js';
import {
  createPerson,
  deletePerson,
  getPerson,
  listPeople,
  personSubjectId,
  updatePerson,
  type PersonKind,
  type PersonListParams,
  type PersonRecord,
  type PersonRecordInput,
} from './person-records.js';

/**
 * Contacts: people, so every personal field is ciphertext under the contact's
 * own subject key, and e-mail, phone and name are searchable through blind
 * indexes whose matches are confirmed after decryption.
 */

export type { LabelledValue } from './people.js';

const indexes = indexesOf('contacts');
export const CONTACT_EMAIL_INDEX = indexes.email;
export const CONTACT_PHONE_INDEX = indexes.phone;
export const CONTACT_NAME_INDEX = indexes.name;

export interface Contact extends PersonRecord {
  organizationId: string | null;
  /** The lead this contact was converted from. */
  leadId: string | null;
}

export interface ContactInput extends PersonRecordInput {
  organizationId?: string | null;
}

export const contactKind: PersonKind<Contact, ContactInput> = {
  table: 'contacts',
  noun: 'contact',
  async plainColumns(db, actor, input, current) {
    if (input.organizationId === undefined) return current ? {} : { organization_id: null };
    if (current && input.organizationId === current.organizationId) return {};
    return { organization_id: await organizationOf(db, actor, input.organizationId) };
  },
  toRecord(base, row) {
    return { ...base, organizationId: (row.organization_id as string | null) ?? null, leadId: (row.lead_id as string | null) ?? null };
  },
};

const kind = contactKind as PersonKind<Contact, never>;

export function createContact(db: Kysely<Database>, keyring: Keyring, actor: Authenticated, input: ContactInput): Promise<Contact> {
  return createPerson(db, keyring, actor, contactKind, input);
}

/** The contact's data subject, for its access log: visibility is checked, nothing personal is read. */
export function contactSubjectId(db: Kysely<Database>, actor: Authenticated, id: string): Promise<string> {
  return personSubjectId(db, actor, kind, id);
}

export function getContact(db: Kysely<Database>, keyring: Keyring, actor: Authenticated, id: string): Promise<Contact> {
  return getPerson(db, keyring, actor, kind, id);
}

export interface ContactListParams extends PersonListParams {
  organizationId?: string;
}

/** A page of contacts; `email` finds by exact address (any case), `q` by name words and prefixes. */
export function listContacts(
  db: Kysely<Database>,
  keyring: Keyring,
  actor: Authenticated,
  params: ContactListParams,
): Promise<{ items: Contact[]; nextCursor: string | null }> {
  return listPeople(db, keyring, actor, kind, params, params.organizationId ? { organization_id: params.organizationId } : {});
}

export function updateContact(
  db: Kysely<Database>,
  keyring: Keyring,
  actor: Authenticated,
  id: string,
  input: ContactInput & { version?: number },
  ifMatch?: number,
): Promise<Contact> {
  return updatePerson(db, keyring, actor, contactKind, id, input, ifMatch);
}

/** Soft delete: the record leaves every list and read; erasure is a separate, final act. */
export function deleteContact(db: Kysely<Database>, keyring: Keyring, actor: Authenticated, id: string): Promise<void> {
  return deletePerson(db, keyring, actor, kind, id);
}
