import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';

// What the record of processing states about the tenant itself (its name as
// controller, its 2FA policy and how many users follow it), read here as
// identity reads a tenant's name for its mails (users.repository tenantNameOf).

export interface TenantFacts {
  name: string;
  slug: string;
  requireMfa: boolean;
  activeUsers: number;
  usersWithTwoFactor: number;
}

export async function tenantFacts(db: Kysely<Database>, tenantId: string): Promise<TenantFacts | undefined> {
  const tenant = await db.selectFrom('tenants').select(['name', 'slug', 'require_mfa']).where('id', '=', tenantId).executeTakeFirst();
  if (!tenant) return undefined;
  const users = await db
    .selectFrom('users')
    .select((eb) => [eb.fn.countAll<string>().as('active'), eb.fn.count<string>('totp_enabled_at').as('mfa')])
    .where('tenant_id', '=', tenantId)
    .where('status', '=', 'active')
    .executeTakeFirstOrThrow();
  return {
    name: tenant.name,
    slug: tenant.slug,
    requireMfa: tenant.require_mfa,
    activeUsers: Number(users.active),
    usersWithTwoFactor: Number(users.mfa),
  };
}
