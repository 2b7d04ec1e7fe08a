import { mkdir } from 'node:fs/promises';
import { Kysely, Migrator, PostgresDialect, type MigrationResult } from 'kysely';
import type pg from 'pg';
import { migrations } from './migrations/index.js';
import { PGlitePool } from './pglite-pool.js';
import { prepareRegisteredStatements } from './prepared.js';
import type { Database } from './schema.js';

export type DatabaseKind = 'pglite' | 'postgres';

export interface PoolStats {
  total: number;
  idle: number;
  waiting: number;
}

/** An open database: the Kysely handle plus what operations need to know about it. */
export interface DatabaseHandle {
  db: Kysely<Database>;
  kind: DatabaseKind;
  /** Where the data lives, safe to print (no password). */
  location: string;
  poolStats(): PoolStats;
  /** A tarball of the embedded database (PGlite only), loadable with `loadDataDir`; gzipped unless 'none' (faster: backups). */
  dumpDataDir?(compression?: 'gzip' | 'none'): Promise<Blob>;
  close(): Promise<void>;
}

// The same JavaScript types come out of PGlite and pg, so code and tests
// behave alike on both: int8 → number, date → 'YYYY-MM-DD', bytea → Buffer.
const INT8 = 20;
const DATE = 1082;
const BYTEA = 17;

function int8(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new RangeError('int8 value outside the safe integer range');
  return n;
}

function pgTypes(types: typeof pg.types): pg.CustomTypesConfig {
  return {
    getTypeParser(oid: number, format?: 'text' | 'binary') {
      if (oid === INT8) return int8;
      if (oid === DATE) return (value: string) => value;
      return types.getTypeParser(oid, format);
    },
  } as pg.CustomTypesConfig;
}

const pgliteParsers = {
  [INT8]: int8,
  [DATE]: (value: string) => value,
  [BYTEA]: (value: string) => Buffer.from(value.slice(2), 'hex'),
};

export interface PgliteSource {
  /** Directory to persist into; omitted means in memory. */
  dataDir?: string;
  /** A tarball from `dumpDataDir()` to start from (tests use a migrated template). */
  loadDataDir?: Blob;
}

export async function openPglite(source: PgliteSource): Promise<DatabaseHandle> {
  if (source.dataDir) await mkdir(source.dataDir, { recursive: true, mode: 0o700 });
  // Drivers load on first use: the CLI only pays for the one it needs.
  const { PGlite } = await import('@electric-sql/pglite');
  const pglite = new PGlite({
    ...(source.dataDir ? { dataDir: source.dataDir } : {}),
    ...(source.loadDataDir ? { loadDataDir: source.loadDataDir } : {}),
    parsers: pgliteParsers,
  });
  await pglite.waitReady;
  const pool = new PGlitePool(pglite);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  let closed = false;
  return {
    db,
    kind: 'pglite',
    location: source.dataDir ?? 'memory',
    poolStats: () => ({ total: 1, idle: pool.busy ? 0 : 1, waiting: pool.waiting }),
    dumpDataDir: (compression = 'gzip') => pglite.dumpDataDir(compression),
    async close() {
      if (closed) return;
      closed = true;
      await db.destroy(); // ends the pool, which closes PGlite and flushes its files
    },
  };
}

/** Location of a PostgreSQL URL without its password, for logs and messages. */
export function redactDatabaseUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

const pgPools = new WeakMap<Kysely<Database>, pg.Pool>();

/**
 * The pg pool behind a PostgreSQL handle's Kysely, for the few statements
 * Kysely cannot run (audit verification streams the chain with binary COPY).
 */
export function pgPoolOf(db: Kysely<Database>): pg.Pool | undefined {
  return pgPools.get(db);
}

export async function openPostgres(url: string, max: number): Promise<DatabaseHandle> {
  const { default: pg } = await import('pg');
  const pool = new pg.Pool({ connectionString: url, max, types: pgTypes(pg.types), application_name: 'custodia' });
  // An idle client losing its server connection must not crash the process.
  pool.on('error', () => undefined);
  pool.on('connect', prepareRegisteredStatements);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  pgPools.set(db, pool);
  let closed = false;
  return {
    db,
    kind: 'postgres',
    location: redactDatabaseUrl(url),
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    async close() {
      if (closed) return;
      closed = true;
      await db.destroy();
    },
  };
}

export class MigrationError extends Error {
  constructor(
    readonly migration: string | undefined,
    cause: unknown,
  ) {
    super(`migration ${migration ?? '(unknown)'} failed: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
    this.name = 'MigrationError';
  }
}

/** Runs every pending migration; concurrent callers are serialized by Kysely's advisory lock. */
export async function migrateToLatest(db: Kysely<Database>): Promise<MigrationResult[]> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: () => Promise.resolve(migrations) },
  });
  const { error, results = [] } = await migrator.migrateToLatest();
  if (error) {
    const failed = results.find((r) => r.status === 'Error');
    throw new MigrationError(failed?.migrationName, error);
  }
  return results;
}

/** Cheap round trip used by /readyz. */
export async function pingDatabase(db: Kysely<Database>): Promise<void> {
  await db.selectNoFrom((eb) => eb.lit(1).as('ok')).execute();
}
