import { sql, type Kysely } from 'kysely';
import { personFields } from '../src/crm/people/people.js';
import { createPeopleInBulk, type NewPerson } from '../src/crm/people/person-records.js';
import type { Database } from '../src/db/schema.js';
import type { User } from '../src/identity/identity.service.js';
import type { Authenticated } from '../src/shared/actor.js';
import type { Keyring } from '../src/keys/keyring.js';

/**
 * Seeding for the HTTP benchmark. Contacts go in through the CRM's own bulk
 * path (createPeopleInBulk, what the CSV import uses: subjects with wrapped
 * keys, sealed fields, blind index terms, in multi-row INSERTs), a few
 * batches in flight, each in its own transaction: the rows are exactly what
 * the product writes, and 100,000 of them take a minute or two rather than
 * an hour of HTTP calls. The same people go, in plaintext, into the
 * baseline's table.
 */

export interface Person {
  firstName: string;
  lastName: string;
  email: string;
  phone: string;
}

const FIRST = [
  'Anna',
  'Bram',
  'Carla',
  'Daan',
  'Eva',
  'Femke',
  'Gijs',
  'Hanna',
  'Ilse',
  'Jan',
  'Kees',
  'Lotte',
  'Maarten',
  'Noor',
  'Olivier',
  'Pieter',
  'Quinten',
  'Roos',
  'Sanne',
  'Thijs',
  'Umar',
  'Vera',
  'Willem',
  'Xander',
  'Yara',
  'Zoe',
  'Amir',
  'Bas',
  'Chloe',
  'Dirk',
  'Emma',
  'Fleur',
  'Gerrit',
  'Hugo',
  'Iris',
  'Joost',
  'Karin',
  'Lars',
  'Mila',
  'Nina',
  'Otto',
  'Petra',
  'Rik',
  'Sara',
  'Tim',
  'Ulla',
  'Vince',
  'Wendy',
  'Yusuf',
  'Zara',
  'Alice',
  'Boris',
  'Celine',
  'David',
  'Elena',
  'Frank',
  'Greta',
  'Henk',
  'Ivo',
  'Julia',
  'Koen',
  'Lisa',
  'Mark',
  'Nadia',
  'Oscar',
  'Paula',
  'Ruben',
  'Sofie',
  'Tom',
  'Valerie',
  'Wouter',
  'Yasmin',
];
const LAST_START = [
  'van',
  'de',
  'ber',
  'kor',
  'mol',
  'jan',
  'pie',
  'wil',
  'hen',
  'ros',
  'bak',
  'smi',
  'vis',
  'mul',
  'dek',
  'bos',
  'mee',
  'ver',
  'hof',
  'lin',
  'gro',
  'kla',
  'ste',
  'bru',
  'wes',
];
const LAST_MIDDLE = ['der', 'ter', 'sen', 'man', 'ke', 'lo', 'ri', 'na', 'ber', 'gen', 'wa', 'to'];
const LAST_END = ['s', 'ink', 'huis', 'berg', 'veld', 'dijk', 'stra', 'ma', 'er', 'hout', 'hof', 'kamp'];

// A cheap integer hash, so each field varies independently of the others.
function mix(i: number, salt: number): number {
  let h = Math.imul(i ^ salt, 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 15), 0x85ebca6b);
  return (h ^ (h >>> 13)) >>> 0;
}

function capitalize(word: string): string {
  return word[0]!.toUpperCase() + word.slice(1);
}

/** The n-th person of the data set: the same in every run and in both tables. */
export function personAt(n: number): Person {
  const firstName = FIRST[mix(n, 1) % FIRST.length]!;
  const lastName = capitalize(
    LAST_START[mix(n, 2) % LAST_START.length]! + LAST_MIDDLE[mix(n, 3) % LAST_MIDDLE.length]! + LAST_END[mix(n, 4) % LAST_END.length]!,
  );
  return {
    firstName,
    lastName,
    email: `${firstName}.${lastName}.${n}@example${n % 97}.test`.toLowerCase(),
    phone: `+31 6 ${String(10_000_000 + (mix(n, 5) % 89_999_999)).slice(0, 8)}`,
  };
}

/** The n-th row of the Directus peer (bench/directus-setup.sh), which Custodia gets too in `npm run bench:peer`. */
export function peerPersonAt(n: number): Person {
  return { firstName: `First${n}`, lastName: `Last${n}`, email: `user${n}@example.com`, phone: `+3120${1_000_000 + n}` };
}

export interface SeedOptions {
  tenantId: string;
  /** The tenant's admin: owner of every seeded contact. */
  owner: User;
  count: number;
  batchSize?: number;
  /** Transactions in flight at once (PGlite runs them one after another anyway). */
  concurrency?: number;
  onProgress?: (done: number) => void;
  /** The n-th person (personAt by default; the peer benchmark seeds the peer's rows). */
  person?: (n: number) => Person;
}

/** Writes `count` encrypted contacts and answers their ids in seed order (id i is personAt(i)). */
export async function seedEncryptedContacts(db: Kysely<Database>, keyring: Keyring, options: SeedOptions): Promise<string[]> {
  const { tenantId, owner, count } = options;
  const batchSize = options.batchSize ?? 1000;
  const concurrency = options.concurrency ?? 3;
  const actor: Authenticated = { tenantId, user: owner, via: 'session', scopes: ['read', 'write', 'admin'], mfaEnrolmentRequired: false };
  const ids: string[] = new Array<string>(count);
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < count) {
      const from = next;
      const to = Math.min(count, from + batchSize);
      next = to;
      const people: NewPerson[] = [];
      for (let n = from; n < to; n++) {
        const p = (options.person ?? personAt)(n);
        people.push({
          fields: personFields({ firstName: p.firstName, lastName: p.lastName, emails: [p.email], phones: [p.phone] }),
          custom: { plain: {}, personal: {} },
          tags: [],
          lawfulBasis: 'consent',
          plain: {},
        });
      }
      const created = await db.transaction().execute((trx) => createPeopleInBulk(trx, keyring, actor, 'contacts', people));
      created.forEach((id, i) => (ids[from + i] = id));
      done += created.length;
      options.onProgress?.(done);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  await sql`analyze subjects, subject_keys, contacts, blind_index_terms`.execute(db);
  return ids;
}

/**
 * The baseline's table: the same people in plaintext, no tenant, key, audit
 * or permission columns, indexed for what the baseline routes look up.
 */
export async function seedPlainContacts(
  db: Kysely<Database>,
  ids: string[],
  options: { batchSize?: number; onProgress?: (done: number) => void } = {},
): Promise<void> {
  const batchSize = options.batchSize ?? 5000;
  await sql`create table bench_plain_contacts (
    id uuid primary key,
    first_name text not null,
    last_name text not null,
    email text not null,
    phone text not null,
    created_at timestamptz not null default now()
  )`.execute(db);
  const inflight: Array<Promise<unknown>> = [];
  for (let from = 0; from < ids.length; from += batchSize) {
    const slice = ids.slice(from, from + batchSize);
    const people = slice.map((_, i) => personAt(from + i));
    inflight.push(
      sql`insert into bench_plain_contacts (id, first_name, last_name, email, phone)
        select * from unnest(${slice}::uuid[], ${people.map((p) => p.firstName)}::text[], ${people.map((p) => p.lastName)}::text[],
                             ${people.map((p) => p.email)}::text[], ${people.map((p) => p.phone)}::text[])`.execute(db),
    );
    if (inflight.length >= 2) await inflight.shift();
    options.onProgress?.(Math.min(ids.length, from + batchSize));
  }
  await Promise.all(inflight);
  // Indexes after the load: cheaper than maintaining them row by row.
  await sql`create index bench_plain_contacts_email_idx on bench_plain_contacts (lower(email))`.execute(db);
  await sql`create index bench_plain_contacts_first_idx on bench_plain_contacts (lower(first_name) text_pattern_ops)`.execute(db);
  await sql`create index bench_plain_contacts_last_idx on bench_plain_contacts (lower(last_name) text_pattern_ops)`.execute(db);
  await sql`analyze bench_plain_contacts`.execute(db);
}
