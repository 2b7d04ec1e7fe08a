import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBareTestDatabase } from '../../test/db.js';
import { startFakeVault, type FakeVault } from '../../test/fake-vault.js';
import { createTenantKey, initializeKeys, tenantKey } from './keys.service.js';
import { Keyring } from './keyring.js';
import { MasterKeyUnavailableError, VaultTransitMasterKey } from './vault-transit.js';

let vault: FakeVault;
beforeAll(async () => {
  vault = await startFakeVault();
});
afterAll(() => vault.close());

const provider = (options: Partial<ConstructorParameters<typeof VaultTransitMasterKey>[0]> = {}) =>
  new VaultTransitMasterKey({ address: vault.address, token: vault.token, keyName: 'custodia', ...options });

describe('Vault transit master key', () => {
  it('wraps and unwraps, and the wrapped form holds none of the key', async () => {
    const key = randomBytes(32);
    const wrapped = await provider().wrap(key, 'tenant|t1|1');
    expect(wrapped.toString()).toMatch(/^vault:v1:/);
    expect(wrapped.includes(key)).toBe(false);
    expect(wrapped.includes(Buffer.from(key.toString('base64')))).toBe(false);
    expect((await provider().unwrap(wrapped, 'tenant|t1|1')).equals(key)).toBe(true);
    expect(provider().keyId).toBe('vault:transit/custodia');
    expect(provider().description).not.toContain(vault.token);
  });

  it('refuses to unwrap under another context or another key name', async () => {
    const wrapped = await provider().wrap(randomBytes(32), 'tenant|t1|1');
    await expect(provider().unwrap(wrapped, 'tenant|t2|1')).rejects.toThrow(/authentication failed/);
    await expect(provider({ keyName: 'other' }).unwrap(wrapped, 'tenant|t1|1')).rejects.toBeInstanceOf(MasterKeyUnavailableError);
  });

  it('reports a wrong token without ever printing it', async () => {
    const wrongToken = 'hvs.wrong-token-value';
    const error = (await provider({ token: wrongToken })
      .wrap(randomBytes(32), 'x')
      .catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(MasterKeyUnavailableError);
    expect(error.message).toContain('403');
    expect(error.message).not.toContain(wrongToken);
  });

  it('retries one transient failure', async () => {
    vault.failNext(503);
    const key = randomBytes(32);
    expect((await provider().unwrap(await provider().wrap(key, 'c'), 'c')).equals(key)).toBe(true);
  });

  it('says so quickly when Vault does not answer', async () => {
    const down = new VaultTransitMasterKey({ address: 'http://127.0.0.1:9', token: 't', keyName: 'k', timeoutMs: 500 });
    await expect(down.wrap(randomBytes(32), 'c')).rejects.toThrow(/does not answer/);
  });
});

describe('the key hierarchy under Vault', () => {
  it('keeps tenant keys wrapped by Vault, and refuses another Vault key', async () => {
    const bare = await openBareTestDatabase();
    try {
      const keyring = new Keyring(provider());
      await initializeKeys(bare.handle.db, keyring);
      const tenant = await bare.handle.db
        .insertInto('tenants')
        .values({
          id: '01900000-0000-7000-8000-0000000000aa',
          slug: 'vault-co',
          name: 'Vault Co',
          status: 'active',
          updated_at: new Date(),
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      const key = await createTenantKey(bare.handle.db, keyring, tenant.id);
      const fresh = new Keyring(provider());
      await initializeKeys(bare.handle.db, fresh);
      expect((await tenantKey(bare.handle.db, fresh, tenant.id, 1)).equals(key)).toBe(true);
      const row = await bare.handle.db.selectFrom('tenant_keys').selectAll().where('tenant_id', '=', tenant.id).executeTakeFirstOrThrow();
      expect(row.master_key_id).toBe('vault:transit/custodia');
      await expect(initializeKeys(bare.handle.db, new Keyring(provider({ keyName: 'another' })))).rejects.toMatchObject({
        code: 'master_key_mismatch',
      });
    } finally {
      await bare.dispose();
    }
  });
});
