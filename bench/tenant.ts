import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { loadConfig, type Config } from '../src/config.js';
import { migrateToLatest, openPglite, openPostgres, type DatabaseHandle } from '../src/db/database.js';
import type { User } from '../src/identity/identity.service.js';
import { initializeKeys } from '../src/keys/keys.service.js';
import type { Keyring } from '../src/keys/keyring.js';
import { loadKeyring } from '../src/keys/master-key.js';
import { createTenant } from '../src/provisioning/provision.js';
import { createBenchDatabase } from './http.bench.js';
import { seedEncryptedContacts } from './seed.js';

/**
 * One tenant of N encrypted contacts in a fresh database — a temp data dir on
 * PGlite, or `custodia_bench_<random>` on the PostgreSQL server, dropped by
 * `drop()` — as the erasure and backup benchmarks both need it: migrated,
 * keys initialized, a tenant with its admin, the contacts through the CRM's
 * bulk path (seed.ts).
 */
export interface SeededTenant {
  mode: 'pglite' | 'postgres';
  /** The environment the database and keys were opened with (for `custodia` CLI children too). */
  env: Record<string, string>;
  config: Config;
  database: DatabaseHandle;
  keyring: Keyring;
  tenant: { id: string; slug: string };
  admin: User;
  /** Contact ids in seed order (id i is personAt(i)). */
  ids: string[];
  seedSeconds: number;
  /** Drops the PostgreSQL database (a no-op on PGlite, whose data dir is the caller's work dir). */
  drop(): Promise<void>;
}

export interface SeededTenantOptions {
  mode: 'pglite' | 'postgres';
  contacts: number;
  /** A fresh temp dir: the data dir goes in it. */
  workDir: string;
  slugPrefix: string;
  name: string;
  log?: (text: string) => void;
}

export async function seededTenant(options: SeededTenantOptions): Promise<SeededTenant> {
  const { mode, contacts, workDir } = options;
  const env: Record<string, string> = {
    CUSTODIA_DATA_DIR: path.join(workDir, 'data'),
    CUSTODIA_MASTER_KEY: randomBytes(32).toString('base64'),
    LOG_LEVEL: 'silent',
  };
  let drop: () => Promise<void> = async () => undefined;
  if (mode === 'postgres') {
    const created = await createBenchDatabase(process.env.CUSTODIA_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
    if ('unreachable' in created) throw new Error(`PostgreSQL does not answer: ${created.unreachable}`);
    drop = created.drop;
    env.DATABASE_URL = created.url;
  }
  const config = loadConfig(env, workDir);
  const database = env.DATABASE_URL ? await openPostgres(env.DATABASE_URL, 4) : await openPglite({ dataDir: env.CUSTODIA_DATA_DIR! });
  try {
    await migrateToLatest(database.db);
    const { keyring } = await loadKeyring(config);
    await initializeKeys(database.db, keyring);
    const slug = `${options.slugPrefix}-${randomBytes(3).toString('hex')}`;
    const { tenant, admin } = await createTenant(
      database.db,
      { argon2: config.argon2, keyring },
      { slug, name: options.name, adminEmail: `admin@${slug}.test`, adminPassword: `pw-${randomBytes(12).toString('base64url')}` },
    );
    options.log?.(`${mode}: seeding ${contacts.toLocaleString('en')} encrypted contacts`);
    const started = process.hrtime.bigint();
    const ids = await seedEncryptedContacts(database.db, keyring, { tenantId: tenant.id, owner: admin, count: contacts });
    const seedSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    return { mode, env, config, database, keyring, tenant: { id: tenant.id, slug }, admin, ids, seedSeconds, drop };
  } catch (error) {
    await database.close();
    await drop();
    throw error;
  }
}
