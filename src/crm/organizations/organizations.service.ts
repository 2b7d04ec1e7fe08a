import type { Kysely } from 'kysely';
import { AccessError } from '../../access/access.errors.js';
import { accessOf, assertWritable, redact, requirePermission } from '../../access/access.service.js';
import type { Database } from '../../db/schema.js';
import { inTransaction } from '../../db/transaction.js';
import type { Authenticated } from '../../shared/actor.js';
import { newId } from '../../shared/ids.js';
import { CrmError } from '../common/crm.errors.js';
import { instant } from '../common/instant.js';
import { decodeCursor, pageOf, pageSize } from '../../shared/cursor.js';
import { fieldsOf, mergeCustomValues, type CustomValues } from '../custom-fields/custom-fields.service.js';
import * as repo from './organizations.repository.js';
import type { OrganizationSort } from './organizations.repository.js';
import { ownerGroupOf, ownersOf } from '../common/ownership.js';
import { ownerOf, type Address } from '../people/people.js';
import { setRecordTags, tagNames, tagsOf } from '../tags/tags.service.js';
import { moveToBin } from '../recycle-bin/recycle-bin.repository.js';

/** Organizations: company data, stored, searched and sorted in plain SQL. */

export interface Organization {
  id: string;
  ownerId: string;
  ownerGroupId: string | null;
  name: string;
  domain: string | null;
  industry: string | null;
  website: string | null;
  phone: string | null;
  address: Address | null;
  tags: string[];
  custom: CustomValues;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface OrganizationInput {
  name?: string;
  domain?: string | null;
  industry?: string | null;
  website?: string | null;
  phone?: string | null;
  address?: Partial<Address> | null;
  ownerId?: string;
  ownerGroupId?: string | null;
  tags?: string[];
  custom?: Record<string, unknown>;
}

type Row = NonNullable<Awaited<ReturnType<typeof repo.findOrganization>>>;

function toOrganization(row: Row, tags: string[]): Organization {
  return {
    id: row.id,
    ownerId: row.owner_id,
    ownerGroupId: row.owner_group_id,
    name: row.name,
    domain: row.domain,
    industry: row.industry,
    website: row.website,
    phone: row.phone,
    address: (row.address as Address | null) ?? null,
    tags,
    custom: row.custom as CustomValues,
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function optional(value: string | null | undefined, field: string, max = 200): string | null {
  if (value === undefined || value === null) return null;
  const trimmed = value.trim();
  if (trimmed.length > max) throw new CrmError('invalid_field', `${field} must be at most ${max} characters`);
  return trimmed || null;
}

function address(value: Partial<Address> | null): Address | null {
  if (value === null) return null;
  const result: Address = {
    street: optional(value.street, 'address.street'),
    postalCode: optional(value.postalCode, 'address.postalCode', 20),
    city: optional(value.city, 'address.city', 100),
    region: optional(value.region, 'address.region', 100),
    country: optional(value.country, 'address.country', 100),
  };
  return Object.values(result).some((v) => v !== null) ? result : null;
}

async function values(
  db: Kysely<Database>,
  actor: Authenticated,
  input: OrganizationInput,
  current?: Organization,
): Promise<repo.OrganizationValues> {
  const name = (input.name ?? current?.name ?? '').trim();
  if (!name || name.length > 200) throw new CrmError('invalid_field', 'name must be 1 to 200 characters');
  const domain = input.domain !== undefined ? (optional(input.domain, 'domain')?.toLowerCase() ?? null) : (current?.domain ?? null);
  if (domain && !/^[a-z0-9.-]+\.[a-z]{2,}$/.test(domain)) throw new CrmError('invalid_field', 'domain must look like example.com');
  const website = input.website !== undefined ? optional(input.website, 'website', 500) : (current?.website ?? null);
  if (website && !/^https?:\/\//.test(website)) throw new CrmError('invalid_field', 'website must start with http:// or https://');
  const custom = mergeCustomValues(
    await fieldsOf(db, actor.tenantId, 'organizations'),
    { plain: current?.custom ?? {}, personal: {} },
    input.custom,
  );
  const addr = input.address !== undefined ? address(input.address) : (current?.address ?? null);
  return {
    name,
    domain,
    website,
    industry: input.industry !== undefined ? optional(input.industry, 'industry') : (current?.industry ?? null),
    phone: input.phone !== undefined ? optional(input.phone, 'phone', 50) : (current?.phone ?? null),
    address: addr ? JSON.stringify(addr) : null,
    owner_id: await ownerOf(db, actor, input.ownerId, current?.ownerId),
    owner_group_id: ownerGroupOf(await accessOf(db, actor), input.ownerGroupId, current?.ownerGroupId),
    custom: JSON.stringify(custom.plain),
  };
}

export async function createOrganization(db: Kysely<Database>, actor: Authenticated, input: OrganizationInput): Promise<Organization> {
  const access = await requirePermission(db, actor, 'organizations', 'create');
  assertWritable(access, 'organizations', input);
  const names = tagNames(input.tags);
  return inTransaction(db, async (trx) => {
    const row = await repo.insertOrganization(trx, actor.tenantId, { ...(await values(trx, actor, input)), id: newId() });
    return redact(access, 'organizations', toOrganization(row, await setRecordTags(trx, actor.tenantId, 'organizations', row.id, names)));
  });
}

/** The organization, or record_not_found also when the actor may not see it; `raw` keeps hidden fields (for changes). */
export async function getOrganization(
  db: Kysely<Database>,
  actor: Authenticated,
  id: string,
  options: { deleted?: boolean; raw?: boolean } = {},
): Promise<Organization> {
  const access = await requirePermission(db, actor, 'organizations', 'view');
  const row = await repo.findOrganization(db, actor.tenantId, id, options);
  if (!row || !access.mayRead('organizations', { ownerId: row.owner_id, ownerGroupId: row.owner_group_id }))
    throw new CrmError('record_not_found', 'no such organization');
  const organization = toOrganization(row, (await tagsOf(db, actor.tenantId, 'organizations', [id])).get(id) ?? []);
  return options.raw ? organization : redact(access, 'organizations', organization);
}

async function organizationForChange(
  db: Kysely<Database>,
  actor: Authenticated,
  id: string,
  action: 'edit' | 'delete',
): Promise<Organization> {
  const organization = await getOrganization(db, actor, id, { raw: true });
  const access = await requirePermission(db, actor, 'organizations', action);
  if (!access.mayWrite('organizations', organization))
    throw new AccessError('permission_denied', 'you may see this organization but not change it');
  return organization;
}

/**
 * The first organization of this name (any case) that the actor could read,
 * for lead conversion and imports: one they cannot see is not theirs to link
 * to (a new one of the same name is made instead).
 */
export async function findOrganizationByName(db: Kysely<Database>, actor: Authenticated, name: string): Promise<Organization | undefined> {
  const access = await accessOf(db, actor);
  if (!access.can('organizations', 'view')) return undefined;
  const row = await repo.findOrganizationByName(db, actor.tenantId, name.trim(), ownersOf(access.owners('organizations', 'read')));
  return row ? toOrganization(row, []) : undefined;
}

/** Names of the organizations among these ids that the actor could read (a contact's company, say): others are not named. */
export async function organizationNames(db: Kysely<Database>, actor: Authenticated, ids: string[]): Promise<Map<string, string>> {
  const access = await accessOf(db, actor);
  if (!access.can('organizations', 'view')) return new Map();
  const rows = await repo.findNames(db, actor.tenantId, [...new Set(ids)], ownersOf(access.owners('organizations', 'read')));
  return new Map(rows.map((r) => [r.id, r.name]));
}

export interface OrganizationListParams {
  limit?: number;
  cursor?: string;
  sort?: OrganizationSort;
  q?: string;
  ownerId?: string;
  ownerGroupId?: string;
  tag?: string;
  industry?: string;
  createdFrom?: string;
  createdTo?: string;
  updatedFrom?: string;
  updatedTo?: string;
}

/** Organizations by name (or another sort); `q` matches part of the name or domain. */
export async function listOrganizations(
  db: Kysely<Database>,
  actor: Authenticated,
  params: OrganizationListParams,
): Promise<{ items: Organization[]; nextCursor: string | null }> {
  const access = await requirePermission(db, actor, 'organizations', 'view');
  const scope = access.owners('organizations', 'read');
  const limit = pageSize(params.limit);
  const sort = params.sort ?? 'name';
  const last = decodeCursor(params.cursor, sort);
  const ranges = {
    createdFrom: instant(params.createdFrom, 'createdFrom'),
    createdTo: instant(params.createdTo, 'createdTo'),
    updatedFrom: instant(params.updatedFrom, 'updatedFrom'),
    updatedTo: instant(params.updatedTo, 'updatedTo'),
  };
  const rows = await repo.listOrganizations(db, actor.tenantId, {
    sort,
    after: last ? { key: last.key ?? null, id: last.id } : null,
    limit: limit + 1,
    ...(params.q ? { q: params.q } : {}),
    ...(params.ownerId ? { ownerId: params.ownerId } : {}),
    ...(params.ownerGroupId ? { ownerGroupId: params.ownerGroupId } : {}),
    ...(params.tag ? { tag: params.tag } : {}),
    ...(params.industry ? { industry: params.industry } : {}),
    ...ownersOf(scope),
    ...Object.fromEntries(Object.entries(ranges).filter(([, v]) => v !== undefined)),
  });
  const page = pageOf(rows, limit, (r) => r.sort_key, sort);
  const tags = await tagsOf(
    db,
    actor.tenantId,
    'organizations',
    page.rows.map((r) => r.id),
  );
  return {
    items: page.rows.map((r) => redact(access, 'organizations', toOrganization(r, tags.get(r.id) ?? []))),
    nextCursor: page.nextCursor,
  };
}

export async function updateOrganization(
  db: Kysely<Database>,
  actor: Authenticated,
  id: string,
  input: OrganizationInput & { version?: number },
  ifMatch?: number,
): Promise<Organization> {
  return inTransaction(db, async (trx) => {
    const current = await organizationForChange(trx, actor, id, 'edit');
    const access = await requirePermission(trx, actor, 'organizations', 'edit');
    assertWritable(access, 'organizations', input);
    const expected = ifMatch ?? input.version ?? current.version;
    const row = await repo.updateOrganization(trx, actor.tenantId, id, expected, await values(trx, actor, input, current));
    if (!row) throw new CrmError('version_conflict', `the organization changed since version ${expected}; reload and try again`);
    const tags =
      input.tags !== undefined ? await setRecordTags(trx, actor.tenantId, 'organizations', id, tagNames(input.tags)) : current.tags;
    return redact(access, 'organizations', toOrganization(row, tags));
  });
}

/** Soft delete into the recycle bin. */
export async function deleteOrganization(db: Kysely<Database>, actor: Authenticated, id: string): Promise<void> {
  await organizationForChange(db, actor, id, 'delete');
  if (!(await moveToBin(db, actor.tenantId, 'organizations', id))) throw new CrmError('record_not_found', 'no such organization');
}
