import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

describe('loadConfig', () => {
  it('gives a working embedded setup with no variables at all', () => {
    const config = loadConfig({}, '/srv/custodia');
    expect(config.port).toBe(3000);
    expect(config.dataDir).toBe(path.join('/srv/custodia', 'data'));
    expect(config.databaseUrl).toBeUndefined();
    expect(config.bodyLimitBytes).toBe(1024 * 1024);
    expect(config.argon2).toEqual({ memoryKiB: 19 * 1024, timeCost: 2, parallelism: 1 });
    expect(config.tenantDeletionGraceDays).toBe(30);
  });

  it('reads every variable it documents', () => {
    const config = loadConfig(
      {
        PORT: '8080',
        HOST: '127.0.0.1',
        CUSTODIA_DATA_DIR: '/var/lib/custodia',
        DATABASE_URL: 'postgres://app:secret@db:5432/custodia',
        CUSTODIA_BODY_LIMIT_BYTES: '2048',
        CUSTODIA_TRUST_PROXY: 'true',
        LOG_LEVEL: 'warn',
      },
      '/',
    );
    expect(config).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      dataDir: '/var/lib/custodia',
      databaseUrl: 'postgres://app:secret@db:5432/custodia',
      bodyLimitBytes: 2048,
      trustProxy: true,
      logLevel: 'warn',
    });
  });

  it('hashes passwords cheaply only for the test suite, and refuses that anywhere else', () => {
    const cheap = { CUSTODIA_TEST_CHEAP_PASSWORD_HASHING: 'true' };
    expect(loadConfig({ ...cheap, NODE_ENV: 'test' }).argon2).toEqual({ memoryKiB: 64, timeCost: 1, parallelism: 1 });
    expect(loadConfig({ CUSTODIA_TEST_CHEAP_PASSWORD_HASHING: 'false', NODE_ENV: 'test' }).argon2).toEqual({
      memoryKiB: 19 * 1024,
      timeCost: 2,
      parallelism: 1,
    });
    for (const env of [cheap, { ...cheap, NODE_ENV: 'production' }, { ...cheap, NODE_ENV: 'development' }]) {
      let caught: unknown;
      try {
        loadConfig(env);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(ConfigError);
      expect((caught as ConfigError).variable).toBe('CUSTODIA_TEST_CHEAP_PASSWORD_HASHING');
      expect((caught as ConfigError).message).toMatch(/test suite only/);
    }
  });

  it.each([
    ['PORT', 'eighty', /whole number/],
    ['PORT', '70000', /between 0 and 65535/],
    ['DATABASE_URL', 'mysql://x@y/z', /postgres:\/\//],
    ['DATABASE_URL', 'not a url', /not a valid URL/],
    ['LOG_LEVEL', 'loud', /one of/],
    ['CUSTODIA_TRUST_PROXY', 'maybe', /true or false/],
    ['CUSTODIA_TENANT_DELETION_GRACE_DAYS', '31', /between 0 and 30/],
    ['CUSTODIA_ARGON2_MEMORY_KIB', '1024', /between 19456/],
  ])('refuses %s=%s and names the variable', (name, value, reason) => {
    let caught: unknown;
    try {
      loadConfig({ [name]: value });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).variable).toBe(name);
    expect((caught as ConfigError).message).toMatch(new RegExp(`^${name}: `));
    expect((caught as ConfigError).message).toMatch(reason);
  });
});
