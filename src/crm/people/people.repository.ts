import { sql, type Compilable, type Insertable, type Kysely, type RawBuilder, type Updateable } from 'kysely';
import { precompiled } from '../../db/prepared.js';
import { after, orderBy, sortKey, type Keyset } from '../common/pagination.js';
import type { ContactsTable, Database, LeadsTable } from '../../db/schema.js';
import { taggedWith } from '../tags/tags.repository.js';
import { ownedBy, type Owners } from '../common/ownership.js';

// The only SQL over people: contacts and leads share their personal columns,
// so one set of queries serves both tables. Every function takes the tenant.

export type PersonTable = 'contacts' | 'leads';
export type PersonRow = ContactsTable | LeadsTable;
type Values = Insertable<ContactsTable> | Insertable<LeadsTable>;
type Changes = Updateable<ContactsTable> | Updateable<LeadsTable>;

// Kysely cannot type a query over "either table"; both share every column
// these functions name, so the casts below only pick one of two equal shapes.
const as = (table: PersonTable) => table as 'contacts';

export async function insertPerson(db: Kysely<Database>, table: PersonTable, values: Values) {
  return db
    .insertInto(as(table))
    .values(values as Insertable<ContactsTable>)
    .returningAll()
    .executeTakeFirstOrThrow() as Promise<Record<string, unknown>>;
}

/**
 * The tenant's rows with these ids (one id, or an array), each looked up by
 * its whole primary key whatever the planner's statistics. An array is
 * joined from (unnest, one LATERAL lookup per id, LIMIT 1 so that it is
 * not flattened into a join) rather than filtered by (`id = any(…)`): with no
 * statistics the planner takes a tenant for 0.5% of the table, and
 * `tenant_id = … and id = any(…)` then cost the same on every index that
 * begins with tenant_id — it walked `contacts_updated_idx` or
 * `contacts_org_idx` over the whole tenant for 15 ids, or hashed the tenant's
 * rows against them. The OFFSET 0 is a fence:
 * PostgreSQL does not pull such a subquery up into the query around it, so
 * the caller's `deleted_at` filter, sort and limit (which partial list
 * indexes match) apply to the rows found, not to how they are found.
 */
function byPrimaryKey(db: Kysely<Database>, table: PersonTable, tenantId: unknown, ids: { one: unknown } | { any: unknown }) {
  const t = as(table);
  const lookup =
    'one' in ids
      ? db
          .selectFrom(t)
          .selectAll()
          .where('tenant_id', '=', tenantId as string)
          .where('id', '=', ids.one as string)
      : db
          .selectFrom(sql<{ wanted: string }>`unnest(${ids.any}::uuid[])`.as('wanted')) // one column, named as its alias
          .innerJoinLateral(
            (eb) =>
              eb
                .selectFrom(t)
                .selectAll()
                .where('tenant_id', '=', tenantId as string)
                .whereRef('id', '=', 'wanted.wanted')
                .limit(1)
                .as(t),
            (j) => j.onTrue(),
          )
          .selectAll(t);
  return lookup.offset(sql<number>`0`).as(t);
}

/** Many new people in few statements (imports). */
export async function insertPeople(db: Kysely<Database>, table: PersonTable, rows: Values[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 500) {
    await db
      .insertInto(as(table))
      .values(rows.slice(i, i + 500) as Insertable<ContactsTable>[])
      .execute();
  }
}

/** Rows by id (not deleted, or only deleted ones), for confirming blind index candidates in bulk. */
export async function findPeople(
  db: Kysely<Database>,
  table: PersonTable,
  tenantId: string,
  ids: string[],
  options: { deleted?: boolean } = {},
) {
  if (ids.length === 0) return [];
  return db
    .selectFrom(byPrimaryKey(db, table, tenantId, { any: ids }))
    .selectAll()
    .where('deleted_at', options.deleted ? 'is not' : 'is', null)
    .execute() as Promise<Array<Record<string, unknown>>>;
}

/** Sealed labelled-value columns of rows written before migration 0014 (others have them in `person_enc`). */
export type SealedListColumn = 'emails_enc' | 'phones_enc';

/**
 * The sealed document (or, in rows not yet rewritten, just some sealed
 * columns) of people by id (not deleted), with their wrapped subject keys:
 * blind index candidates are mostly collisions whose keys are not cached.
 */
export async function findPeopleSealed(
  db: Kysely<Database>,
  table: PersonTable,
  tenantId: string,
  ids: string[],
  columns: readonly SealedListColumn[],
) {
  if (ids.length === 0) return [];
  const rows = await db
    .selectFrom(byPrimaryKey(db, table, tenantId, { any: ids }))
    .leftJoin('subject_keys', (j) =>
      j.onRef('subject_keys.tenant_id', '=', `${as(table)}.tenant_id`).onRef('subject_keys.subject_id', '=', `${as(table)}.subject_id`),
    )
    .select([
      `${as(table)}.id`,
      `${as(table)}.subject_id`,
      `${as(table)}.person_enc`,
      ...columns.map((c) => `${as(table)}.${c}` as const),
      'subject_keys.wrapped_key as subject_wrapped_key',
      'subject_keys.tenant_key_version as subject_tenant_key_version',
    ])
    .where(`${as(table)}.deleted_at`, 'is', null)
    .execute();
  return rows as Array<
    {
      id: string;
      subject_id: string;
      person_enc: Buffer | null;
      subject_wrapped_key: Buffer | null;
      subject_tenant_key_version: number | null;
    } & Partial<Record<SealedListColumn, Buffer | null>>
  >;
}

export async function findPerson(
  db: Kysely<Database>,
  table: PersonTable,
  tenantId: string,
  id: string,
  options: { deleted?: boolean } = {},
) {
  return db
    .selectFrom(as(table))
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .where('deleted_at', options.deleted ? 'is not' : 'is', null)
    .executeTakeFirst() as Promise<Record<string, unknown> | undefined>;
}

/** What reading one record needs beyond its row, fetched with it in one statement. */
export interface PersonReadExtras {
  /** Its tag names, in the order lists show them. */
  tag_names: string[];
  /** The person's wrapped subject key (null once erased), so that a cold key cache costs no extra query. */
  subject_wrapped_key: Buffer | null;
  subject_tenant_key_version: number | null;
  /** The tenant's access version, read in the same statement (see accessAt). */
  access_version: number | null;
}

/** A row's tag names (in the order lists show them) as a column, so reads and pages need no query of their own for tags. */
function tagNamesColumn(table: PersonTable) {
  return sql<string[]>`array(
    select t.name from record_tags rt join tags t on t.tenant_id = rt.tenant_id and t.id = rt.tag_id
    where rt.tenant_id = ${sql.ref(`${table}.tenant_id`)} and rt.module = ${sql.lit(table)} and rt.record_id = ${sql.ref(`${table}.id`)}
    order by lower(t.name))`;
}

type PersonReadRow = Record<string, unknown> & PersonReadExtras;
const personReads = new Map<string, (db: Kysely<Database>, values: Record<'tenantId' | 'id', unknown>) => Promise<PersonReadRow[]>>();

/**
 * `findPerson` for a read: the row with its tags, wrapped subject key and the
 * tenant's access version (`accessVersion` gives that column), in one round
 * trip. The hottest statement of the API, so precompiled and prepared.
 */
export async function findPersonToRead(
  db: Kysely<Database>,
  table: PersonTable,
  tenantId: string,
  id: string,
  options: { deleted?: boolean; accessVersion: (tenantId: string) => RawBuilder<number | null> },
): Promise<PersonReadRow | undefined> {
  const variant = `${table}:${options.deleted ? 'deleted' : 'live'}`;
  let read = personReads.get(variant);
  if (!read) {
    read = precompiled<'tenantId' | 'id', PersonReadRow>(
      (param) =>
        db
          .selectFrom(byPrimaryKey(db, table, param('tenantId'), { one: param('id') }))
          .leftJoin('subject_keys', (j) =>
            j
              .onRef('subject_keys.tenant_id', '=', `${as(table)}.tenant_id`)
              .onRef('subject_keys.subject_id', '=', `${as(table)}.subject_id`),
          )
          .selectAll(as(table))
          .select([
            'subject_keys.wrapped_key as subject_wrapped_key',
            'subject_keys.tenant_key_version as subject_tenant_key_version',
            tagNamesColumn(table).as('tag_names'),
            options.accessVersion(param('tenantId')).as('access_version'),
          ])
          .where(`${as(table)}.deleted_at`, options.deleted ? 'is not' : 'is', null) as unknown as Compilable<PersonReadRow>,
    );
    personReads.set(variant, read);
  }
  const [row] = await read(db, { tenantId, id });
  return row;
}

export type PersonSort = 'createdAt' | '-createdAt' | 'updatedAt' | '-updatedAt' | 'company' | '-company';
const SORT_COLUMNS = { createdAt: 'created_at', updatedAt: 'updated_at', company: 'company' } as const;

export interface PersonListQuery {
  limit: number;
  sort: PersonSort;
  /** The last row of the previous page: its sort value (as text) and id. */
  after: { key: string | number | null; id: string } | null;
  /** Restricts to these ids (blind index candidates). */
  ids?: string[];
  ownerId?: string;
  /** Only records assigned to this group. */
  ownerGroupId?: string;
  /** Only records of these owners: the actor's reach under the sharing model. */
  owners?: Owners;
  tag?: string;
  createdFrom?: Date;
  createdTo?: Date;
  updatedFrom?: Date;
  updatedTo?: Date;
  /** Equality on plain columns of this table (organization_id, status …). */
  equals?: Record<string, string>;
  /** Also select the tenant's access version (as `access_version`), for `accessAt`. */
  accessVersion?: (tenantId: string) => RawBuilder<number | null>;
  /** Leaves out people whose processing is restricted (exports). */
  unrestricted?: boolean;
}

/**
 * A page in the requested order, keyset-paginated on (sort column, id), so
 * rows inserted meanwhile neither repeat nor push others off. Each row also
 * carries `sort_key`, the sort value as text, for the next cursor.
 */
type PageRow = Record<string, unknown> & { sort_key: string | null; id: string; tag_names: string[] };
const firstPages = new Map<string, (db: Kysely<Database>, values: Record<'tenantId', unknown>) => Promise<PageRow[]>>();
// Page sizes (plus the one row that tells whether a next page exists) whose first page is prepared; the
// limit is a constant of the text, so PostgreSQL's generic plan knows it and keeps the list index.
const PREPARED_LIMITS = new Set([11, 21, 26, 51, 101, 201]);

export async function listPeople(db: Kysely<Database>, table: PersonTable, tenantId: string, q: PersonListQuery): Promise<PageRow[]> {
  if (q.ids && q.ids.length === 0) return [];
  const plain =
    PREPARED_LIMITS.has(q.limit) &&
    !q.ids &&
    !q.after &&
    !q.owners &&
    !q.ownerId &&
    !q.ownerGroupId &&
    !q.tag &&
    !q.createdFrom &&
    !q.createdTo &&
    !q.updatedFrom &&
    !q.updatedTo &&
    !q.unrestricted &&
    Object.keys(q.equals ?? {}).length === 0;
  if (plain) {
    // The first page of a whole list (what a list view opens with): one fixed text, precompiled and
    // prepared (src/db/prepared.ts) — PostgreSQL spent longer planning it than running it.
    const variant = `${table}:${q.sort}:${q.limit}:${q.accessVersion ? 'version' : ''}`;
    let page = firstPages.get(variant);
    if (!page) {
      page = precompiled<'tenantId', PageRow>(
        (param) => pageQuery(db, table, param('tenantId'), sql.lit(q.limit), q) as unknown as Compilable<PageRow>,
      );
      firstPages.set(variant, page);
    }
    return page(db, { tenantId });
  }
  return pageQuery(db, table, tenantId, q.limit, q).execute() as Promise<PageRow[]>;
}

function pageQuery(db: Kysely<Database>, table: PersonTable, tenantId: string, limit: unknown, q: PersonListQuery) {
  const column = SORT_COLUMNS[q.sort.replace('-', '') as keyof typeof SORT_COLUMNS];
  const k: Keyset = {
    column: `${table}.${column}`,
    id: `${table}.id`,
    descending: q.sort.startsWith('-'),
    ...(column === 'company' ? {} : { cast: 'timestamptz' as const }),
  };
  // Candidates of a search are looked up by primary key, then sorted and paged: never by walking a list index.
  let query = db
    .selectFrom(q.ids ? byPrimaryKey(db, table, tenantId, { any: q.ids }) : as(table))
    .selectAll()
    .select([sortKey(k).as('sort_key'), tagNamesColumn(table).as('tag_names')])
    .where('tenant_id', '=', tenantId)
    .where('deleted_at', 'is', null)
    .limit(limit as number); // a number, or a literal for a prepared text
  if (q.ownerId) query = query.where('owner_id', '=', q.ownerId);
  if (q.unrestricted) query = query.where('restricted_at', 'is', null);
  if (q.ownerGroupId) query = query.where('owner_group_id', '=', q.ownerGroupId);
  if (q.owners) query = query.where(ownedBy(q.owners, table));
  if (q.tag) query = query.where(taggedWith(table, sql.ref(`${table}.id`), tenantId, q.tag));
  if (q.createdFrom) query = query.where('created_at', '>=', q.createdFrom);
  if (q.createdTo) query = query.where('created_at', '<', q.createdTo);
  if (q.updatedFrom) query = query.where('updated_at', '>=', q.updatedFrom);
  if (q.updatedTo) query = query.where('updated_at', '<', q.updatedTo);
  for (const [name, value] of Object.entries(q.equals ?? {})) query = query.where(sql.ref(`${table}.${name}`), '=', value);
  if (q.after) query = query.where(after(k, q.after));
  if (q.accessVersion) query = query.select(q.accessVersion(tenantId).as('access_version'));
  const [first, second] = orderBy(k);
  return query.orderBy(first).orderBy(second);
}

/** Updates when the version still matches; undefined means someone else changed it first. */
export async function updatePerson(
  db: Kysely<Database>,
  table: PersonTable,
  tenantId: string,
  id: string,
  expectedVersion: number,
  values: Changes,
) {
  return db
    .updateTable(as(table))
    .set((eb) => ({ ...(values as Updateable<ContactsTable>), version: eb('version', '+', 1), updated_at: new Date() }))
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .where('version', '=', expectedVersion)
    .where('deleted_at', 'is', null)
    .returningAll()
    .executeTakeFirst() as Promise<Record<string, unknown> | undefined>;
}

/** A batch of people still in the five-field form of before migration 0014, with their subject keys (null: erased). */
export async function legacyPeople(db: Kysely<Database>, table: PersonTable, after: { tenant: string; id: string } | null, batch: number) {
  let query = db
    .selectFrom(table)
    .innerJoin('subject_keys', (j) =>
      j.onRef('subject_keys.tenant_id', '=', `${table}.tenant_id`).onRef('subject_keys.subject_id', '=', `${table}.subject_id`),
    )
    .select([
      `${table}.tenant_id`,
      `${table}.id`,
      `${table}.subject_id`,
      `${table}.version`,
      `${table}.first_name_enc`,
      `${table}.last_name_enc`,
      `${table}.emails_enc`,
      `${table}.phones_enc`,
      `${table}.details_enc`,
      'subject_keys.wrapped_key',
      'subject_keys.tenant_key_version',
    ])
    .where(`${table}.person_enc`, 'is', null)
    .orderBy(`${table}.tenant_id`)
    .orderBy(`${table}.id`)
    .limit(batch);
  if (after) {
    query = query.where(
      sql<boolean>`(${sql.ref(`${table}.tenant_id`)}, ${sql.ref(`${table}.id`)}) > (${after.tenant}::uuid, ${after.id}::uuid)`,
    );
  }
  return query.execute();
}

/** Writes people's one sealed document in place of the five fields, unless the row changed since it was read. */
export async function replaceLegacyPeople(
  db: Kysely<Database>,
  table: PersonTable,
  sealed: Array<{ tenant: string; id: string; version: number; person: Buffer }>,
): Promise<number> {
  const result = await sql`
    update ${sql.table(table)} as p set person_enc = u.person, first_name_enc = null, last_name_enc = null, emails_enc = null, phones_enc = null, details_enc = null
    from unnest(${sealed.map((r) => r.tenant)}::uuid[], ${sealed.map((r) => r.id)}::uuid[], ${sealed.map((r) => r.version)}::int[], ${sealed.map((r) => r.person)}::bytea[])
      as u(tenant_id, id, version, person)
    where p.tenant_id = u.tenant_id and p.id = u.id and p.version = u.version and p.person_enc is null`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}
