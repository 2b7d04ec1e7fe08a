import { CompiledQuery, sql, type Kysely } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { preparedNameOf } from '../../db/prepared.js';
import type { Database } from '../../db/schema.js';
import type { Authenticated } from '../../shared/actor.js';
import { useTestDatabase } from '../../../test/db.js';
import { createTestTenant } from '../../../test/factories.js';
import { getContact, listContacts } from '../people/contacts.service.js';
import { personFields } from '../people/people.js';
import { createPeopleInBulk } from '../people/person-records.js';

/**
 * The hot statements stay on their index whatever the statistics: a tenant
 * filled in bulk with no ANALYZE after it (autovacuum is off on CI, and lags on
 * real servers) must not send a read, a search or a list page through a Seq
 * Scan or a walk of a whole-tenant index. Each statement a request runs is
 * captured as it goes to the database and EXPLAINed (FORMAT JSON).
 */

const PEOPLE = 3000;
const test = useTestDatabase();

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

/** Every statement the calls in `run` send, in order. */
async function captured(db: Kysely<Database>, run: () => Promise<unknown>): Promise<CompiledQuery[]> {
  const executor = db.getExecutor() as unknown as { provideConnection: (consumer: (c: unknown) => Promise<unknown>) => Promise<unknown> };
  const original = executor.provideConnection;
  const seen: CompiledQuery[] = [];
  executor.provideConnection = (consumer) =>
    original.call(executor, (connection) => {
      const c = connection as { executeQuery(q: CompiledQuery): Promise<unknown> };
      return consumer({
        ...c,
        executeQuery: (q: CompiledQuery) => (seen.push(q), c.executeQuery(q)),
        streamQuery: (c as never as { streamQuery: unknown }).streamQuery,
      });
    });
  try {
    await run();
  } finally {
    executor.provideConnection = original;
  }
  return seen;
}

function nodesOf(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(nodesOf)];
}

async function planOf(db: Kysely<Database>, query: CompiledQuery): Promise<PlanNode[]> {
  const result = await db.executeQuery<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> | string }>(
    CompiledQuery.raw(`explain (format json) ${query.sql}`, [...query.parameters]),
  );
  const raw = result.rows[0]!['QUERY PLAN'];
  const json = typeof raw === 'string' ? (JSON.parse(raw) as Array<{ Plan: PlanNode }>) : raw;
  return nodesOf(json[0]!.Plan);
}

const PERSON_TABLES = ['contacts', 'blind_index_terms', 'subject_keys', 'record_tags'];

/** The scans of the people tables in the plans of the statements that read them. */
async function scansOf(db: Kysely<Database>, queries: CompiledQuery[]) {
  const reads = queries.filter(
    (q) => /^\s*(with|select)/i.test(q.sql) && PERSON_TABLES.some((t) => q.sql.includes(`"${t}"`) || q.sql.includes(` ${t} `)),
  );
  const scans: Array<{ sql: string; node: string; relation: string; index: string | undefined }> = [];
  for (const q of reads) {
    for (const n of await planOf(db, q)) {
      if (n['Relation Name'] && PERSON_TABLES.includes(n['Relation Name'])) {
        scans.push({ sql: q.sql.slice(0, 120), node: n['Node Type'], relation: n['Relation Name'], index: n['Index Name'] });
      }
    }
  }
  return scans;
}

describe('hot statements without statistics (a bulk fill, no ANALYZE)', () => {
  let actor: Authenticated;
  let ids: string[];

  beforeAll(async () => {
    const db = test.handle.db;
    const keyring = test.keyring;
    const { tenant, admin } = await createTestTenant(db);
    actor = { tenantId: tenant.id, user: admin, via: 'session', scopes: ['read', 'write', 'admin'], mfaEnrolmentRequired: false };
    ids = [];
    for (let from = 0; from < PEOPLE; from += 1000) {
      const people = Array.from({ length: 1000 }, (_, j) => {
        const i = from + j;
        return {
          fields: personFields({
            firstName: `First${i}`,
            lastName: `Last${i}`,
            emails: [`user${i}@example.com`],
            phones: [`+3120${1_000_000 + i}`],
          }),
          custom: { plain: {}, personal: {} },
          tags: [],
          lawfulBasis: 'consent' as const,
          plain: {},
        };
      });
      ids.push(...(await db.transaction().execute((trx) => createPeopleInBulk(trx, keyring, actor, 'contacts', people))));
    }
  }, 120_000);

  it('starts from tables nothing has analyzed', async () => {
    const db = test.handle.db;
    const { rows } = await sql<{ relname: string; analyzed: boolean }>`
      select relname, (last_analyze is not null or last_autoanalyze is not null) as analyzed
      from pg_stat_user_tables where relname in ('contacts', 'blind_index_terms', 'subject_keys')`.execute(db);
    expect(rows.map((r) => r.relname).sort()).toEqual(['blind_index_terms', 'contacts', 'subject_keys']);
    expect(rows.filter((r) => r.analyzed)).toEqual([]);
    const { rows: stats } = await sql<{
      n: number;
    }>`select count(*)::int as n from pg_stats where tablename in ('contacts', 'blind_index_terms')`.execute(db);
    expect(stats[0]!.n).toBe(0);
  });

  const cases: Array<[string, (db: Kysely<Database>) => Promise<unknown>, { index: Record<string, string[]> }]> = [
    ['get by id', (db) => getContact(db, test.keyring, actor, ids[1234]!), { index: { contacts: ['contacts_pkey'] } }],
    [
      'search by e-mail',
      (db) => listContacts(db, test.keyring, actor, { email: 'user2345@example.com' }),
      { index: { contacts: ['contacts_pkey'], blind_index_terms: ['blind_index_terms_pkey'] } },
    ],
    [
      'search by phone',
      (db) => listContacts(db, test.keyring, actor, { phone: '+31201002345' }),
      { index: { contacts: ['contacts_pkey'], blind_index_terms: ['blind_index_terms_pkey'] } },
    ],
    [
      'search by name',
      (db) => listContacts(db, test.keyring, actor, { q: 'Last234' }),
      { index: { contacts: ['contacts_pkey'], blind_index_terms: ['blind_index_terms_pkey'] } },
    ],
    ['list page', (db) => listContacts(db, test.keyring, actor, { limit: 50 }), { index: { contacts: ['contacts_created_idx'] } }],
    [
      'list page, newest first',
      (db) => listContacts(db, test.keyring, actor, { limit: 50, sort: '-updatedAt' }),
      { index: { contacts: ['contacts_updated_idx'] } },
    ],
  ];

  it('runs the first page of a list and the read by id as prepared statements (planned once, not per request)', async () => {
    const db = test.handle.db;
    for (const run of [() => listContacts(db, test.keyring, actor, { limit: 50 }), () => getContact(db, test.keyring, actor, ids[42]!)]) {
      const people = (await captured(db, run)).filter((q) => q.sql.includes('"contacts"'));
      expect(people.length).toBeGreaterThan(0);
      for (const q of people) expect(preparedNameOf(q.sql), q.sql.slice(0, 80)).toBeDefined();
    }
  });

  for (const [name, run, expected] of cases) {
    it(`${name}: every people table read through its expected index, none scanned whole`, async () => {
      const db = test.handle.db;
      const queries = await captured(db, () => run(db));
      const scans = await scansOf(db, queries);
      expect(scans.length).toBeGreaterThan(0);
      for (const s of scans) {
        expect(s.node, `${s.relation} in ${s.sql}`).not.toMatch(/Seq Scan|Bitmap Heap Scan/);
        const allowed = expected.index[s.relation];
        if (allowed) expect(allowed, `${s.relation} in ${s.sql}`).toContain(s.index);
      }
    });
  }
});
