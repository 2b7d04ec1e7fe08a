import { sql, type Insertable, type Kysely, type Updateable } from 'kysely';
import { after, orderBy, sortKey, type Keyset } from './pagination.js';
import type { ContactsTable, Database, LeadsTable } from '../db/schema.js';
import { taggedWith } from './tags.repository.js';
import { ownedBy, type Owners } from './ownership.js';

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
export async function findPeople(db: Kysely<Database>, table: PersonTable, tenantId: string, ids: string[], options: { deleted?: boolean } = {}) {
  if (ids.length === 0) return [];
  return db
    .selectFrom(as(table))
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', 'in', ids)
    .where('deleted_at', options.deleted ? 'is not' : 'is', null)
    .execute() as Promise<Array<Record<string, unknown>>>;
}

export async function findPerson(db: Kysely<Database>, table: PersonTable, tenantId: string, id: string, options: { deleted?: boolean } = {}) {
  return db
    .selectFrom(as(table))
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .where('deleted_at', options.deleted ? 'is not' : 'is', null)
    .executeTakeFirst() as Promise<Record<string, unknown> | undefined>;
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
}

/**
 * A page in the requested order, keyset-paginated on (sort column, id), so
 * rows inserted meanwhile neither repeat nor push others off. Each row also
 * carries `sort_key`, the sort value as text, for the next cursor.
 */
export async function listPeople(db: Kysely<Database>, table: PersonTable, tenantId: string, q: PersonListQuery) {
  if (q.ids && q.ids.length === 0) return [];
  const column = SORT_COLUMNS[q.sort.replace('-', '') as keyof typeof SORT_COLUMNS];
  const k: Keyset = {
    column: `${table}.${column}`,
    id: `${table}.id`,
    descending: q.sort.startsWith('-'),
    ...(column === 'company' ? {} : { cast: 'timestamptz' as const }),
  };
  let query = db
    .selectFrom(as(table))
    .selectAll()
    .select(sortKey(k).as('sort_key'))
    .where('tenant_id', '=', tenantId)
    .where('deleted_at', 'is', null)
    .limit(q.limit);
  if (q.ids) query = query.where('id', 'in', q.ids);
  if (q.ownerId) query = query.where('owner_id', '=', q.ownerId);
  if (q.ownerGroupId) query = query.where('owner_group_id', '=', q.ownerGroupId);
  if (q.owners) query = query.where(ownedBy(q.owners, table));
  if (q.tag) query = query.where(taggedWith(table, sql.ref(`${table}.id`), tenantId, q.tag));
  if (q.createdFrom) query = query.where('created_at', '>=', q.createdFrom);
  if (q.createdTo) query = query.where('created_at', '<', q.createdTo);
  if (q.updatedFrom) query = query.where('updated_at', '>=', q.updatedFrom);
  if (q.updatedTo) query = query.where('updated_at', '<', q.updatedTo);
  for (const [name, value] of Object.entries(q.equals ?? {})) query = query.where(sql.ref(`${table}.${name}`), '=', value);
  if (q.after) query = query.where(after(k, q.after));
  const [first, second] = orderBy(k);
  query = query.orderBy(first).orderBy(second);
  return query.execute() as Promise<Array<Record<string, unknown> & { sort_key: string | null; id: string }>>;
}

/** Updates when the version still matches; undefined means someone else changed it first. */
export async function updatePerson(db: Kysely<Database>, table: PersonTable, tenantId: string, id: string, expectedVersion: number, values: Changes) {
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

/** Moves a record into the recycle bin (or back out with `deleted: null`). */
export async function setPersonDeleted(db: Kysely<Database>, table: PersonTable, tenantId: string, id: string, deleted: Date | null): Promise<boolean> {
  const result = await db
    .updateTable(as(table))
    .set((eb) => ({ deleted_at: deleted, version: eb('version', '+', 1), updated_at: new Date() }))
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .where('deleted_at', deleted ? 'is' : 'is not', null)
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}
