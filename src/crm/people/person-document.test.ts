import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Authenticated } from '../../shared/actor.js';
import { encryptField, fieldKey, FieldDecryptionError } from '../../keys/field-crypto.js';
import { subjectKey } from '../../keys/keys.service.js';
import { eraseSubject } from '../../key-lifecycle/shredding.js';
import { useTestDatabase } from '../../../test/db.js';
import { createTestTenant } from '../../../test/factories.js';
import { createContact, getContact, listContacts, type Contact } from './contacts.service.js';
import { openPerson, sealPerson } from './people.js';
import { sealLegacyPeople } from './person-records.js';

/**
 * Since migration 0014 a person's fields are one sealed document (one AES-GCM
 * operation per read, not five); rows written field by field before are read
 * as they are and rewritten by the start step sealLegacyPeople.
 */

const test = useTestDatabase();
let actor: Authenticated;

beforeAll(async () => {
  const { tenant, admin } = await createTestTenant(test.handle.db);
  actor = { tenantId: tenant.id, user: admin, via: 'session', scopes: ['read', 'write', 'admin'], mfaEnrolmentRequired: false };
});

const input = (n: number) => ({
  firstName: `Ada${n}`,
  lastName: 'Lovelace',
  emails: [{ value: `ada${n}@example.test`, label: 'work' }],
  phones: ['+31 6 1234 5678'],
  jobTitle: 'Analyst',
  address: { street: 'Baker Street 1', city: 'London' },
  birthday: '1815-12-10',
});

type StoredRow = {
  person_enc: Buffer | null;
  first_name_enc: Buffer | null;
  last_name_enc: Buffer | null;
  emails_enc: Buffer | null;
  phones_enc: Buffer | null;
  details_enc: Buffer | null;
};

async function stored(id: string): Promise<StoredRow> {
  const { rows } =
    await sql<StoredRow>`select person_enc, first_name_enc, last_name_enc, emails_enc, phones_enc, details_enc from contacts where id = ${id}`.execute(
      test.handle.db,
    );
  return rows[0]!;
}

/** Writes a contact back in the format of before migration 0014: five fields, each sealed on its own. */
async function makeLegacy(contact: Contact): Promise<void> {
  const key = fieldKey(await subjectKey(test.handle.db, test.keyring, actor.tenantId, contact.subjectId));
  const seal = (field: string, value: string) =>
    encryptField(key, 1, { tenantId: actor.tenantId, table: 'contacts', rowId: contact.id, field }, value);
  const details = {
    jobTitle: contact.jobTitle,
    address: contact.address,
    birthday: contact.birthday,
    language: contact.language,
    custom: {},
  };
  await sql`update contacts set person_enc = null, first_name_enc = ${seal('first_name', contact.firstName)}, last_name_enc = ${seal('last_name', contact.lastName)},
    emails_enc = ${seal('emails', JSON.stringify(contact.emails))}, phones_enc = ${seal('phones', JSON.stringify(contact.phones))},
    details_enc = ${seal('details', JSON.stringify(details))} where id = ${contact.id}`.execute(test.handle.db);
}

const fieldsOf = (c: Contact) => ({
  firstName: c.firstName,
  lastName: c.lastName,
  emails: c.emails,
  phones: c.phones,
  jobTitle: c.jobTitle,
  address: c.address,
  birthday: c.birthday,
});

describe('one sealed document per person', () => {
  it('stores a new contact as one document under its subject key, no field in clear and no legacy column', async () => {
    const created = await createContact(test.handle.db, test.keyring, actor, input(1));
    const row = await stored(created.id);
    expect(row.person_enc).toBeInstanceOf(Buffer);
    expect([row.first_name_enc, row.last_name_enc, row.emails_enc, row.phones_enc, row.details_enc]).toEqual([
      null,
      null,
      null,
      null,
      null,
    ]);
    for (const secret of ['Ada1', 'Lovelace', 'ada1@example.test', '1234 5678', 'Baker Street', '1815-12-10'])
      expect(row.person_enc!.toString('latin1')).not.toContain(secret);
    expect(fieldsOf(await getContact(test.handle.db, test.keyring, actor, created.id))).toEqual(fieldsOf(created));
  });

  it('binds the document to its tenant, table and row: moved anywhere else it does not open', async () => {
    const created = await createContact(test.handle.db, test.keyring, actor, input(2));
    const key = await subjectKey(test.handle.db, test.keyring, actor.tenantId, created.subjectId);
    const row = await stored(created.id);
    const where = { tenantId: actor.tenantId, table: 'contacts' as const, id: created.id };
    expect(openPerson(key, where, row).fields.firstName).toBe('Ada2');
    const elsewhere = (await createContact(test.handle.db, test.keyring, actor, input(3))).id;
    expect(() => openPerson(key, { ...where, id: elsewhere }, row)).toThrow(FieldDecryptionError);
    expect(() => openPerson(key, { ...where, table: 'leads' }, row)).toThrow(FieldDecryptionError);
    expect(() => openPerson(key, { ...where, tenantId: actor.user.id }, row)).toThrow(FieldDecryptionError);
    // Under another person's key it does not open either.
    const other = sealPerson(key, where, { ...fieldsOf(created), language: null }, {});
    const otherKey = await subjectKey(
      test.handle.db,
      test.keyring,
      actor.tenantId,
      (await createContact(test.handle.db, test.keyring, actor, input(4))).subjectId,
    );
    expect(() => openPerson(otherKey, where, other)).toThrow(FieldDecryptionError);
  });

  it('reads and finds rows stored field by field, and rewrites them at start as documents that read the same', async () => {
    const legacy = await createContact(test.handle.db, test.keyring, actor, input(5));
    const erased = await createContact(test.handle.db, test.keyring, actor, input(6));
    await makeLegacy(legacy);
    await makeLegacy(erased);
    expect((await stored(legacy.id)).person_enc).toBeNull();
    test.keyring.subjectKeys.forgetSubject(actor.tenantId, legacy.subjectId); // read as a fresh process would
    expect(fieldsOf(await getContact(test.handle.db, test.keyring, actor, legacy.id))).toEqual(fieldsOf(legacy));
    const found = await listContacts(test.handle.db, test.keyring, actor, { email: 'ADA5@example.test' });
    expect(found.items.map((c) => c.id)).toEqual([legacy.id]);
    await eraseSubject(test.handle.db, test.keyring, actor.tenantId, erased.subjectId);

    expect(await sealLegacyPeople(test.handle.db, test.keyring, 1)).toBe(1);
    const row = await stored(legacy.id);
    expect(row.person_enc).toBeInstanceOf(Buffer);
    expect([row.first_name_enc, row.last_name_enc, row.emails_enc, row.phones_enc, row.details_enc]).toEqual([
      null,
      null,
      null,
      null,
      null,
    ]);
    expect(fieldsOf(await getContact(test.handle.db, test.keyring, actor, legacy.id))).toEqual(fieldsOf(legacy));
    expect((await listContacts(test.handle.db, test.keyring, actor, { email: 'ada5@example.test' })).items.map((c) => c.id)).toEqual([
      legacy.id,
    ]);
    // The erased person's fields stay as they were (no key opens them); nothing is left to rewrite.
    expect((await stored(erased.id)).person_enc).toBeNull();
    expect(await sealLegacyPeople(test.handle.db, test.keyring)).toBe(0);
  });
});
