import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { loadConfig, type Config } from '../src/config.js';
import type { Database } from '../src/db/schema.js';
import { createTenant } from '../src/provisioning/provision.js';
import type { Tenant } from '../src/tenants/tenants.service.js';
import type { User } from '../src/identity/identity.service.js';
import { keyringOf } from './db.js';

/**
 * The configuration tests run with: defaults, plus what a test overrides.
 * Passwords are hashed at a test-only cost (see src/config.ts); a test of the
 * production parameters passes PRODUCTION_HASHING.
 */
export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({ LOG_LEVEL: 'silent', NODE_ENV: 'test', CUSTODIA_TEST_CHEAP_PASSWORD_HASHING: 'true', ...env });
}

/** testConfig's override for argon2id at the configured (OWASP minimum) cost. */
export const PRODUCTION_HASHING = { CUSTODIA_TEST_CHEAP_PASSWORD_HASHING: 'false' } as const;

export function uniqueSlug(prefix = 't'): string {
  return `${prefix}-${randomBytes(5).toString('hex')}`;
}

export interface TestTenant {
  tenant: Tenant;
  admin: User;
  adminEmail: string;
  adminPassword: string;
}

/** A new tenant with its first admin; every test builds its own, so tests never share data. */
export async function createTestTenant(db: Kysely<Database>, overrides: { slug?: string; name?: string } = {}): Promise<TestTenant> {
  const slug = overrides.slug ?? uniqueSlug();
  const adminEmail = `admin@${slug}.test`;
  const adminPassword = `pw-${randomBytes(9).toString('base64url')}`;
  const { tenant, admin } = await createTenant(
    db,
    { ...testConfig(), keyring: keyringOf(db) },
    {
      slug,
      name: overrides.name ?? `Tenant ${slug}`,
      adminEmail,
      adminPassword,
    },
  );
  return { tenant, admin, adminEmail, adminPassword };
}
