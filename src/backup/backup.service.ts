import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { sql, type Kysely } from 'kysely';
import { cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Config, StoreSpec } from '../config.js';
import { migrateToLatest, openPglite, type DatabaseHandle } from '../db/database.js';
import type { Database } from '../db/schema.js';
import { Keyring } from '../keys/keyring.js';
import { ObjectNotFoundError, type ObjectStore, type StoredObject } from '../storage/object-store.js';
import { openObjectStore } from '../storage/open-store.js';
import { manifestSignature, newBackupId, putEncrypted, tableContext, writeTable } from './backup-format.js';
import {
  blobObject,
  checkObjects,
  DATA_PREFIX,
  KEYS_PREFIX,
  manifestsIn,
  openBackup,
  prefixOf,
  summaryOf,
  tableObject,
  writeManifest,
} from './backup-manifests.js';
import { BackupError } from './backup.errors.js';
import type {
  BackupContext,
  BackupManifest,
  BackupSummary,
  CreateOptions,
  ManifestBlob,
  ManifestTable,
  OnProgress,
  TombstoneReport,
  VerifyReport,
} from './backup.types.js';
export type * from './backup.types.js';
import { blobObjectKey } from '../files/files.service.js';
import * as repo from './backup.repository.js';
import { shipTombstonesFrom } from './tombstones.js';

/**
 * Backups (issue 18): a backup is objects under `backups/<id>/` in the target
 * store — a signed `manifest.json` and one encrypted, compressed data file per
 * table — and never holds key material; the key store is backed up apart
 * under `keys/<id>/`, and erasures leave tombstones under `tombstones/` that
 * every restore applies.
 */

const DAY_MS = 86_400_000;

/**
 * Short-lived credentials and the backup system's own records stay out of
 * backups: a restored session table would revive signed-out sessions, and
 * restored backup runs and job leases would rewrite the history of the very
 * backups being restored (and could hold the schedule's lock).
 */
const NOT_BACKED_UP = new Set(['sessions', 'mfa_challenges', 'password_resets', 'backup_runs', 'job_leases']);

function nowOf(ctx: BackupContext): Date {
  return ctx.now?.() ?? new Date();
}

/**
 * The copy needs the dump and the copy in memory at once (measured: +520 MiB
 * of RSS for a 253 MB data dir at 100k contacts); above this a PGlite backup
 * runs in one transaction instead — requests wait for the whole export, but
 * the process does not run out of memory.
 */
const PGLITE_COPY_MAX_BYTES = 512 * 1024 * 1024;

/**
 * Runs `work` on one consistent view of the database. PostgreSQL: one
 * REPEATABLE READ READ ONLY transaction on its own connection while the pool
 * keeps serving. PGlite has one connection, so a long transaction would stall
 * every request: while the connection is held (nothing can write), a
 * checkpoint puts every page on disk and PostgreSQL's own files are copied
 * to a private scratch dir (a short stall, measured), which a second PGlite
 * then serves to the export. Only PostgreSQL's files: the data dir also holds
 * the admin socket, the master key, file blobs and the backups themselves.
 * An in-memory database (tests) is copied through a tarball instead.
 */
async function withSnapshot<T>(ctx: BackupContext, work: (trx: Kysely<Database>) => Promise<T>): Promise<{ result: T; stallMs?: number }> {
  const { database } = ctx;
  if (database.kind === 'pglite' && database.location !== 'memory') {
    const scratch = await mkdtemp(path.join(tmpdir(), 'custodia-snapshot-'));
    try {
      const started = performance.now();
      await database.db.connection().execute(async (conn) => {
        await sql`checkpoint`.execute(conn);
        await copyPostgresFiles(database.location, scratch);
      });
      const stallMs = Math.round(performance.now() - started);
      const copy = await openPglite({ dataDir: scratch });
      try {
        return { result: await copy.db.transaction().execute(work), stallMs };
      } finally {
        await copy.close();
      }
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }
  if (
    database.kind === 'pglite' &&
    database.dumpDataDir &&
    (await repo.databaseBytes(database.db)) <= (ctx.pgliteCopyMaxBytes ?? PGLITE_COPY_MAX_BYTES)
  ) {
    const started = performance.now();
    // Holding the connection keeps every other statement out while the files are written and read.
    const tarball = await database.db.connection().execute(async (conn) => {
      await sql`checkpoint`.execute(conn);
      // Uncompressed: gzipping the whole data dir in this process tripled the stall (100k contacts: 7.6 s).
      return database.dumpDataDir!('none');
    });
    const stallMs = Math.round(performance.now() - started);
    const copy = await openPglite({ loadDataDir: tarball });
    try {
      return { result: await copy.db.transaction().execute(work), stallMs };
    } finally {
      await copy.close();
    }
  }
  return { result: await database.db.transaction().setIsolationLevel('repeatable read').setAccessMode('read only').execute(work) };
}

// What PostgreSQL keeps in its data dir (postmaster.pid excepted: the copy is not running).
const POSTGRES_ENTRY = /^(PG_VERSION|base|global|pg_[a-z_]+|postgresql(\.auto)?\.conf|pg_hba\.conf|pg_ident\.conf|postmaster\.opts)$/;

async function copyPostgresFiles(from: string, to: string): Promise<void> {
  for (const entry of await readdir(from, { withFileTypes: true })) {
    if (!POSTGRES_ENTRY.test(entry.name) || !(entry.isDirectory() || entry.isFile())) continue;
    await cp(path.join(from, entry.name), path.join(to, entry.name), { recursive: true });
  }
}

interface ExportTable {
  info: repo.TableInfo;
  tenantId?: string | undefined;
  query?: ReturnType<typeof sql>;
}

/** Writes tables and blobs and, last, the signed manifest: a backup without its manifest does not exist. */
async function exportBackup(
  ctx: BackupContext,
  trx: Kysely<Database>,
  head: Pick<BackupManifest, 'id' | 'scope' | 'tenantId' | 'tenantSlug' | 'createdAt'>,
  tables: ExportTable[],
  blobs: boolean,
  onProgress?: OnProgress,
): Promise<BackupManifest> {
  const dataKey = randomBytes(32);
  const wrapped = await ctx.keyring.master.wrap(dataKey, `backup|${head.id}`);
  const manifestTables: ManifestTable[] = [];
  for (const [i, t] of tables.entries()) {
    onProgress?.({ phase: head.scope === 'keys' ? 'keys' : 'tables', item: t.info.name, done: i, total: tables.length });
    const sum = await writeTable(
      ctx.store,
      tableObject(head, t.info.name),
      dataKey,
      tableContext(head.id, t.info.name),
      { table: t.info.name, columns: t.info.columns },
      repo.readTable(trx, t.info, { tenantId: t.tenantId, query: t.query }),
    );
    manifestTables.push({ name: t.info.name, rows: sum.rows, bytes: sum.bytes, sha256: sum.sha256 });
  }
  const manifestBlobs = blobs ? await exportBlobs(ctx, trx, head, dataKey, onProgress) : [];
  const manifest: BackupManifest = {
    format: 1,
    ...head,
    migration: await repo.latestMigration(trx),
    masterKeyId: ctx.keyring.master.keyId,
    wrappedDataKey: wrapped.toString('base64'),
    tables: manifestTables,
    blobs: manifestBlobs,
    signature: '',
  };
  manifest.signature = manifestSignature(dataKey, manifest);
  await writeManifest(ctx.store, manifest);
  return manifest;
}

/**
 * Each file version's bytes still kept (already encrypted under the person's
 * key), encrypted once more under the backup's key. No-op before files exist.
 */
async function exportBlobs(
  ctx: BackupContext,
  trx: Kysely<Database>,
  head: Pick<BackupManifest, 'id' | 'scope' | 'tenantId'>,
  dataKey: Buffer,
  onProgress?: OnProgress,
): Promise<ManifestBlob[]> {
  if (!(await repo.fileVersionsExist(trx))) return [];
  const out: ManifestBlob[] = [];
  const info: repo.TableInfo = {
    name: 'file_blobs',
    columns: [
      { name: 'tenant_id', type: 'uuid' },
      { name: 'blob_key', type: 'text' },
    ],
    hasTenantId: true,
    primaryKey: [],
  };
  const tenant = head.tenantId ? sql`and tenant_id = ${sql.lit(head.tenantId)}` : sql``;
  const query = sql`select tenant_id, blob_key from file_versions where blob_key is not null ${tenant} order by tenant_id, blob_key`;
  for await (const batch of repo.readTable(trx, info, { query })) {
    for (const row of batch) {
      const key = blobObjectKey(row.tenant_id as string, row.blob_key as string);
      onProgress?.({ phase: 'blobs', item: key, done: out.length, total: out.length + 1 });
      const index = out.length;
      let source: Readable;
      try {
        source = await ctx.filesStore.get(key);
      } catch (error) {
        // Expired or swept since the snapshot was taken: the version's bytes are gone anyway.
        if (error instanceof ObjectNotFoundError) continue;
        throw error;
      }
      const sum = await putEncrypted(ctx.store, blobObject(head, index), dataKey, `backup|${head.id}|blob|${key}`, source);
      out.push({ key, bytes: sum.bytes, sha256: sum.sha256 });
    }
  }
  return out;
}

/** The key store's tables, and which subjects were erased when it was taken. */
async function keyTables(trx: Kysely<Database>): Promise<ExportTable[]> {
  const all = await repo.tablesOf(trx, { keys: true });
  const tables: ExportTable[] = repo.KEY_TABLES.map((name) => ({ info: all.find((t) => t.name === name)! })).filter((t) => t.info);
  tables.push({
    info: {
      name: 'erased_subjects',
      columns: [
        { name: 'tenant_id', type: 'uuid' },
        { name: 'id', type: 'uuid' },
        { name: 'erased_at', type: 'timestamptz' },
      ],
      hasTenantId: true,
      primaryKey: [],
    },
    query: sql`select tenant_id, id, erased_at from subjects where erased_at is not null`,
  });
  return tables;
}

async function exportKeys(ctx: BackupContext, trx: Kysely<Database>, onProgress?: OnProgress): Promise<BackupManifest> {
  const id = newBackupId(nowOf(ctx));
  const head = { id, scope: 'keys' as const, tenantId: null, tenantSlug: null, createdAt: nowOf(ctx).toISOString() };
  return exportBackup(ctx, trx, head, await keyTables(trx), false, onProgress);
}

/** Key backups older than config.backups.keyBackupDays go; the newest always stays. */
async function rotateKeyBackups(ctx: BackupContext): Promise<void> {
  const cutoff = nowOf(ctx).getTime() - ctx.config.backups.keyBackupDays * DAY_MS;
  const all = await manifestsIn(ctx.store, KEYS_PREFIX);
  for (const m of all.slice(1)) {
    if (!('createdAt' in m) || Date.parse(m.createdAt) < cutoff) await deletePrefix(ctx.store, `${KEYS_PREFIX}${m.id}/`);
  }
}

/** A backup that fails half-way leaves none of its objects behind. */
async function removingOnFailure<T>(store: ObjectStore, prefix: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    await deletePrefix(store, prefix).catch(() => undefined);
    throw error;
  }
}

async function deletePrefix(store: ObjectStore, prefix: string): Promise<void> {
  // The manifest first: a backup half deleted is no longer listed or restorable.
  await store.delete(`${prefix}manifest.json`);
  const keys: string[] = [];
  for await (const obj of store.list(prefix)) keys.push(obj.key);
  for (const key of keys) await store.delete(key);
}

/**
 * A backup of the instance (and, from the same snapshot, of its key store) or
 * of one tenant. Tombstones are shipped first, so the target knows every
 * erasure made before the backup.
 */
export async function createBackup(ctx: BackupContext, options: CreateOptions = {}): Promise<BackupSummary> {
  options.onProgress?.({ phase: 'tombstones', done: 0, total: 1 });
  await shipTombstones(ctx);
  let tenant: { id: string; slug: string } | undefined;
  if (options.tenantSlug !== undefined) {
    tenant = await repo.findTenant(ctx.database.db, { slug: options.tenantSlug });
    if (!tenant) throw new BackupError('backup_tenant_not_found', `no tenant with slug "${options.tenantSlug}"`);
  }
  const at = nowOf(ctx);
  const id = newBackupId(at, tenant?.slug);
  const { result, stallMs } = await removingOnFailure(ctx.store, `${DATA_PREFIX}${id}/`, () =>
    withSnapshot(ctx, async (trx) => {
      const tables = (await repo.tablesOf(trx))
        .filter((t) => !NOT_BACKED_UP.has(t.name))
        .filter((t) => !tenant || t.hasTenantId || t.name === 'tenants')
        .map((info) => ({ info, tenantId: tenant?.id }));
      const head = {
        id,
        scope: tenant ? ('tenant' as const) : ('instance' as const),
        tenantId: tenant?.id ?? null,
        tenantSlug: tenant?.slug ?? null,
        createdAt: at.toISOString(),
      };
      const manifest = await exportBackup(ctx, trx, head, tables, true, options.onProgress);
      const keys = tenant ? undefined : await exportKeys(ctx, trx, options.onProgress);
      return { manifest, keys };
    }),
  );
  if (result.keys) await rotateKeyBackups(ctx);
  return {
    ...summaryOf(result.manifest, ctx.store),
    ...(result.keys ? { keyBackupId: result.keys.id } : {}),
    ...(stallMs !== undefined ? { stallMs } : {}),
  };
}

/** Backs up the key store under `keys/<id>/` and rotates key backups older than config.backups.keyBackupDays (the newest always stays). */
export async function backupKeys(ctx: BackupContext, options: { onProgress?: OnProgress } = {}): Promise<BackupSummary> {
  await shipTombstones(ctx);
  const { result, stallMs } = await withSnapshot(ctx, (trx) => exportKeys(ctx, trx, options.onProgress));
  await rotateKeyBackups(ctx);
  return { ...summaryOf(result, ctx.store), ...(stallMs !== undefined ? { stallMs } : {}) };
}

/** Every backup in the target, newest first (key backups instead with `keys`). */
export async function listBackups(ctx: BackupContext, options: { keys?: boolean } = {}): Promise<BackupSummary[]> {
  const found = await manifestsIn(ctx.store, options.keys ? KEYS_PREFIX : DATA_PREFIX);
  return found.map((m) =>
    'format' in m
      ? summaryOf(m, ctx.store)
      : {
          id: m.id,
          scope: options.keys ? ('keys' as const) : ('instance' as const),
          tenantId: null,
          tenantSlug: null,
          createdAt: '',
          bytes: 0,
          rows: 0,
          target: ctx.store.description,
          problem: m.problem,
        },
  );
}

/**
 * Signature and checksums; `full` also decrypts and parses every table and
 * compares row counts, and restores an instance backup (with the newest key
 * backup and the tombstones) into a scratch in-memory database.
 */
export async function verifyBackup(ctx: BackupContext, id: string, options: { full?: boolean } = {}): Promise<VerifyReport> {
  const full = options.full === true;
  try {
    const opened = await openBackup(ctx.store, ctx.keyring, id);
    const { objects, rows } = await checkObjects(ctx.store, opened, full);
    const restoredRows = full && opened.manifest.scope === 'instance' ? await restoreIntoScratch(ctx, id) : undefined;
    return { id, ok: true, full, objects, ...(full ? { rows } : {}), ...(restoredRows !== undefined ? { restoredRows } : {}) };
  } catch (error) {
    if (error instanceof BackupError && error.code !== 'backup_not_found')
      return { id, ok: false, full, problem: error.message, objects: 0 };
    throw error;
  }
}

async function restoreIntoScratch(ctx: BackupContext, id: string): Promise<number> {
  const scratch = await openPglite({});
  try {
    await migrateToLatest(scratch.db);
    // A keyring of its own: the restore sets its instance key, which must not touch the running one's.
    const keyring = new Keyring(ctx.keyring.master, ctx.keyring.previous);
    try {
      return (await restoreBackup({ ...ctx, database: scratch, keyring, filesStore: new NullStore() }, id)).rows;
    } catch (error) {
      if (error instanceof BackupError) throw error;
      throw new BackupError('backup_corrupt', `a restore into a scratch database failed: ${(error as Error).message}`);
    }
  } finally {
    await scratch.close();
  }
}

/** A files store that keeps nothing: a scratch restore does not put file contents anywhere. */
class NullStore implements ObjectStore {
  readonly description = 'scratch';
  async put(_key: string, body: Readable): Promise<{ size: number }> {
    let size = 0;
    for await (const chunk of body) size += (chunk as Buffer).length;
    return { size };
  }
  async get(key: string): Promise<Readable> {
    throw new ObjectNotFoundError(key);
  }
  async head(): Promise<undefined> {
    return undefined;
  }
  async *list(): AsyncIterable<StoredObject> {}
  async delete(): Promise<void> {}
}

/** Removes a backup's objects (the manifest first, so a half-deleted backup is never listed). */
export async function deleteBackup(ctx: BackupContext, id: string): Promise<void> {
  const { manifest } = await openBackup(ctx.store, ctx.keyring, id).catch(async (error: unknown) => {
    // A backup whose manifest is corrupt can still be deleted.
    if (error instanceof BackupError && error.code === 'backup_corrupt') return { manifest: { id, scope: 'instance' as const } };
    throw error;
  });
  await deletePrefix(ctx.store, prefixOf(manifest));
}

/** Writes a signed tombstone for every erased subject and destroyed tenant not shipped yet. */
export async function shipTombstones(ctx: BackupContext): Promise<TombstoneReport> {
  return shipTombstonesFrom(ctx.database.db, ctx.keyring, ctx.store);
}

import { restoreBackup } from './backup-restore.js';
export { restoreBackup };

/** A `--target` given on the command line: a directory, or s3://bucket/prefix. */
export function parseTarget(value: string, cwd = process.cwd()): StoreSpec {
  const s3 = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/([A-Za-z0-9._/-]*))?$/.exec(value);
  if (s3) return { kind: 's3', bucket: s3[1]!, prefix: (s3[2] ?? '').replace(/^\/+|\/+$/g, '') };
  if (value.startsWith('s3://')) throw new BackupError('backup_invalid', `--target must look like s3://bucket/prefix, got "${value}"`);
  return { kind: 'dir', path: path.resolve(cwd, value) };
}

/** The context the CLI and the server run backups in: the configured stores (or another target). */
export function backupContext(
  base: { config: Config; database: DatabaseHandle; keyring: Keyring },
  options: { target?: StoreSpec; now?: () => Date } = {},
): BackupContext {
  return {
    ...base,
    store: openObjectStore(options.target ?? base.config.backups.target, base.config.s3),
    filesStore: openObjectStore(base.config.files.store, base.config.s3),
    ...(options.now ? { now: options.now } : {}),
  };
}
