import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import { after, orderBy, sortKey, type Keyset } from '../common/pagination.js';
import { ownedBy, type Owners } from '../common/ownership.js';
import { taggedWith } from '../tags/tags.repository.js';

// The only SQL for organizations (company data: plain columns).

export type OrganizationValues = {
  name: string;
  domain: string | null;
  industry: string | null;
  website: string | null;
  phone: string | null;
  address: string | null;
  owner_id: string;
  owner_group_id: string | null;
  custom: string;
};

export async function insertOrganization(db: Kysely<Database>, tenantId: string, row: OrganizationValues & { id: string }) {
  return db
    .insertInto('organizations')
    .values({ ...row, tenant_id: tenantId, updated_at: new Date() })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function findOrganization(db: Kysely<Database>, tenantId: string, id: string, options: { deleted?: boolean } = {}) {
  return db
    .selectFrom('organizations')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .where('deleted_at', options.deleted ? 'is not' : 'is', null)
    .executeTakeFirst();
}

/** The first live organization of this name (any case), among those of these owners when given. */
export async function findOrganizationByName(db: Kysely<Database>, tenantId: string, name: string, reach: { owners?: Owners } = {}) {
  return db
    .selectFrom('organizations')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where(sql`lower(name)`, '=', name.toLowerCase())
    .where('deleted_at', 'is', null)
    .$if(reach.owners !== undefined, (q) => q.where(ownedBy(reach.owners!)))
    .orderBy('id')
    .limit(1)
    .executeTakeFirst();
}

/** Names of live organizations by id, among those of these owners when given. */
export async function findNames(db: Kysely<Database>, tenantId: string, ids: string[], reach: { owners?: Owners } = {}) {
  if (ids.length === 0) return [];
  return db
    .selectFrom('organizations')
    .select(['id', 'name'])
    .where('tenant_id', '=', tenantId)
    .where('id', 'in', ids)
    .where('deleted_at', 'is', null)
    .$if(reach.owners !== undefined, (q) => q.where(ownedBy(reach.owners!)))
    .execute();
}

export type OrganizationSort = 'name' | '-name' | 'createdAt' | '-createdAt' | 'updatedAt' | '-updatedAt';

export interface OrganizationListQuery {
  sort: OrganizationSort;
  after: { key: string | number | null; id: string } | null;
  limit: number;
  q?: string;
  ownerId?: string;
  ownerGroupId?: string;
  owners?: Owners;
  tag?: string;
  industry?: string;
  createdFrom?: Date;
  createdTo?: Date;
  updatedFrom?: Date;
  updatedTo?: Date;
}

/** A page in the requested order; by name it is case-insensitive. */
export async function listOrganizations(db: Kysely<Database>, tenantId: string, q: OrganizationListQuery) {
  const field = q.sort.replace('-', '');
  const k: Keyset =
    field === 'name'
      ? { column: 'organizations.name_key', id: 'organizations.id', descending: q.sort.startsWith('-') }
      : {
          column: `organizations.${field === 'createdAt' ? 'created_at' : 'updated_at'}`,
          id: 'organizations.id',
          descending: q.sort.startsWith('-'),
          cast: 'timestamptz',
        };
  // name_key is lower(name), computed in a subquery so keyset and order use the indexed expression.
  let query = db
    .selectFrom((eb) =>
      eb
        .selectFrom('organizations')
        .selectAll()
        .select(sql<string>`lower(name)`.as('name_key'))
        .where('tenant_id', '=', tenantId)
        .where('deleted_at', 'is', null)
        .as('organizations'),
    )
    .selectAll()
    .select(sortKey(k).as('sort_key'))
    .limit(q.limit);
  if (q.q) {
    const pattern = `%${q.q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    query = query.where((eb) => eb.or([eb('name_key', 'like', pattern), eb(sql`lower(coalesce(domain, ''))`, 'like', pattern)]));
  }
  if (q.ownerId) query = query.where('owner_id', '=', q.ownerId);
  if (q.ownerGroupId) query = query.where('owner_group_id', '=', q.ownerGroupId);
  if (q.owners) query = query.where(ownedBy(q.owners, 'organizations'));
  if (q.industry) query = query.where(sql`lower(coalesce(industry, ''))`, '=', q.industry.toLowerCase());
  if (q.tag) query = query.where(taggedWith('organizations', sql.ref('organizations.id'), tenantId, q.tag));
  if (q.createdFrom) query = query.where('created_at', '>=', q.createdFrom);
  if (q.createdTo) query = query.where('created_at', '<', q.createdTo);
  if (q.updatedFrom) query = query.where('updated_at', '>=', q.updatedFrom);
  if (q.updatedTo) query = query.where('updated_at', '<', q.updatedTo);
  if (q.after) query = query.where(after(k, q.after));
  const [first, second] = orderBy(k);
  return query.orderBy(first).orderBy(second).execute();
}

export async function updateOrganization(
  db: Kysely<Database>,
  tenantId: string,
  id: string,
  expectedVersion: number,
  values: Partial<OrganizationValues>,
) {
  return db
    .updateTable('organizations')
    .set((eb) => ({ ...values, version: eb('version', '+', 1), updated_at: new Date() }))
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .where('version', '=', expectedVersion)
    .where('deleted_at', 'is', null)
    .returningAll()
    .executeTakeFirst();
}
