import type { Kysely } from 'kysely';
import {
  accessAt,
  accessOf,
  accessVersionColumn,
  assertPermitted,
  assertWritable,
  cachedAccess,
  redact,
  requirePermission,
} from '../../access/access.service.js';
import type { Access } from '../../access/policy.js';
import { AccessError } from '../../access/access.errors.js';
import { auditActorOf, changesBetween, fieldsShown, recordChange, recordRead, type AuditActor } from '../../audit/recorder.js';
import type { Database } from '../../db/schema.js';
import { inTransaction } from '../../db/transaction.js';
import type { Authenticated } from '../../shared/actor.js';
import type { Keyring } from '../../keys/keyring.js';
import { decryptField, fieldKey } from '../../keys/field-crypto.js';
import { createSubject, createSubjects, indexNewRecords, subjectKey, subjectKeyOf, subjectKeys } from '../../keys/keys.service.js';
import { newId } from '../../shared/ids.js';
import { CrmError } from '../common/crm.errors.js';
import { instant } from '../common/instant.js';
import { decodeCursor, pageOf, pageSize } from '../../shared/cursor.js';
import { fieldsOf, mergeCustomValues, type CustomField, type CustomValues } from '../custom-fields/custom-fields.service.js';
import {
  indexesOf,
  indexPerson,
  lawfulBasis,
  matchesSearch,
  openPerson,
  openPersonWith,
  ownerOf,
  personCandidates,
  personFields,
  sealPerson,
  type LabelledValue,
  type LawfulBasis,
  type PersonFields,
  type PersonInput,
  type PersonSearch,
} from './people.js';
import { ownerGroupOf, ownersOf } from '../common/ownership.js';
import { assertNotSuppressed, type ContactValues } from '../common/suppression.js';
import { recordingBlocked, restrictedError } from '../common/restriction.js';
import * as repo from './people.repository.js';
import type { PersonListQuery, PersonSort, PersonTable } from './people.repository.js';
import { setRecordTags, tagNames, tagNewRecords, tagsOf } from '../tags/tags.service.js';
import { moveToBin } from '../recycle-bin/recycle-bin.repository.js';

/**
 * The life of a person record, shared by contacts and leads: create under a
 * fresh subject key (or an existing one, when a lead becomes a contact), read,
 * list and search through blind indexes, update with a version check, and the
 * recycle bin. Each kind adds its plain columns through a small descriptor.
 */

export interface PersonRecord extends PersonFields {
  id: string;
  ownerId: string;
  /** The group the record is assigned to: its members have owner access. */
  ownerGroupId: string | null;
  subjectId: string;
  tags: string[];
  custom: CustomValues;
  lawfulBasis: LawfulBasis | null;
  /** Processing is restricted (Art. 18): the record is kept but not changed, exported or mailed. */
  restricted: boolean;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface PersonRecordInput extends PersonInput {
  ownerId?: string;
  ownerGroupId?: string | null;
  tags?: string[];
  custom?: Record<string, unknown>;
  lawfulBasis?: string | null;
}

type Row = Record<string, unknown> & {
  tenant_id: string;
  id: string;
  subject_id: string;
  owner_id: string;
  owner_group_id: string | null;
  person_enc: Buffer | null;
  first_name_enc: Buffer | null;
  last_name_enc: Buffer | null;
  emails_enc: Buffer | null;
  phones_enc: Buffer | null;
  details_enc: Buffer | null;
  custom: CustomValues;
  lawful_basis: LawfulBasis | null;
  version: number;
  created_at: Date;
  updated_at: Date;
};

export interface PersonKind<R extends PersonRecord, I extends PersonRecordInput> {
  table: PersonTable;
  noun: string;
  /** The kind's own plain columns from the input (and the current record on update). */
  plainColumns(db: Kysely<Database>, actor: Authenticated, input: I, current?: R): Promise<Record<string, unknown>>;
  /** The API record: the shared part plus the kind's own columns. */
  toRecord(base: PersonRecord, row: Record<string, unknown>): R;
}

/** The field key of a subject: cached beside the subject key (derived once), else derived now. */
function fieldKeyOf(keyring: Keyring, tenantId: string, subjectId: string, subjectKey: Buffer): Buffer {
  return keyring.subjectKeys.getFieldKey(tenantId, subjectId) ?? fieldKey(subjectKey);
}

/** Opens a row with the subject's field key (fieldKeyOf). */
function openRow<R extends PersonRecord>(kind: PersonKind<R, never>, key: Buffer, row: Row, tags: string[]): R {
  const { fields, personalCustom } = openPersonWith(key, { tenantId: row.tenant_id, table: kind.table, id: row.id }, row);
  return kind.toRecord(
    {
      id: row.id,
      ownerId: row.owner_id,
      ownerGroupId: row.owner_group_id,
      subjectId: row.subject_id,
      ...fields,
      tags,
      custom: { ...row.custom, ...personalCustom },
      lawfulBasis: row.lawful_basis,
      restricted: row.restricted_at !== null && row.restricted_at !== undefined,
      version: row.version,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    },
    row,
  );
}

function split(record: PersonRecord, fields: CustomField[]): { plain: CustomValues; personal: CustomValues } {
  const personalKeys = new Set(fields.filter((f) => f.personal).map((f) => f.key));
  const plain: CustomValues = {};
  const personal: CustomValues = {};
  for (const [k, v] of Object.entries(record.custom)) (personalKeys.has(k) ? personal : plain)[k] = v;
  return { plain, personal };
}

/** A person's e-mail addresses and phone numbers, as the suppression list takes them. */
export function contactValuesOf(fields: Pick<PersonFields, 'emails' | 'phones'>): ContactValues {
  return { emails: fields.emails.map((e) => e.value), phones: fields.phones.map((p) => p.value) };
}

function addedValues(fields: PersonFields, current: Pick<PersonFields, 'emails' | 'phones'>): ContactValues {
  const had = (list: LabelledValue[]) => new Set(list.map((v) => v.value.toLowerCase()));
  const emails = had(current.emails);
  const phones = had(current.phones);
  return {
    emails: fields.emails.map((e) => e.value).filter((v) => !emails.has(v.toLowerCase())),
    phones: fields.phones.map((p) => p.value).filter((v) => !phones.has(v.toLowerCase())),
  };
}

export async function createPerson<R extends PersonRecord, I extends PersonRecordInput>(
  db: Kysely<Database>,
  keyring: Keyring,
  actor: Authenticated,
  kind: PersonKind<R, I>,
  input: I,
  options: { subject?: { id: string; key: Buffer }; extra?: Record<string, unknown> } = {},
): Promise<R> {
  const access = await requirePermission(db, actor, kind.table, 'create');
  assertWritable(access, kind.table, input);
  const fields = personFields(input);
  const names = tagNames(input.tags);
  const basis = lawfulBasis(input.lawfulBasis);
  const definitions = await fieldsOf(db, actor.tenantId, kind.table);
  const custom = mergeCustomValues(definitions, { plain: {}, personal: {} }, input.custom);
  const run = async (trx: Kysely<Database>) => {
    // An erased person does not come back: not by the API, not by converting a lead.
    await assertNotSuppressed(trx, keyring, actor.tenantId, contactValuesOf(fields));
    const plain = await kind.plainColumns(trx, actor, input);
    const ownerId = await ownerOf(trx, actor, input.ownerId);
    const subject = options.subject ?? (await createSubject(trx, keyring, actor.tenantId, 'person'));
    const id = newId();
    const row = (await repo.insertPerson(trx, kind.table, {
      tenant_id: actor.tenantId,
      id,
      subject_id: subject.id,
      owner_id: ownerId,
      owner_group_id: ownerGroupOf(access, input.ownerGroupId),
      ...sealPerson(subject.key, { tenantId: actor.tenantId, table: kind.table, id }, fields, custom.personal),
      custom: JSON.stringify(custom.plain),
      lawful_basis: basis,
      updated_at: new Date(),
      ...plain,
      ...options.extra,
    } as never)) as Row;
    await indexPerson(trx, keyring, { tenantId: actor.tenantId, table: kind.table, id, subjectId: subject.id }, fields);
    const tags = await setRecordTags(trx, actor.tenantId, kind.table, id, names);
    const created = openRow(kind, fieldKey(subject.key), row, tags);
    const { fields: changed, values } = changesBetween(null, created);
    await recordChange(trx, keyring, {
      tenantId: actor.tenantId,
      actor: auditActorOf(actor),
      action: `${kind.noun}.created`,
      entity: kind.table,
      entityId: id,
      subjectIds: [subject.id],
      fields: changed,
      values: { subjectId: subject.id, data: values },
    });
    return redact(access, kind.table, created);
  };
  return inTransaction(db, run);
}

/** A person ready to insert in bulk: validated fields, custom values split, plain columns resolved. */
export interface NewPerson {
  fields: PersonFields;
  custom: { plain: CustomValues; personal: CustomValues };
  tags: string[];
  lawfulBasis: LawfulBasis | null;
  plain: Record<string, unknown>;
}

const BULK_SLICE = 100;

const LEGACY_NONE = { first_name_enc: null, last_name_enc: null, emails_enc: null, phones_enc: null, details_enc: null };

/** Creates many people in a handful of statements (imports); returns their ids in order. */
export async function createPeopleInBulk(
  trx: Kysely<Database>,
  keyring: Keyring,
  actor: Authenticated,
  table: PersonTable,
  people: NewPerson[],
): Promise<string[]> {
  if (people.length === 0) return [];
  const subjects = await createSubjects(trx, keyring, actor.tenantId, 'person', people.length);
  const now = new Date();
  const ids = people.map(() => newId());
  // Sealed a slice at a time, each slice's INSERT sent before the next is sealed: PostgreSQL writes while this encrypts.
  const inserting: Promise<void>[] = [];
  for (let start = 0; start < people.length; start += BULK_SLICE) {
    const rows = people.slice(start, start + BULK_SLICE).map((p, j) => {
      const i = start + j;
      return {
        tenant_id: actor.tenantId,
        id: ids[i]!,
        subject_id: subjects[i]!.id,
        owner_id: actor.user.id,
        ...sealPerson(subjects[i]!.key, { tenantId: actor.tenantId, table, id: ids[i]! }, p.fields, p.custom.personal),
        custom: JSON.stringify(p.custom.plain),
        lawful_basis: p.lawfulBasis,
        updated_at: now,
        ...p.plain,
      };
    });
    inserting.push(repo.insertPeople(trx, table, rows as never));
    inserting.at(-1)!.catch(() => undefined);
    await new Promise((resolve) => setImmediate(resolve));
  }
  const specs = indexesOf(table);
  await indexNewRecords(
    trx,
    keyring,
    actor.tenantId,
    people.map((p, i) => ({
      table,
      id: ids[i]!,
      subjectId: subjects[i]!.id,
      entries: [
        { spec: specs.email, values: p.fields.emails.map((e) => e.value) },
        { spec: specs.phone, values: p.fields.phones.map((e) => e.value) },
        { spec: specs.name, values: [`${p.fields.firstName} ${p.fields.lastName}`] },
      ],
    })),
  );
  await Promise.all(inserting);
  await tagNewRecords(
    trx,
    actor.tenantId,
    table,
    people.map((p, i) => ({ recordId: ids[i]!, names: p.tags })).filter((e) => e.names.length > 0),
  );
  await recordChange(trx, keyring, {
    tenantId: actor.tenantId,
    actor: auditActorOf(actor),
    action: `${table === 'contacts' ? 'contact' : 'lead'}.imported`,
    entity: table,
    subjectIds: subjects.map((s) => s.id),
    details: { count: ids.length },
  });
  return ids;
}

/**
 * The e-mail addresses and/or phone numbers of people by id, from their
 * sealed document (rows not yet rewritten: only those sealed fields): blind
 * index candidates are mostly collisions of the truncated index, so they are
 * confirmed on the field that decides before a page is read and opened.
 * Erased people are left out.
 */
export async function labelledValuesOf(
  db: Kysely<Database>,
  keyring: Keyring,
  tenantId: string,
  table: PersonTable,
  ids: string[],
  fields: ReadonlyArray<'emails' | 'phones'>,
): Promise<Map<string, Partial<Record<'emails' | 'phones', LabelledValue[]>>>> {
  const rows = await repo.findPeopleSealed(
    db,
    table,
    tenantId,
    ids,
    fields.map((f) => `${f}_enc` as const),
  );
  const values = new Map<string, Partial<Record<'emails' | 'phones', LabelledValue[]>>>();
  for (const row of rows) {
    if (!row.subject_wrapped_key) continue; // erased
    const subject = await subjectKeyOf(db, keyring, tenantId, row.subject_id, {
      wrapped_key: row.subject_wrapped_key,
      tenant_key_version: row.subject_tenant_key_version,
    });
    const key = fieldKeyOf(keyring, tenantId, row.subject_id, subject);
    const opened: Partial<Record<'emails' | 'phones', LabelledValue[]>> = {};
    if (row.person_enc) {
      const person = openPersonWith(key, { tenantId, table, id: row.id }, { ...LEGACY_NONE, person_enc: row.person_enc }).fields;
      for (const field of fields) opened[field] = person[field];
    } else {
      for (const field of fields)
        opened[field] = JSON.parse(decryptField(key, { tenantId, table, rowId: row.id, field }, row[`${field}_enc`]!)) as LabelledValue[];
    }
    values.set(row.id, opened);
  }
  return values;
}

/**
 * Start step: people written before migration 0014 (five sealed fields) are
 * rewritten as one sealed document, under the same subject key, a batch at a
 * time. A row changed meanwhile (its version moved) is left for the next start;
 * erased people, whose fields no key opens any more, stay as they are.
 * Answers how many rows were rewritten.
 */
export async function sealLegacyPeople(db: Kysely<Database>, keyring: Keyring, batch = 500): Promise<number> {
  let rewritten = 0;
  for (const table of ['contacts', 'leads'] as const) {
    let after: { tenant: string; id: string } | null = null;
    for (;;) {
      const rows = await repo.legacyPeople(db, table, after, batch);
      if (rows.length === 0) break;
      after = { tenant: rows.at(-1)!.tenant_id, id: rows.at(-1)!.id };
      const sealed: Array<{ tenant: string; id: string; version: number; person: Buffer }> = [];
      for (const row of rows) {
        if (!row.wrapped_key) continue; // erased
        const key = await subjectKeyOf(db, keyring, row.tenant_id, row.subject_id, {
          wrapped_key: row.wrapped_key,
          tenant_key_version: row.tenant_key_version,
        });
        const where = { tenantId: row.tenant_id, table, id: row.id };
        const { fields, personalCustom } = openPerson(key, where, { ...row, person_enc: null });
        sealed.push({
          tenant: row.tenant_id,
          id: row.id,
          version: row.version,
          person: sealPerson(key, where, fields, personalCustom).person_enc,
        });
      }
      if (sealed.length === 0) continue;
      rewritten += await repo.replaceLegacyPeople(db, table, sealed);
    }
  }
  return rewritten;
}

/** The e-mail addresses (lower case) of people by id, for an import's duplicate check. */
export async function emailsOfPeople(
  db: Kysely<Database>,
  keyring: Keyring,
  tenantId: string,
  table: PersonTable,
  ids: string[],
): Promise<Map<string, string[]>> {
  const emails = new Map<string, string[]>();
  for (const [id, opened] of await labelledValuesOf(db, keyring, tenantId, table, ids, ['emails']))
    emails.set(
      id,
      opened.emails!.map((e) => e.value.toLowerCase()),
    );
  return emails;
}

/**
 * The live people (contacts first, then leads) whose e-mail addresses include
 * this one, confirmed on the decrypted address: for a public double opt-in,
 * which has no signed-in actor and so no view to restrict.
 */
export async function peopleWithEmail(
  db: Kysely<Database>,
  keyring: Keyring,
  tenantId: string,
  email: string,
): Promise<Array<{ table: PersonTable; id: string; subjectId: string }>> {
  const wanted = email.trim().toLowerCase();
  const found: Array<{ table: PersonTable; id: string; subjectId: string }> = [];
  for (const table of ['contacts', 'leads'] as const) {
    const ids = (await personCandidates(db, keyring, tenantId, table, { email: wanted })) ?? [];
    if (ids.length === 0) continue;
    const subjects = new Map((await repo.findPeopleSealed(db, table, tenantId, ids, [])).map((r) => [r.id, r.subject_id]));
    for (const [id, opened] of await labelledValuesOf(db, keyring, tenantId, table, ids, ['emails']))
      if (opened.emails?.some((e) => e.value.toLowerCase() === wanted)) found.push({ table, id, subjectId: subjects.get(id)! });
  }
  return found;
}

/**
 * Creates a person without a signed-in user — a public sign-up confirmed by
 * its data subject: there is no permission to check, the owner is named by
 * the caller, and the audit entry names who acted (`actor`). Pass the
 * caller's transaction.
 */
export async function createPersonBySystem(
  trx: Kysely<Database>,
  keyring: Keyring,
  by: { tenantId: string; ownerId: string; actor: AuditActor },
  table: PersonTable,
  input: PersonInput & { lawfulBasis?: string | null },
  plain: Record<string, unknown> = {},
): Promise<{ id: string; subjectId: string }> {
  const fields = personFields(input);
  const subject = await createSubject(trx, keyring, by.tenantId, 'person');
  const id = newId();
  await repo.insertPerson(trx, table, {
    tenant_id: by.tenantId,
    id,
    subject_id: subject.id,
    owner_id: by.ownerId,
    ...sealPerson(subject.key, { tenantId: by.tenantId, table, id }, fields, {}),
    custom: '{}',
    lawful_basis: lawfulBasis(input.lawfulBasis),
    updated_at: new Date(),
    ...plain,
  } as never);
  await indexPerson(trx, keyring, { tenantId: by.tenantId, table, id, subjectId: subject.id }, fields);
  const { fields: changed, values } = changesBetween(null, { ...fields, ...plain });
  await recordChange(trx, keyring, {
    tenantId: by.tenantId,
    actor: by.actor,
    action: `${table === 'contacts' ? 'contact' : 'lead'}.created`,
    entity: table,
    entityId: id,
    subjectIds: [subject.id],
    fields: changed,
    values: { subjectId: subject.id, data: values },
  });
  return { id, subjectId: subject.id };
}

/** Opens rows fetched by id (candidates of a bulk lookup); erased people are left out. */
export async function peopleByIds<R extends PersonRecord>(
  db: Kysely<Database>,
  keyring: Keyring,
  actor: Authenticated,
  kind: PersonKind<R, never>,
  ids: string[],
  options: { deleted?: boolean } = {},
): Promise<R[]> {
  return openPeople(db, keyring, actor.tenantId, kind, (await repo.findPeople(db, kind.table, actor.tenantId, ids, options)) as Row[]);
}

/**
 * The record, or record_not_found — also for a record the actor may not see
 * and for an erased person: either is gone for them. `raw` skips taking out
 * the fields the actor's profile hides, for callers that change the record.
 */
export async function getPerson<R extends PersonRecord>(
  db: Kysely<Database>,
  keyring: Keyring,
  actor: Authenticated,
  kind: PersonKind<R, never>,
  id: string,
  options: { deleted?: boolean; raw?: boolean } = {},
): Promise<R> {
  // The record and the tenant's access version in one statement; nothing is decided or handed out before access is.
  const row = (await repo.findPersonToRead(db, kind.table, actor.tenantId, id, { ...options, accessVersion: accessVersionColumn })) as
    (Row & repo.PersonReadExtras) | undefined;
  const access = assertPermitted(await accessAt(db, actor, row?.access_version), kind.table, 'view');
  if (!row || !access.mayRead(kind.table, { ownerId: row.owner_id, ownerGroupId: row.owner_group_id }))
    throw new CrmError('record_not_found', `no such ${kind.noun}`);
  let key: Buffer;
  try {
    key = await subjectKeyOf(db, keyring, actor.tenantId, row.subject_id, {
      wrapped_key: row.subject_wrapped_key,
      tenant_key_version: row.subject_tenant_key_version,
    });
  } catch {
    throw new CrmError('record_not_found', `no such ${kind.noun}`);
  }
  const tags = row.tag_names;
  const record = openRow(kind, fieldKeyOf(keyring, actor.tenantId, row.subject_id, key), row, tags);
  if (options.raw) return record;
  const shown = redact(access, kind.table, record);
  await recordRead(db, keyring, {
    tenantId: actor.tenantId,
    actor: auditActorOf(actor),
    action: `${kind.noun}.read`,
    entity: kind.table,
    entityId: id,
    subjectIds: [row.subject_id],
    fields: fieldsShown(shown),
  });
  return shown;
}

/** The record as its owner sees it, for a change: it must be visible (404) and changeable by the actor (403). */
export async function personForChange<R extends PersonRecord>(
  db: Kysely<Database>,
  keyring: Keyring,
  actor: Authenticated,
  kind: PersonKind<R, never>,
  id: string,
  action: 'edit' | 'delete',
): Promise<R> {
  const record = await getPerson(db, keyring, actor, kind, id, { raw: true });
  const access = await requirePermission(db, actor, kind.table, action);
  if (!access.mayWrite(kind.table, record)) throw new AccessError('permission_denied', `you may see this ${kind.noun} but not change it`);
  return record;
}

export interface PersonListParams extends PersonSearch {
  limit?: number;
  cursor?: string;
  sort?: PersonSort;
  /** What the page is for, as the audit trail records it (a list by default). */
  auditAs?: 'export' | 'search';
  ownerId?: string;
  ownerGroupId?: string;
  tag?: string;
  createdFrom?: string;
  createdTo?: string;
  updatedFrom?: string;
  updatedTo?: string;
}

/** Opens a page of rows, leaving out erased people. */
export async function openPeople<R extends PersonRecord>(
  db: Kysely<Database>,
  keyring: Keyring,
  tenantId: string,
  kind: PersonKind<R, never>,
  rows: Row[],
  /** The rows' tag names when they came with them (a page does); looked up otherwise. */
  tagsOfRow?: (row: Row) => string[],
): Promise<R[]> {
  const keys = await subjectKeys(
    db,
    keyring,
    tenantId,
    rows.map((r) => r.subject_id),
  );
  const tags = tagsOfRow
    ? undefined
    : await tagsOf(
        db,
        tenantId,
        kind.table,
        rows.map((r) => r.id),
      );
  return rows
    .filter((r) => keys.has(r.subject_id))
    .map((r) =>
      openRow(
        kind,
        fieldKeyOf(keyring, tenantId, r.subject_id, keys.get(r.subject_id)!),
        r,
        tagsOfRow ? tagsOfRow(r) : (tags!.get(r.id) ?? []),
      ),
    );
}

/** A page of people; `email`/`phone` find by exact value, `q` by name words and prefixes. */
export async function listPeople<R extends PersonRecord>(
  db: Kysely<Database>,
  keyring: Keyring,
  actor: Authenticated,
  kind: PersonKind<R, never>,
  params: PersonListParams,
  equals: Record<string, string> = {},
): Promise<{ items: R[]; nextCursor: string | null }> {
  const search = {
    ...(params.email !== undefined ? { email: params.email } : {}),
    ...(params.phone !== undefined ? { phone: params.phone } : {}),
    ...(params.q !== undefined ? { q: params.q } : {}),
  };
  // The blind index lookup runs while access is decided (nothing of it is answered before that).
  const candidates = personCandidates(db, keyring, actor.tenantId, kind.table, search);
  candidates.catch(() => undefined); // awaited below, unless access is refused first
  // A page without a search is built under the snapshot this process holds and reads the tenant's access
  // version in the same statement; should the version have moved, it is built again under the reloaded
  // model (below), before anything on it is opened or handed out. One statement fewer per page.
  const guessed = Object.keys(search).length === 0 ? cachedAccess(actor) : undefined;
  let access = guessed?.can(kind.table, 'view') ? guessed : await requirePermission(db, actor, kind.table, 'view');
  const limit = pageSize(params.limit);
  const sort = params.sort ?? 'createdAt';
  const after = decodeCursor(params.cursor, sort);
  // Searching by a field one may not see would tell what it holds.
  for (const [param, field] of [
    ['email', 'emails'],
    ['phone', 'phones'],
    ['q', 'lastName'],
    ['q', 'firstName'],
  ] as const) {
    if (params[param] !== undefined && access.field(kind.table, field) === 'hidden') {
      throw new AccessError('permission_denied', `your profile hides ${field}, so you cannot search by it`);
    }
  }
  let ids = await candidates;
  const exact = [
    ...(search.email !== undefined ? (['emails'] as const) : []),
    ...(search.phone !== undefined ? (['phones'] as const) : []),
  ];
  // By e-mail or phone alone, the candidates are few (one person and the index's collisions): the page query
  // takes all of them (filtered by access in SQL, in page order), they are opened once, and the page is cut
  // from those that match. Combined with a name search, candidates are confirmed on those fields first.
  const exactOnly = ids !== undefined && exact.length > 0 && search.q === undefined;
  if (ids && ids.length > 0 && exact.length > 0 && !exactOnly) {
    // E-mail and phone terms are truncated, so in a large tenant most candidates are collisions:
    // confirm them on the sealed fields that decide before paging, and a page holds matches only.
    const opened = await labelledValuesOf(db, keyring, actor.tenantId, kind.table, ids, exact);
    const { q: _names, ...exactSearch } = search;
    ids = ids.filter((id) => {
      const values = opened.get(id);
      return (
        values !== undefined &&
        matchesSearch({ firstName: '', lastName: '', emails: values.emails ?? [], phones: values.phones ?? [] }, exactSearch)
      );
    });
  }
  const query: PersonListQuery = {
    limit: exactOnly ? ids!.length : limit + 1,
    sort,
    after: after ? { key: after.key ?? null, id: after.id } : null,
    equals,
    ...(ids ? { ids } : {}),
    ...(params.ownerId ? { ownerId: params.ownerId } : {}),
    ...(params.tag ? { tag: params.tag } : {}),
    ...(params.ownerGroupId ? { ownerGroupId: params.ownerGroupId } : {}),
    ...(access === guessed ? { accessVersion: accessVersionColumn } : {}),
    // Restricted people stay out of exports (Art. 18).
    ...(params.auditAs === 'export' ? { unrestricted: true } : {}),
  };
  for (const [name, value] of [
    ['createdFrom', params.createdFrom],
    ['createdTo', params.createdTo],
    ['updatedFrom', params.updatedFrom],
    ['updatedTo', params.updatedTo],
  ] as const) {
    const date = instant(value, name);
    if (date) query[name] = date;
  }
  type PageRow = Row & { sort_key: string | null; tag_names: string[]; access_version?: number | null };
  const pageUnder = async (a: Access) =>
    (await repo.listPeople(db, kind.table, actor.tenantId, {
      ...query,
      ...ownersOf(a.owners(kind.table, 'read')),
    })) as unknown as PageRow[];
  let rows = await pageUnder(access);
  if (access === guessed) {
    const current = assertPermitted(await accessAt(db, actor, rows[0]?.access_version), kind.table, 'view');
    if (current !== access) rows = await pageUnder((access = current));
  }
  const tagsOfRow = (r: Row) => (r as (typeof rows)[number]).tag_names;
  let page: { rows: typeof rows; nextCursor: string | null };
  let items: R[];
  if (exactOnly) {
    const matching = new Map(
      (await openPeople(db, keyring, actor.tenantId, kind, rows, tagsOfRow)).filter((r) => matchesSearch(r, search)).map((r) => [r.id, r]),
    );
    page = pageOf(
      rows.filter((r) => matching.has(r.id)),
      limit,
      (r) => r.sort_key,
      sort,
    );
    items = page.rows.map((r) => matching.get(r.id)!);
  } else {
    page = pageOf(rows, limit, (r) => r.sort_key, sort);
    items = (await openPeople(db, keyring, actor.tenantId, kind, page.rows, tagsOfRow)).filter((r) => matchesSearch(r, search));
  }
  const shown = items.map((r) => redact(access, kind.table, r));
  if (shown.length > 0) {
    // One entry for the page, naming every person shown; never the search terms, which are personal.
    await recordRead(db, keyring, {
      tenantId: actor.tenantId,
      actor: auditActorOf(actor),
      action: `${kind.noun}.${params.auditAs === 'export' ? 'exported' : params.auditAs === 'search' ? 'searched' : 'listed'}`,
      entity: kind.table,
      subjectIds: items.map((r) => r.subjectId),
      fields: fieldsShown(shown[0]!),
      details: { count: shown.length, searchBy: Object.keys(search).sort().join(',') || null },
    });
  }
  return { items: shown, nextCursor: page.nextCursor };
}

export async function updatePerson<R extends PersonRecord, I extends PersonRecordInput>(
  db: Kysely<Database>,
  keyring: Keyring,
  actor: Authenticated,
  kind: PersonKind<R, I>,
  id: string,
  input: I & { version?: number },
  ifMatch?: number,
  extra: Record<string, unknown> = {},
): Promise<R> {
  const run = async (trx: Kysely<Database>) => {
    const current = await personForChange(trx, keyring, actor, kind as PersonKind<R, never>, id, 'edit');
    if (current.restricted) throw restrictedError();
    const access = await accessOf(trx, actor);
    assertWritable(access, kind.table, input);
    const expected = ifMatch ?? input.version ?? current.version;
    const fields = personFields(input, current);
    // Only what this change adds is checked: another person may still share an erased person's address.
    await assertNotSuppressed(trx, keyring, actor.tenantId, addedValues(fields, current));
    const definitions = await fieldsOf(trx, actor.tenantId, kind.table);
    const custom = mergeCustomValues(definitions, split(current, definitions), input.custom);
    const key = await subjectKey(trx, keyring, actor.tenantId, current.subjectId);
    const row = (await repo.updatePerson(trx, kind.table, actor.tenantId, id, expected, {
      ...sealPerson(key, { tenantId: actor.tenantId, table: kind.table, id }, fields, custom.personal),
      custom: JSON.stringify(custom.plain),
      owner_id: await ownerOf(trx, actor, input.ownerId, current.ownerId),
      owner_group_id: ownerGroupOf(access, input.ownerGroupId, current.ownerGroupId),
      ...(input.lawfulBasis !== undefined ? { lawful_basis: lawfulBasis(input.lawfulBasis) } : {}),
      ...(await kind.plainColumns(trx, actor, input, current)),
      ...extra,
    } as never)) as Row | undefined;
    if (!row) throw new CrmError('version_conflict', `the ${kind.noun} changed since version ${expected}; reload and try again`);
    await indexPerson(trx, keyring, { tenantId: actor.tenantId, table: kind.table, id, subjectId: current.subjectId }, fields);
    const tags = input.tags !== undefined ? await setRecordTags(trx, actor.tenantId, kind.table, id, tagNames(input.tags)) : current.tags;
    const updated = openRow(kind, fieldKey(key), row, tags);
    const { fields: changed, values } = changesBetween(current, updated);
    await recordChange(trx, keyring, {
      tenantId: actor.tenantId,
      actor: auditActorOf(actor),
      action: `${kind.noun}.updated`,
      entity: kind.table,
      entityId: id,
      subjectIds: [current.subjectId],
      fields: changed,
      values: { subjectId: current.subjectId, data: values },
      details: { version: updated.version },
    });
    return redact(access, kind.table, updated);
  };
  return recordingBlocked(db, keyring, actor, { table: kind.table, id }, 'edit', () => inTransaction(db, run));
}

/** Soft delete into the recycle bin; erasure is a separate, final act. */
export async function deletePerson<R extends PersonRecord>(
  db: Kysely<Database>,
  keyring: Keyring,
  actor: Authenticated,
  kind: PersonKind<R, never>,
  id: string,
): Promise<void> {
  await recordingBlocked(db, keyring, actor, { table: kind.table, id }, 'delete', () => deleteIn(db, keyring, actor, kind, id));
}

async function deleteIn<R extends PersonRecord>(
  db: Kysely<Database>,
  keyring: Keyring,
  actor: Authenticated,
  kind: PersonKind<R, never>,
  id: string,
) {
  await inTransaction(db, async (trx) => {
    const record = await personForChange(trx, keyring, actor, kind, id, 'delete');
    if (record.restricted) throw restrictedError();
    if (!(await moveToBin(trx, actor.tenantId, kind.table, id))) throw new CrmError('record_not_found', `no such ${kind.noun}`);
    await recordChange(trx, keyring, {
      tenantId: actor.tenantId,
      actor: auditActorOf(actor),
      action: `${kind.noun}.deleted`,
      entity: kind.table,
      entityId: id,
      subjectIds: [record.subjectId],
    });
  });
}

/** The data subject of a record the actor may see (for its access log), without reading any personal field. */
export async function personSubjectId<R extends PersonRecord>(
  db: Kysely<Database>,
  actor: Authenticated,
  kind: PersonKind<R, never>,
  id: string,
): Promise<string> {
  const access = await requirePermission(db, actor, kind.table, 'view');
  const row = (await repo.findPerson(db, kind.table, actor.tenantId, id)) as Row | undefined;
  if (!row || !access.mayRead(kind.table, { ownerId: row.owner_id, ownerGroupId: row.owner_group_id }))
    throw new CrmError('record_not_found', `no such ${kind.noun}`);
  return row.subject_id;
}
