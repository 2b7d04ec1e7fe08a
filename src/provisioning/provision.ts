import type { Kysely } from 'kysely';
import { recordSecurityEvent } from '../audit/security-events.js';
import type { Config } from '../config.js';
import type { Database } from '../db/schema.js';
import { createUser, preparePassword, type User } from '../identity/identity.service.js';
import type { Keyring } from '../keys/keyring.js';
import { createTenantKey } from '../keys/keys.service.js';
import { checkNewTenant, insertTenant, type Tenant } from '../tenants/tenants.service.js';

/**
 * A new tenant: its row, its first key and its first administrator, in one
 * transaction. It sits above tenants, keys and identity because it needs all
 * three, and none of them needs another to exist: a user belongs to a tenant,
 * so identity may ask tenants, never the reverse.
 */

export interface CreateTenantInput {
  slug: string;
  name: string;
  adminEmail: string;
  adminPassword: string;
  adminName?: string;
}

export interface CreatedTenant {
  tenant: Tenant;
  admin: User;
}

/** Creates a tenant and its first administrator in one transaction. */
export async function createTenant(
  db: Kysely<Database>,
  settings: Pick<Config, 'argon2'> & { keyring: Keyring },
  input: CreateTenantInput,
): Promise<CreatedTenant> {
  const checked = await checkNewTenant(db, input);
  const passwordHash = await preparePassword(input.adminPassword, input.adminEmail, settings.argon2);
  return db.transaction().execute(async (trx) => {
    const tenant = await insertTenant(trx, checked);
    await createTenantKey(trx, settings.keyring, tenant.id);
    const admin = await createUser(trx, settings.keyring, tenant.id, {
      email: input.adminEmail,
      name: input.adminName ?? 'Administrator',
      passwordHash,
      isAdmin: true,
    });
    await recordSecurityEvent(trx, settings.keyring, { tenantId: tenant.id, type: 'tenant.created', details: { adminUserId: admin.id } });
    return { tenant, admin };
  });
}
