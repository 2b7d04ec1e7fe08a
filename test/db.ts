import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import pg from 'pg';
import { afterAll, beforeAll, inject } from 'vitest';
import { openPglite, openPostgres, type DatabaseHandle } from '../src/db/database.js';
import { Keyring } from '../src/keys/keyring.js';
import { initializeKeys } from '../src/keys/keys.service.js';
import { LocalMasterKey } from '../src/keys/master-key-provider.js';
import { databaseUrl } from './global-setup.postgres.js';

export type TestDbKind = 'pglite' | 'postgres';

export function testDbKind(): TestDbKind {
  return process.env.CUSTODIA_TEST_DB_KIND === 'postgres' ? 'postgres' : 'pglite';
}

/** A PGlite data dir tarball holding the migrated schema. */
export async function pgliteTemplate(): Promise<Blob> {
  return new Blob([await readFile(inject('pgliteTemplatePath'))]);
}

export interface TestDatabase {
  handle: DatabaseHandle;
  /** A keyring with a random master key, initialized on this database. */
  keyring: Keyring;
  /** That master key in base64, for processes (CLI, server) started on this database. */
  masterKey: string;
  /** For the postgres project: the URL of this file's own database. */
  url?: string;
}

async function createServerDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const serverUrl = inject('postgresUrl');
  const name = `custodia_test_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    // Two files copying the template at the same moment can collide; retry.
    for (let attempt = 0; ; attempt++) {
      try {
        await client.query(`create database ${name} template ${inject('postgresTemplate')}`);
        break;
      } catch (error) {
        if ((error as { code?: string }).code !== '55006' || attempt >= 20) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100 + Math.random() * 200));
      }
    }
  } finally {
    await client.end();
  }
  return {
    url: databaseUrl(serverUrl, name),
    async drop() {
      const c = new pg.Client({ connectionString: serverUrl });
      await c.connect();
      try {
        await c.query(`drop database if exists ${name} with (force)`);
      } finally {
        await c.end();
      }
    },
  };
}

const keyrings = new WeakMap<object, Keyring>();

/** The keyring of a test database, for factories that only get the db handle. */
export function keyringOf(db: object): Keyring {
  const keyring = keyrings.get(db);
  if (!keyring) throw new Error('not a test database opened by openTestDatabase');
  return keyring;
}

/** Makes `keyring` the one factories use for this database. */
export function registerKeyring(db: object, keyring: Keyring): void {
  keyrings.set(db, keyring);
}

async function withKeys(handle: DatabaseHandle): Promise<{ keyring: Keyring; masterKey: string }> {
  const master = randomBytes(32);
  const keyring = new Keyring(new LocalMasterKey(master, 'test master key'));
  await initializeKeys(handle.db, keyring);
  registerKeyring(handle.db, keyring);
  return { keyring, masterKey: master.toString('base64') };
}

/** A fresh, migrated database without keys yet (for tests of key set-up itself); the caller disposes of it. */
export async function openBareTestDatabase(): Promise<{ handle: DatabaseHandle; dispose(): Promise<void> }> {
  if (testDbKind() === 'pglite') {
    const handle = await openPglite({ loadDataDir: await pgliteTemplate() });
    return { handle, dispose: () => handle.close() };
  }
  const created = await createServerDatabase();
  const handle = await openPostgres(created.url, 5);
  return {
    handle,
    async dispose() {
      await handle.close();
      await created.drop();
    },
  };
}

/** Opens a fresh, migrated database of this project's kind; the caller closes it. */
export async function openTestDatabase(): Promise<TestDatabase & { dispose(): Promise<void> }> {
  if (testDbKind() === 'pglite') {
    const handle = await openPglite({ loadDataDir: await pgliteTemplate() });
    return { handle, ...(await withKeys(handle)), dispose: () => handle.close() };
  }
  const created = await createServerDatabase();
  const handle = await openPostgres(created.url, 5);
  return {
    handle,
    ...(await withKeys(handle)),
    url: created.url,
    async dispose() {
      await handle.close();
      await created.drop();
    },
  };
}

/**
 * Gives the calling test file its own database for all its tests. Tests
 * share it but never share a tenant (see factories), so no cleanup is needed.
 */
export function useTestDatabase(): TestDatabase {
  const current = {} as TestDatabase;
  let dispose: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    const opened = await openTestDatabase();
    current.handle = opened.handle;
    current.keyring = opened.keyring;
    current.masterKey = opened.masterKey;
    if (opened.url) current.url = opened.url;
    dispose = opened.dispose;
  });
  afterAll(async () => {
    await dispose?.();
  });
  return current;
}
