import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { Authenticated } from '../../shared/actor.js';
import { isActiveUser } from '../../identity/users.service.js';
import { isEmailAddress } from '../../shared/email.js';
import {
  EMAIL_INDEX,
  foldWords,
  NAME_INDEX,
  nameQueryTerms,
  normalizeEmail,
  PHONE_INDEX,
  type BlindIndexSpec,
} from '../../keys/blind-index.js';
import { decryptField, encryptField, fieldKey } from '../../keys/field-crypto.js';
import type { Keyring } from '../../keys/keyring.js';
import { findCandidates, indexRecord } from '../../keys/keys.service.js';
import { CrmError } from '../common/crm.errors.js';
import type { CustomValues } from '../custom-fields/custom-fields.service.js';
import type { PersonTable } from './people.repository.js';

/**
 * What contacts and leads share: a person's fields, every one of them
 * ciphertext under the person's own subject key, bound to tenant, table, row
 * and field; and the blind indexes that find them by e-mail, phone and name.
 */

export const LAWFUL_BASES = ['consent', 'contract', 'legal_obligation', 'vital_interests', 'public_task', 'legitimate_interests'] as const;
export type LawfulBasis = (typeof LAWFUL_BASES)[number];

export interface LabelledValue {
  value: string;
  label: string | null;
}

export interface Address {
  street: string | null;
  postalCode: string | null;
  city: string | null;
  region: string | null;
  country: string | null;
}

/** The personal fields of a contact or lead, in the clear. */
export interface PersonFields {
  firstName: string;
  lastName: string;
  emails: LabelledValue[];
  phones: LabelledValue[];
  jobTitle: string | null;
  address: Address | null;
  birthday: string | null;
  language: string | null;
}

export type LabelledInput = Array<string | { value: string; label?: string | null }>;

export interface PersonInput {
  firstName?: string;
  lastName?: string;
  emails?: LabelledInput;
  phones?: LabelledInput;
  jobTitle?: string | null;
  address?: Partial<Address> | null;
  birthday?: string | null;
  language?: string | null;
}

/**
 * An extension after a number as people and tools write it: `x123`, `ext. 12`, `extension 5`, `#12`,
 * Dutch `toestel`/`tst.`, German `Durchwahl`/`App.`, French `poste`, and a tel: URI's `;ext=5555`.
 */
const PHONE_EXTENSION = /^(.*?)\s*(?:;\s*ext=|,?\s*(?:ext(?:ension)?|x|#|toestel|tst|durchwahl|dw|app|poste)\.?:?)\s*(\d{1,10})$/i;

/** A phone number as written, its extension (if any) written as libphonenumber formats it: "+31 20 123 4567 ext. 123". */
export function phoneNumber(written: string): string {
  const extension = PHONE_EXTENSION.exec(written.trim());
  const number = (extension ? extension[1]! : written).trim();
  if (!/^[+()0-9 ./-]{3,40}$/.test(number))
    throw new CrmError(
      'invalid_field',
      'a phone number holds digits, spaces and + ( ) . / - only, and may end in an extension (x123, ext. 123)',
    );
  return extension ? `${number} ext. ${extension[2]}` : number;
}

function labelled(values: LabelledInput, kind: 'e-mail' | 'phone'): LabelledValue[] {
  return values.map((v) => {
    const value = (typeof v === 'string' ? v : v.value).trim();
    const label = typeof v === 'string' ? null : (v.label?.trim() ?? null);
    if (!value || value.length > 254) throw new CrmError('invalid_field', `each ${kind} must be 1 to 254 characters`);
    if (kind === 'e-mail' && !isEmailAddress(value)) throw new CrmError('invalid_field', 'an e-mail address is not valid');
    return { value: kind === 'phone' ? phoneNumber(value) : value, label: label || null };
  });
}

function text(value: string | null | undefined, field: string, max: number): string | null {
  if (value === undefined || value === null) return null;
  const trimmed = value.trim();
  if (trimmed.length > max) throw new CrmError('invalid_field', `${field} must be at most ${max} characters`);
  return trimmed || null;
}

function birthday(value: string | null | undefined): string | null {
  if (value === undefined || value === null || value === '') return null;
  // A birthday without its year (vCard's --MMDD, Google's --MM-DD), as ISO 8601 writes it.
  const yearless = /^--(\d{2})-(\d{2})$/.exec(value);
  if (yearless) {
    const probe = new Date(`2000-${yearless[1]}-${yearless[2]}T00:00:00Z`);
    if (Number.isNaN(probe.getTime()) || probe.toISOString().slice(5, 10) !== `${yearless[1]}-${yearless[2]}`) {
      throw new CrmError('invalid_field', 'birthday must be a date as YYYY-MM-DD (or --MM-DD without the year)');
    }
    return value;
  }
  const date = new Date(`${value}T00:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== value) {
    throw new CrmError('invalid_field', 'birthday must be a date as YYYY-MM-DD (or --MM-DD without the year)');
  }
  if (date.getTime() > Date.now()) throw new CrmError('invalid_field', 'birthday cannot be in the future');
  return value;
}

function language(value: string | null | undefined): string | null {
  if (value === undefined || value === null || value === '') return null;
  if (!/^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$/.test(value))
    throw new CrmError('invalid_field', 'language must be a language tag such as "nl" or "en-GB"');
  return value;
}

function address(value: Partial<Address> | null | undefined): Address | null {
  if (value === undefined || value === null) return null;
  const result: Address = {
    street: text(value.street, 'address.street', 200),
    postalCode: text(value.postalCode, 'address.postalCode', 20),
    city: text(value.city, 'address.city', 100),
    region: text(value.region, 'address.region', 100),
    country: text(value.country, 'address.country', 100),
  };
  return Object.values(result).some((v) => v !== null) ? result : null;
}

/**
 * The input without the values that would not validate, each named by its field: an import takes
 * the person without them. A phone or an e-mail is left out alone, an address part alone; names are
 * not looked at (a person cannot be made without one).
 */
export function withoutInvalidFields<T extends PersonInput>(input: T): { input: T; left: Array<{ field: string; message: string }> } {
  const left: Array<{ field: string; message: string }> = [];
  const valid = (field: string, check: () => unknown): boolean => {
    try {
      check();
      return true;
    } catch (error) {
      if (!(error instanceof CrmError)) throw error;
      left.push({ field, message: error.message });
      return false;
    }
  };
  const out: T = { ...input };
  if (input.emails) out.emails = input.emails.filter((e) => valid('emails', () => labelled([e], 'e-mail')));
  if (input.phones) out.phones = input.phones.filter((p) => valid('phones', () => labelled([p], 'phone')));
  if (input.jobTitle !== undefined && !valid('jobTitle', () => text(input.jobTitle, 'jobTitle', 200))) delete out.jobTitle;
  if (input.birthday !== undefined && !valid('birthday', () => birthday(input.birthday))) delete out.birthday;
  if (input.language !== undefined && !valid('language', () => language(input.language))) delete out.language;
  if (input.address) {
    const parts = Object.entries(input.address).filter(([part, value]) => valid(`address.${part}`, () => address({ [part]: value })));
    if (parts.length > 0) out.address = Object.fromEntries(parts);
    else delete out.address;
  }
  return { input: out, left };
}

/** Validates a create (no `current`) or an update (fields absent from the input keep their value). */
export function personFields(input: PersonInput, current?: PersonFields): PersonFields {
  const next: PersonFields = {
    firstName: input.firstName !== undefined ? (text(input.firstName, 'firstName', 200) ?? '') : (current?.firstName ?? ''),
    lastName: input.lastName !== undefined ? (text(input.lastName, 'lastName', 200) ?? '') : (current?.lastName ?? ''),
    emails: input.emails !== undefined ? labelled(input.emails, 'e-mail') : (current?.emails ?? []),
    phones: input.phones !== undefined ? labelled(input.phones, 'phone') : (current?.phones ?? []),
    jobTitle: input.jobTitle !== undefined ? text(input.jobTitle, 'jobTitle', 200) : (current?.jobTitle ?? null),
    address: input.address !== undefined ? address(input.address) : (current?.address ?? null),
    birthday: input.birthday !== undefined ? birthday(input.birthday) : (current?.birthday ?? null),
    language: input.language !== undefined ? language(input.language) : (current?.language ?? null),
  };
  if (!next.firstName && !next.lastName) throw new CrmError('invalid_field', 'a person needs a first or last name');
  return next;
}

export function lawfulBasis(value: string | null | undefined): LawfulBasis | null {
  if (value === undefined || value === null) return null;
  if (!(LAWFUL_BASES as readonly string[]).includes(value)) {
    throw new CrmError('invalid_field', `lawfulBasis must be one of ${LAWFUL_BASES.join(', ')}`);
  }
  return value as LawfulBasis;
}

/** The record owner: the actor by default, else an active user of the same tenant. */
export async function ownerOf(db: Kysely<Database>, actor: Authenticated, ownerId: string | undefined, current?: string): Promise<string> {
  if (ownerId === undefined || ownerId === current) return current ?? actor.user.id;
  if (!(await isActiveUser(db, actor.tenantId, ownerId))) throw new CrmError('invalid_field', 'ownerId does not name an active user');
  return ownerId;
}

// --- sealing ----------------------------------------------------------------------------

const SUBJECT_KEY_VERSION = 1;

/**
 * What a person's row stores: since migration 0014 one sealed JSON document
 * (`person_enc`, associated data field "person"), one AES-GCM operation per
 * read instead of five; the legacy per-field columns are written as null, so
 * an update of a row written before also moves it to the document.
 */
export interface SealedPerson {
  person_enc: Buffer;
  first_name_enc: null;
  last_name_enc: null;
  emails_enc: null;
  phones_enc: null;
  details_enc: null;
}

/** A person's row as stored: the document, or (rows from before migration 0014) five sealed fields. */
export interface StoredPerson {
  person_enc?: Buffer | null;
  first_name_enc: Buffer | null;
  last_name_enc: Buffer | null;
  emails_enc: Buffer | null;
  phones_enc: Buffer | null;
  details_enc: Buffer | null;
}

interface Details {
  jobTitle: string | null;
  address: Address | null;
  birthday: string | null;
  language: string | null;
  custom: CustomValues;
}

/** The sealed document: every personal field, and the personal custom values. */
type PersonDocument = PersonFields & { custom: CustomValues };

const PERSON_FIELD = 'person';

export function sealPerson(
  subjectKey: Buffer,
  where: { tenantId: string; table: PersonTable; id: string },
  fields: PersonFields,
  personalCustom: CustomValues,
): SealedPerson {
  const document: PersonDocument = {
    firstName: fields.firstName,
    lastName: fields.lastName,
    emails: fields.emails,
    phones: fields.phones,
    jobTitle: fields.jobTitle,
    address: fields.address,
    birthday: fields.birthday,
    language: fields.language,
    custom: personalCustom,
  };
  return {
    person_enc: encryptField(
      fieldKey(subjectKey),
      SUBJECT_KEY_VERSION,
      { tenantId: where.tenantId, table: where.table, rowId: where.id, field: PERSON_FIELD },
      JSON.stringify(document),
    ),
    first_name_enc: null,
    last_name_enc: null,
    emails_enc: null,
    phones_enc: null,
    details_enc: null,
  };
}

/** Opens a stored person with the subject's field key (`fieldKey` of the subject key). */
export function openPersonWith(
  key: Buffer,
  where: { tenantId: string; table: PersonTable; id: string },
  row: StoredPerson,
): { fields: PersonFields; personalCustom: CustomValues } {
  const open = (field: string, value: Buffer) =>
    decryptField(key, { tenantId: where.tenantId, table: where.table, rowId: where.id, field }, value);
  if (row.person_enc) {
    const { custom, ...fields } = JSON.parse(open(PERSON_FIELD, row.person_enc)) as PersonDocument;
    return { fields, personalCustom: custom };
  }
  // Written before migration 0014 and not yet rewritten by sealLegacyPeople.
  const details: Details = row.details_enc
    ? (JSON.parse(open('details', row.details_enc)) as Details)
    : { jobTitle: null, address: null, birthday: null, language: null, custom: {} };
  return {
    fields: {
      firstName: open('first_name', row.first_name_enc!),
      lastName: open('last_name', row.last_name_enc!),
      emails: JSON.parse(open('emails', row.emails_enc!)) as LabelledValue[],
      phones: JSON.parse(open('phones', row.phones_enc!)) as LabelledValue[],
      jobTitle: details.jobTitle,
      address: details.address,
      birthday: details.birthday,
      language: details.language,
    },
    personalCustom: details.custom,
  };
}

export function openPerson(
  subjectKey: Buffer,
  where: { tenantId: string; table: PersonTable; id: string },
  row: StoredPerson,
): { fields: PersonFields; personalCustom: CustomValues } {
  return openPersonWith(fieldKey(subjectKey), where, row);
}

// --- search -----------------------------------------------------------------------------

export interface PersonIndexes {
  email: BlindIndexSpec;
  phone: BlindIndexSpec;
  name: BlindIndexSpec;
}

/** Blind index specs per table; contacts keep the names they were first written under. */
export function indexesOf(table: PersonTable): PersonIndexes {
  const prefix = table === 'contacts' ? 'contact' : 'lead';
  return {
    email: { ...EMAIL_INDEX, name: `${prefix}_email` },
    phone: { ...PHONE_INDEX, name: `${prefix}_phone` },
    name: { ...NAME_INDEX, name: `${prefix}_name` },
  };
}

export async function indexPerson(
  db: Kysely<Database>,
  keyring: Keyring,
  where: { tenantId: string; table: PersonTable; id: string; subjectId: string },
  fields: PersonFields,
): Promise<void> {
  const specs = indexesOf(where.table);
  await indexRecord(db, keyring, where.tenantId, { table: where.table, id: where.id, subjectId: where.subjectId }, [
    { spec: specs.email, values: fields.emails.map((e) => e.value) },
    { spec: specs.phone, values: fields.phones.map((p) => p.value) },
    { spec: specs.name, values: [`${fields.firstName} ${fields.lastName}`] },
  ]);
}

export interface PersonSearch {
  email?: string;
  phone?: string;
  q?: string;
}

/** Ids whose index terms match the search (candidates), or undefined when nothing is searched. */
export async function personCandidates(
  db: Kysely<Database>,
  keyring: Keyring,
  tenantId: string,
  table: PersonTable,
  search: PersonSearch,
): Promise<string[] | undefined> {
  const specs = indexesOf(table);
  let ids: string[] | undefined;
  const narrow = (found: string[]) => {
    ids = ids ? ids.filter((id) => found.includes(id)) : found;
  };
  if (search.email !== undefined) narrow(await findCandidates(db, keyring, tenantId, table, specs.email, normalizeEmail(search.email)));
  if (search.phone !== undefined)
    narrow(await findCandidates(db, keyring, tenantId, table, specs.phone, specs.phone.normalize(search.phone)));
  if (search.q !== undefined) narrow(await findCandidates(db, keyring, tenantId, table, specs.name, nameQueryTerms(search.q)));
  return ids;
}

/** Blind index matches are candidates (truncated terms collide): the decrypted values decide. */
export function matchesSearch(fields: Pick<PersonFields, 'firstName' | 'lastName' | 'emails' | 'phones'>, search: PersonSearch): boolean {
  const email = search.email?.trim().toLowerCase();
  if (email && !fields.emails.some((e) => e.value.toLowerCase() === email)) return false;
  if (search.phone !== undefined) {
    const spec = PHONE_INDEX;
    const wanted = new Set(spec.normalize(search.phone));
    if (!fields.phones.some((p) => spec.normalize(p.value).some((n) => wanted.has(n)))) return false;
  }
  if (search.q !== undefined) {
    const wantedWords = foldWords(search.q);
    const words = foldWords(`${fields.firstName} ${fields.lastName}`);
    return wantedWords.every((w, i) => (i < wantedWords.length - 1 ? words.includes(w) : words.some((x) => x.startsWith(w))));
  }
  return true;
}
