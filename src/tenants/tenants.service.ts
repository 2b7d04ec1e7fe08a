import type { Kysely } from 'kysely';
import { recordSecurityEvent } from '../audit/security-events.js';
import type { Config } from '../config.js';
import type { Database, TenantRow, TenantStatus } from '../db/schema.js';
import type { Keyring } from '../keys/keyring.js';
import { destroyTenantKeys } from '../key-lifecycle/shredding.js';
import { isUniqueViolation } from '../shared/domain-error.js';
import { newId } from '../shared/ids.js';
import { fenceTenant } from './tenant-fence.js';
import { TenantError } from './tenants.errors.js';
import * as repo from './tenants.repository.js';

export interface Tenant {
  id: string;
  slug: string;
  name: string;
  status: TenantStatus;
  createdAt: Date;
  suspendedAt: Date | null;
  terminatedAt: Date | null;
  deletionDueAt: Date | null;
  requireMfa: boolean;
}

export function toTenant(row: TenantRow): Tenant {
  return {
    id: row.id,
    slug: row.slug,
    name: row.name,
    status: row.status,
    createdAt: row.created_at,
    suspendedAt: row.suspended_at,
    terminatedAt: row.terminated_at,
    deletionDueAt: row.deletion_due_at,
    requireMfa: row.require_mfa,
  };
}

const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
// Slugs may become host names or path segments; keep these free for the product.
const RESERVED_SLUGS = new Set(['admin', 'api', 'app', 'assets', 'auth', 'docs', 'public', 'static', 'status', 'www']);

export function validateSlug(slug: string): string {
  if (slug !== slug.toLowerCase()) throw new TenantError('tenant_slug_invalid', 'slug must be lower-case');
  if (slug.length < 2 || slug.length > 63 || !SLUG.test(slug)) {
    throw new TenantError('tenant_slug_invalid', 'slug must be 2 to 63 characters: lower-case letters, digits and inner hyphens');
  }
  if (RESERVED_SLUGS.has(slug)) throw new TenantError('tenant_slug_invalid', `slug "${slug}" is reserved`);
  return slug;
}

function validateName(name: string): string {
  const trimmed = name.trim();
  if (trimmed.length < 1 || trimmed.length > 200) {
    throw new TenantError('tenant_name_invalid', 'name must be 1 to 200 characters');
  }
  return trimmed;
}

/** The checked slug and name of a tenant about to be created (provisioning/provision.ts creates it). */
export async function checkNewTenant(db: Kysely<Database>, input: { slug: string; name: string }): Promise<{ slug: string; name: string }> {
  const slug = validateSlug(input.slug);
  const name = validateName(input.name);
  if (await repo.findTenantBySlug(db, slug)) throw slugTaken(slug);
  return { slug, name };
}

/** Inserts the tenant row, in the provisioning transaction; a slug taken meanwhile is tenant_slug_taken. */
export async function insertTenant(db: Kysely<Database>, checked: { slug: string; name: string }): Promise<Tenant> {
  try {
    return toTenant(
      await repo.insertTenant(db, { id: newId(), slug: checked.slug, name: checked.name, status: 'active', updated_at: new Date() }),
    );
  } catch (error) {
    // Two creators raced past checkNewTenant; the unique index decided.
    if (isUniqueViolation(error, 'tenants_slug_key')) throw slugTaken(checked.slug);
    throw error;
  }
}

function slugTaken(slug: string): TenantError {
  return new TenantError('tenant_slug_taken', `a tenant with slug "${slug}" already exists`);
}

export async function listTenants(db: Kysely<Database>, filter: { status?: TenantStatus } = {}): Promise<Tenant[]> {
  return (await repo.listTenants(db, filter)).map(toTenant);
}

export async function getTenant(db: Kysely<Database>, slug: string): Promise<Tenant> {
  const row = await repo.findTenantBySlug(db, slug);
  if (!row) throw new TenantError('tenant_not_found', `no tenant with slug "${slug}"`);
  return toTenant(row);
}

/** The tenant a sign-in names, if it may be used right now. */
export async function findActiveTenantBySlug(db: Kysely<Database>, slug: string): Promise<Tenant | undefined> {
  const row = await repo.findTenantBySlug(db, slug);
  return row?.status === 'active' ? toTenant(row) : undefined;
}

/** Serializes changes that must see the whole tenant (e.g. unique encrypted e-mail addresses). */
export async function lockTenant(db: Kysely<Database>, tenantId: string): Promise<void> {
  await repo.lockTenantById(db, tenantId);
}

export async function isMfaRequired(db: Kysely<Database>, tenantId: string): Promise<boolean> {
  return (await repo.findTenantById(db, tenantId))?.require_mfa ?? false;
}

/** The tenant's own security policy, set by its administrators. */
export async function setMfaRequired(db: Kysely<Database>, tenantId: string, required: boolean): Promise<Tenant> {
  // Status and policy decide whether its sessions may be used: authentication must look again.
  fenceTenant(tenantId);
  return toTenant(await repo.updateTenant(db, tenantId, { require_mfa: required }));
}

export async function isTenantActive(db: Kysely<Database>, tenantId: string): Promise<boolean> {
  return (await repo.findTenantById(db, tenantId))?.status === 'active';
}

async function changeStatus(
  db: Kysely<Database>,
  keyring: Keyring,
  slug: string,
  allowedFrom: TenantStatus[],
  change: (row: TenantRow, now: Date) => Parameters<typeof repo.updateTenant>[2],
  verb: 'suspend' | 'reactivate' | 'terminate',
): Promise<Tenant> {
  return db.transaction().execute(async (trx) => {
    const row = await repo.lockTenantBySlug(trx, slug);
    if (!row) throw new TenantError('tenant_not_found', `no tenant with slug "${slug}"`);
    if (!allowedFrom.includes(row.status)) {
      throw new TenantError('tenant_invalid_transition', `cannot ${verb} tenant "${slug}": it is ${row.status}`);
    }
    fenceTenant(row.id);
    const changed = toTenant(await repo.updateTenant(trx, row.id, change(row, new Date())));
    const type = ({ suspend: 'tenant.suspended', reactivate: 'tenant.reactivated', terminate: 'tenant.terminated' } as const)[verb];
    await recordSecurityEvent(trx, keyring, { tenantId: row.id, type, details: { from: row.status } });
    return changed;
  });
}

/** Suspended tenants keep their data but nobody can sign in or use a session. */
export function suspendTenant(db: Kysely<Database>, keyring: Keyring, slug: string): Promise<Tenant> {
  return changeStatus(db, keyring, slug, ['active'], (_row, now) => ({ status: 'suspended', suspended_at: now }), 'suspend');
}

export function reactivateTenant(db: Kysely<Database>, keyring: Keyring, slug: string): Promise<Tenant> {
  return changeStatus(db, keyring, slug, ['suspended'], () => ({ status: 'active', suspended_at: null }), 'reactivate');
}

/**
 * Terminated is final: the tenant is closed at once and its data is purged
 * (keys shredded, rows deleted) on the deletion date, at most 30 days later.
 */
export async function terminateTenant(
  db: Kysely<Database>,
  settings: Pick<Config, 'tenantDeletionGraceDays'> & { keyring: Keyring },
  slug: string,
): Promise<Tenant> {
  const graceDays = Math.min(settings.tenantDeletionGraceDays, 30);
  const tenant = await changeStatus(
    db,
    settings.keyring,
    slug,
    ['active', 'suspended'],
    (_row, now) => ({
      status: 'terminated',
      terminated_at: now,
      deletion_due_at: new Date(now.getTime() + graceDays * 86_400_000),
    }),
    'terminate',
  );
  // Its keys go at once: from now on its personal data is unreadable, in the
  // database and in every backup; the rows follow at the purge.
  await db.transaction().execute((trx) => destroyTenantKeys(trx, settings.keyring, tenant.id));
  return tenant;
}
