import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../test/db.js';
import { createTestTenant, PRODUCTION_HASHING, testConfig, uniqueSlug } from '../../test/factories.js';
import { findUserByEmail } from '../identity/user-crypto.js';
import { TenantError } from './tenants.errors.js';
import { createTenant } from '../provisioning/provision.js';
import { getTenant, listTenants, reactivateTenant, suspendTenant, terminateTenant, validateSlug } from './tenants.service.js';

const t = useTestDatabase();
const base = testConfig();
// The services take the keyring with the configuration; it exists once the database is open.
const config = new Proxy(base, { get: (target, prop) => (prop === 'keyring' ? t.keyring : Reflect.get(target, prop)) }) as typeof base & {
  keyring: typeof t.keyring;
};

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof TenantError) return error.code;
    if (error instanceof Error && 'code' in error) return String((error as { code: unknown }).code);
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('tenants', () => {
  it('creates a tenant with its first admin, password hashed with argon2id', async () => {
    const slug = uniqueSlug();
    const { tenant, admin } = await createTenant(
      t.handle.db,
      { ...testConfig(PRODUCTION_HASHING), keyring: t.keyring },
      {
        slug,
        name: '  Acme BV ',
        adminEmail: 'Admin@Acme.test',
        adminPassword: 'correct horse battery staple',
      },
    );
    expect(tenant).toMatchObject({ slug, name: 'Acme BV', status: 'active', deletionDueAt: null });
    expect(admin).toMatchObject({ tenantId: tenant.id, isAdmin: true, status: 'active' });
    const stored = await findUserByEmail(t.handle.db, t.keyring, tenant.id, 'admin@acme.test');
    expect(stored?.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(stored?.password_hash).not.toContain('correct horse');
  });

  it('refuses a duplicate slug and leaves the first tenant untouched', async () => {
    const { tenant } = await createTestTenant(t.handle.db);
    const code = await codeOf(
      createTenant(t.handle.db, config, {
        slug: tenant.slug,
        name: 'Impostor',
        adminEmail: 'x@example.test',
        adminPassword: 'another long password',
      }),
    );
    expect(code).toBe('tenant_slug_taken');
    expect((await getTenant(t.handle.db, tenant.slug)).name).toBe(tenant.name);
  });

  it('lets the database decide when two creators race for one slug', async () => {
    const slug = uniqueSlug();
    const attempt = () =>
      createTenant(t.handle.db, config, {
        slug,
        name: 'Race',
        adminEmail: 'race@example.test',
        adminPassword: 'a sufficiently long one',
      });
    const results = await Promise.allSettled([attempt(), attempt(), attempt()]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results.filter((r) => r.status === 'rejected')) {
      expect((r as PromiseRejectedResult).reason).toMatchObject({ code: 'tenant_slug_taken' });
    }
    expect((await listTenants(t.handle.db)).filter((x) => x.slug === slug)).toHaveLength(1);
  });

  it.each(['Acme', 'a', '-acme', 'acme-', 'ac_me', 'acme corp', 'x'.repeat(64), 'api', 'www'])('refuses the slug %j', (slug) => {
    expect(() => validateSlug(slug)).toThrow(TenantError);
  });

  it.each(['acme', 'acme-bv', 'a1', '42', 'x'.repeat(63)])('accepts the slug %j', (slug) => {
    expect(validateSlug(slug)).toBe(slug);
  });

  it('refuses a weak admin password without creating anything', async () => {
    const slug = uniqueSlug();
    const code = await codeOf(createTenant(t.handle.db, config, { slug, name: 'Weak', adminEmail: 'a@b.test', adminPassword: 'short' }));
    expect(code).toBe('password_policy');
    expect(await codeOf(getTenant(t.handle.db, slug))).toBe('tenant_not_found');
  });

  it('moves through its lifecycle: suspend, reactivate, terminate with a deletion date', async () => {
    const { tenant } = await createTestTenant(t.handle.db);
    expect((await suspendTenant(t.handle.db, t.keyring, tenant.slug)).status).toBe('suspended');
    expect(await codeOf(suspendTenant(t.handle.db, t.keyring, tenant.slug))).toBe('tenant_invalid_transition');
    expect((await reactivateTenant(t.handle.db, t.keyring, tenant.slug)).status).toBe('active');
    expect(await codeOf(reactivateTenant(t.handle.db, t.keyring, tenant.slug))).toBe('tenant_invalid_transition');

    const before = Date.now();
    const terminated = await terminateTenant(t.handle.db, config, tenant.slug);
    expect(terminated.status).toBe('terminated');
    const due = terminated.deletionDueAt!.getTime() - terminated.terminatedAt!.getTime();
    expect(due).toBe(30 * 86_400_000);
    expect(terminated.terminatedAt!.getTime()).toBeGreaterThanOrEqual(before - 1000);
    // Terminated is final.
    expect(await codeOf(reactivateTenant(t.handle.db, t.keyring, tenant.slug))).toBe('tenant_invalid_transition');
    expect(await codeOf(terminateTenant(t.handle.db, config, tenant.slug))).toBe('tenant_invalid_transition');
  });

  it('uses a shorter grace period when configured', async () => {
    const { tenant } = await createTestTenant(t.handle.db);
    const terminated = await terminateTenant(
      t.handle.db,
      { ...testConfig({ CUSTODIA_TENANT_DELETION_GRACE_DAYS: '7' }), keyring: t.keyring },
      tenant.slug,
    );
    expect(terminated.deletionDueAt!.getTime() - terminated.terminatedAt!.getTime()).toBe(7 * 86_400_000);
  });

  it('names an unknown slug', async () => {
    expect(await codeOf(suspendTenant(t.handle.db, t.keyring, uniqueSlug()))).toBe('tenant_not_found');
  });

  it('keeps users of one tenant invisible to another (cross-tenant)', async () => {
    const a = await createTestTenant(t.handle.db);
    const b = await createTestTenant(t.handle.db);
    expect(await findUserByEmail(t.handle.db, t.keyring, a.tenant.id, a.adminEmail)).toBeDefined();
    expect(await findUserByEmail(t.handle.db, t.keyring, b.tenant.id, a.adminEmail)).toBeUndefined();
    // The same e-mail address may exist in two tenants as two separate users.
    const sameEmail = await createTenant(t.handle.db, config, {
      slug: uniqueSlug(),
      name: 'Same person elsewhere',
      adminEmail: a.adminEmail,
      adminPassword: 'yet another long password',
    });
    expect(sameEmail.admin.id).not.toBe(a.admin.id);
  });
});
