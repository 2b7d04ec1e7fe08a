import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Authenticated } from '../identity/identity.service.js';
import { newId } from '../shared/ids.js';
import { CrmError } from './crm.errors.js';
import { decodeCursor, pageOf, pageSize } from './cursor.js';
import * as repo from './organizations.repository.js';

/** Organizations: company data, stored and searched in plain SQL. */

export interface Organization {
  id: string;
  ownerId: string;
  name: string;
  domain: string | null;
  industry: string | null;
  website: string | null;
  phone: string | null;
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
}

type Row = NonNullable<Awaited<ReturnType<typeof repo.findOrganization>>>;

function toOrganization(row: Row): Organization {
  return {
    id: row.id,
    ownerId: row.owner_id,
    name: row.name,
    domain: row.domain,
    industry: row.industry,
    website: row.website,
    phone: row.phone,
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

function values(input: OrganizationInput, current?: Organization): repo.OrganizationValues {
  const name = (input.name ?? current?.name ?? '').trim();
  if (!name || name.length > 200) throw new CrmError('invalid_field', 'name must be 1 to 200 characters');
  const domain = input.domain !== undefined ? optional(input.domain, 'domain')?.toLowerCase() ?? null : (current?.domain ?? null);
  if (domain && !/^[a-z0-9.-]+\.[a-z]{2,}$/.test(domain)) throw new CrmError('invalid_field', 'domain must look like example.com');
  const website = input.website !== undefined ? optional(input.website, 'website', 500) : (current?.website ?? null);
  if (website && !/^https?:\/\//.test(website)) throw new CrmError('invalid_field', 'website must start with http:// or https://');
  return {
    name,
    domain,
    website,
    industry: input.industry !== undefined ? optional(input.industry, 'industry') : (current?.industry ?? null),
    phone: input.phone !== undefined ? optional(input.phone, 'phone', 50) : (current?.phone ?? null),
  };
}

export async function createOrganization(db: Kysely<Database>, actor: Authenticated, input: OrganizationInput): Promise<Organization> {
  return toOrganization(await repo.insertOrganization(db, actor.tenantId, { ...values(input), id: newId(), owner_id: actor.user.id }));
}

export async function getOrganization(db: Kysely<Database>, actor: Authenticated, id: string): Promise<Organization> {
  const row = await repo.findOrganization(db, actor.tenantId, id);
  if (!row) throw new CrmError('record_not_found', 'no such organization');
  return toOrganization(row);
}

/** Organizations by name; `q` matches part of the name or domain. */
export async function listOrganizations(
  db: Kysely<Database>,
  actor: Authenticated,
  query: { limit?: number; cursor?: string; q?: string },
): Promise<{ items: Organization[]; nextCursor: string | null }> {
  const limit = pageSize(query.limit);
  const after = decodeCursor(query.cursor, 'name');
  if (after && typeof after.key !== 'string') throw new CrmError('invalid_cursor', 'cursor is not one this API gave out');
  const rows = await repo.listOrganizations(db, actor.tenantId, {
    after: after ? { id: after.id, name: after.key as string } : null,
    limit: limit + 1,
    ...(query.q ? { q: query.q } : {}),
  });
  const page = pageOf(rows, limit, (r) => r.name.toLowerCase(), 'name');
  return { items: page.rows.map(toOrganization), nextCursor: page.nextCursor };
}

export async function updateOrganization(
  db: Kysely<Database>,
  actor: Authenticated,
  id: string,
  input: OrganizationInput & { version?: number },
  ifMatch?: number,
): Promise<Organization> {
  const current = await getOrganization(db, actor, id);
  const expected = ifMatch ?? input.version ?? current.version;
  const row = await repo.updateOrganization(db, actor.tenantId, id, expected, values(input, current));
  if (!row) throw new CrmError('version_conflict', `the organization changed since version ${expected}; reload and try again`);
  return toOrganization(row);
}

export async function deleteOrganization(db: Kysely<Database>, actor: Authenticated, id: string): Promise<void> {
  if (!(await repo.softDeleteOrganization(db, actor.tenantId, id))) throw new CrmError('record_not_found', 'no such organization');
}
