import { randomBytes } from 'node:crypto';
import { blindIndexTerms, EMAIL_INDEX, indexKey, NAME_INDEX, PHONE_INDEX } from '../src/keys/blind-index.js';
import { openPerson, openPersonWith, personFields, sealPerson } from '../src/crm/people/people.js';
import { decryptField, encryptField, fieldKey } from '../src/keys/field-crypto.js';
import { measure, table, type Measurement } from './harness.js';

// A 10-field person, as contacts will hold them.
const person = {
  firstName: 'Zoë',
  lastName: "d'Ávila-Brown",
  email1: 'zoe.davila@example.test',
  email2: 'z.davila@work.example',
  phone1: '+31 20 123 4567',
  phone2: '06 1234 5678',
  street: 'Prinsengracht 263',
  city: 'Amsterdam',
  birthday: '1987-04-12',
  note: 'Met at the Utrecht trade fair; interested in the enterprise plan, prefers calls after 16:00, decision expected before the summer. Ask about the Rotterdam office.',
};
type Field = keyof typeof person;
const fields = Object.keys(person) as Field[];

const tenantId = '01900000-0000-7000-8000-000000000001';
const rowId = '01900000-0000-7000-8000-000000000002';
const subjectKey = randomBytes(32);
const tenantKey = randomBytes(32);
const key = fieldKey(subjectKey);
const emailKey = indexKey(tenantKey, EMAIL_INDEX);
const phoneKey = indexKey(tenantKey, PHONE_INDEX);
const nameKey = indexKey(tenantKey, NAME_INDEX);
const ctx = (field: string) => ({ tenantId, table: 'contacts', rowId, field });

const encryptAll = () => fields.map((f) => encryptField(key, 1, ctx(f), person[f]));
const sealed = encryptAll();
const decryptAll = () => fields.map((f, i) => decryptField(key, ctx(f), sealed[i]!));
const indexAll = () => [
  ...blindIndexTerms(emailKey, EMAIL_INDEX, person.email1),
  ...blindIndexTerms(emailKey, EMAIL_INDEX, person.email2),
  ...blindIndexTerms(phoneKey, PHONE_INDEX, person.phone1),
  ...blindIndexTerms(phoneKey, PHONE_INDEX, person.phone2),
  ...blindIndexTerms(nameKey, NAME_INDEX, `${person.firstName} ${person.lastName}`),
];

// The same person as contacts store it: one sealed document (migration 0014), and the five columns of before.
const where = { tenantId, table: 'contacts' as const, id: rowId };
const stored = sealPerson(
  subjectKey,
  where,
  personFields({
    firstName: person.firstName,
    lastName: person.lastName,
    emails: [person.email1, person.email2],
    phones: [person.phone1, person.phone2],
    address: { street: person.street, city: person.city },
    birthday: person.birthday,
    jobTitle: person.note.slice(0, 60),
  }),
  {},
);
const opened = openPerson(subjectKey, where, stored).fields;
const legacySeal = (field: string, value: string) => encryptField(key, 1, ctx(field), value);
const legacy = {
  first_name_enc: legacySeal('first_name', opened.firstName),
  last_name_enc: legacySeal('last_name', opened.lastName),
  emails_enc: legacySeal('emails', JSON.stringify(opened.emails)),
  phones_enc: legacySeal('phones', JSON.stringify(opened.phones)),
  details_enc: legacySeal(
    'details',
    JSON.stringify({ jobTitle: opened.jobTitle, address: opened.address, birthday: opened.birthday, language: null, custom: {} }),
  ),
};

export function run(): { title: string; markdown: string; rows: Measurement[] } {
  const baseline = measure('baseline: JSON.stringify + JSON.parse of the person', () => JSON.parse(JSON.stringify(person)));
  const rows = [
    baseline,
    measure('encrypt 10 fields (AES-256-GCM)', encryptAll),
    measure('decrypt 10 fields', decryptAll),
    measure('blind index terms (2 e-mails, 2 phones, name words + prefixes)', indexAll),
    measure('write path: encrypt + index terms', () => {
      encryptAll();
      indexAll();
    }),
    measure(
      'list page of 50 before migration 0014: five sealed fields each, field key derived per person',
      () => {
        for (let i = 0; i < 50; i++) openPerson(subjectKey, where, legacy);
      },
      { batch: 5, batches: 30 },
    ),
    measure(
      'read path of a list page: 50 people, one sealed document each, field key cached',
      () => {
        for (let i = 0; i < 50; i++) openPersonWith(key, where, stored);
      },
      { batch: 5, batches: 30 },
    ),
  ];
  return {
    title: 'Person field crypto (src/keys/field-crypto.ts, blind-index.ts)',
    markdown: table(rows, baseline),
    rows,
  };
}
