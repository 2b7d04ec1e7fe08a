import type { Kysely, RawBuilder } from 'kysely';
import { sql } from 'kysely';
import { recordChange, systemActor } from '../audit/recorder.js';
import { migrations } from '../db/migrations/index.js';
import type { Database } from '../db/schema.js';
import { initializeKeys } from '../keys/keys.service.js';
import { removeErasedSubject } from '../privacy/erasure/erasure.service.js';
import type { ObjectStore } from '../storage/object-store.js';
import { openEncrypted, readTable, tableContext } from './backup-format.js';
import { blobObject, checkObjects, KEYS_PREFIX, manifestsIn, openBackup, tableObject, type OpenedBackup } from './backup-manifests.js';
import { BackupError } from './backup.errors.js';
import * as repo from './backup.repository.js';
import type { BackupContext, RestoreOptions, RestoreReport } from './backup.types.js';
import type { ForeignKey } from '../tenants/tenant-purge.js';
import { readTombstones } from './tombstones.js';

/**
 * Restores are all-or-nothing: every object is checked (signature, sizes,
 * SHA-256) before anything is touched, and the rows go in within one
 * transaction, so a failure half-way leaves the database as it was. Keys
 * never come from a data backup: a whole instance gets its key store from the
 * newest key backup in the target, a tenant keeps its live keys; then every
 * tombstone is applied, so nobody erased since the backup comes back.
 */

/** The newest migration this build knows. */
function buildMigration(): string {
  return Object.keys(migrations).sort().at(-1) ?? '';
}

export async function restoreBackup(ctx: BackupContext, id: string, options: RestoreOptions = {}): Promise<RestoreReport> {
  const progress = options.onProgress;
  const opened = await openBackup(ctx.store, ctx.keyring, id);
  const { manifest } = opened;
  if (manifest.scope === 'keys')
    throw new BackupError('backup_invalid', `${id} is a key backup: it is restored with the whole instance, from the newest one`);
  progress?.({ phase: 'verify', done: 0, total: manifest.tables.length + manifest.blobs.length });
  await checkObjects(ctx.store, opened, false);
  if (manifest.migration > buildMigration())
    throw new BackupError(
      'backup_too_new',
      `backup ${id} was made by a newer Custodia (migration ${manifest.migration}; this build knows up to ${buildMigration()}): upgrade first`,
    );
  const applied = await repo.latestMigration(ctx.database.db);
  if (manifest.migration > applied)
    throw new BackupError('backup_too_new', `backup ${id} needs migration ${manifest.migration}; run custodia migrate first`);
  const report =
    options.tenantSlug !== undefined || manifest.scope === 'tenant'
      ? await restoreTenant(ctx, opened, options)
      : await restoreInstance(ctx, opened, options);
  report.blobs = await restoreBlobs(ctx, opened, report.tenantSlugs.length ? report : undefined);
  return report;
}

type Row = Record<string, unknown>;

interface LoadOptions {
  /** Which rows of the file to load. */
  keep?: (row: Row) => boolean;
  mode?: 'insert' | 'update' | 'ignore';
  /** References to set in a second pass, once every row is in. */
  deferred?: readonly ForeignKey[];
  onlyIf?: RawBuilder<unknown>;
}

/** Loads one table's file into the transaction; answers the rows loaded. */
async function loadTable(
  trx: Kysely<Database>,
  store: ObjectStore,
  opened: OpenedBackup,
  table: string,
  live: repo.TableInfo,
  options: LoadOptions = {},
): Promise<number> {
  const { manifest, dataKey } = opened;
  const key = tableObject(manifest, table);
  const liveColumns = new Set(live.columns.map((c) => c.name));
  const deferredColumns = [...new Set((options.deferred ?? []).filter((k) => k.child === live.name).flatMap((k) => k.columns))];
  let loaded = 0;
  for await (const { header, rows } of readTable(store, key, dataKey, tableContext(manifest.id, table))) {
    // Columns dropped since the backup are left out; columns added since take their defaults.
    const columns = header.columns.map((c) => c.name).filter((c) => liveColumns.has(c));
    const kept = options.keep ? rows.filter(options.keep) : rows;
    if (options.mode === 'update') {
      await repo.setReferences(
        trx,
        live.name,
        live.primaryKey,
        columns.filter((c) => !live.primaryKey.includes(c)),
        kept,
      );
    } else {
      const withoutDeferred = deferredColumns.length
        ? kept.map((r) => ({ ...r, ...Object.fromEntries(deferredColumns.map((c) => [c, null])) }))
        : kept;
      for (let i = 0; i < withoutDeferred.length; i += 500)
        await repo.insertRows(trx, live.name, columns, withoutDeferred.slice(i, i + 500), {
          ignoreConflicts: options.mode === 'ignore',
          ...(options.onlyIf ? { onlyIf: options.onlyIf } : {}),
        });
    }
    loaded += kept.length;
  }
  return loaded;
}

/** The second pass: references left null on insert (cycles, self-references) set once every table is in. */
async function setDeferred(
  trx: Kysely<Database>,
  store: ObjectStore,
  opened: OpenedBackup,
  table: string,
  live: repo.TableInfo,
  options: Pick<LoadOptions, 'keep' | 'deferred'>,
): Promise<void> {
  const { manifest, dataKey } = opened;
  const deferredColumns = [...new Set((options.deferred ?? []).filter((k) => k.child === live.name).flatMap((k) => k.columns))];
  if (deferredColumns.length === 0) return;
  for await (const { rows } of readTable(store, tableObject(manifest, table), dataKey, tableContext(manifest.id, table))) {
    const kept = (options.keep ? rows.filter(options.keep) : rows).filter((r) => deferredColumns.some((c) => r[c] !== null));
    await repo.setReferences(trx, live.name, live.primaryKey, deferredColumns, kept);
  }
}

const tenantOf = (table: string) => (row: Row) => (table === 'tenants' ? row.id : row.tenant_id) as string | undefined;

async function restoreInstance(ctx: BackupContext, opened: OpenedBackup, options: RestoreOptions): Promise<RestoreReport> {
  const { store, keyring } = ctx;
  const { manifest } = opened;
  const db = ctx.database.db;
  if ((await repo.countTenants(db)) > 0)
    throw new BackupError(
      'backup_target_not_empty',
      'a whole instance is restored only into an empty database (this one has tenants): use a fresh data dir or database, or restore one tenant with --tenant',
    );
  const newestKeys = (await manifestsIn(store, KEYS_PREFIX)).find((m) => 'format' in m);
  if (!newestKeys)
    throw new BackupError(
      'backup_no_key_backup',
      `no key backup in ${store.description}: without the key store nothing of the backup can be read (custodia keys backup makes one)`,
    );
  const keys = await openBackup(store, keyring, newestKeys.id);
  await checkObjects(store, keys, false);
  const tombstones = await readTombstones(store, keyring);
  const deadTenants = new Set(tombstones.filter((t) => t.subjectId === null).map((t) => t.tenantId));
  const erased = new Set(tombstones.filter((t) => t.subjectId !== null).map((t) => `${t.tenantId}:${t.subjectId}`));
  for await (const { rows } of readTable(
    store,
    tableObject(keys.manifest, 'erased_subjects'),
    keys.dataKey,
    tableContext(keys.manifest.id, 'erased_subjects'),
  ))
    for (const r of rows) erased.add(`${r.tenant_id as string}:${r.id as string}`);

  let loadedRows = 0;
  let reapplied = 0;
  const tenants = new Set<string>();
  await db.transaction().execute(async (trx) => {
    await repo.allowLedgerDelete(trx);
    const live = new Map((await repo.tablesOf(trx, { keys: true })).map((t) => [t.name, t]));
    // What a first start wrote (its own instance key, seeded rows) makes way for the backup's.
    const emptying = await repo.deletePlan(trx, [...live.keys()]);
    for (const k of emptying.clear) await repo.clearAllReferences(trx, k);
    for (const t of emptying.order) await repo.deleteAll(trx, t);

    const progressTotal = manifest.tables.length + keys.manifest.tables.length;
    let done = 0;
    const step = (item: string) => options.onProgress?.({ phase: 'restore', item, done: done++, total: progressTotal });

    step('instance_keys');
    await loadTable(trx, store, keys, 'instance_keys', live.get('instance_keys')!);
    // The restored instance key is the one the audit chain and local secrets derive from.
    await initializeKeys(trx, keyring);

    const dataTables = manifest.tables.map((t) => t.name).filter((n) => live.has(n) && !(repo.KEY_TABLES as readonly string[]).includes(n));
    const plan = await repo.loadPlan(trx, dataTables);
    const keepOf = (table: string) => {
      const of = tenantOf(table);
      return (row: Row) => {
        const t = of(row);
        if (t === undefined) return true;
        if (table === 'tenants') tenants.add(t);
        return !deadTenants.has(t);
      };
    };
    for (const table of plan.order) {
      step(table);
      loadedRows += await loadTable(trx, store, opened, table, live.get(table)!, { deferred: plan.deferred, keep: keepOf(table) });
    }
    for (const table of plan.order)
      await setDeferred(trx, store, opened, table, live.get(table)!, { deferred: plan.deferred, keep: keepOf(table) });
    for (const dead of deadTenants) tenants.delete(dead);
    const aliveTenant = sql<boolean>`exists (select 1 from tenants t where t.id = v.tenant_id)`;
    step('tenant_keys');
    await loadTable(trx, store, keys, 'tenant_keys', live.get('tenant_keys')!, { onlyIf: aliveTenant });
    step('key_rotations');
    if (live.get('key_rotations')?.hasTenantId)
      await loadTable(trx, store, keys, 'key_rotations', live.get('key_rotations')!, { onlyIf: aliveTenant });
    else await loadTable(trx, store, keys, 'key_rotations', live.get('key_rotations')!);
    step('subject_keys');
    // A key whose subject is not in the data (made after it) or was erased is not restored.
    await loadTable(trx, store, keys, 'subject_keys', live.get('subject_keys')!, {
      keep: (row) => !erased.has(`${row.tenant_id as string}:${row.subject_id as string}`),
      onlyIf: sql<boolean>`exists (select 1 from subjects s where s.tenant_id = v.tenant_id and s.id = v.subject_id)`,
    });
    reapplied = await applyErasures(trx, ctx);
    await repo.resetSequences(trx);
    for (const tenantId of tenants) await recordRestore(trx, ctx, tenantId, manifest.id, 'instance');
  });
  const slugs = await db.selectFrom('tenants').select('slug').orderBy('slug').execute();
  return {
    id: manifest.id,
    scope: 'instance',
    tenantSlugs: slugs.map((s) => s.slug),
    rows: loadedRows,
    erasedReapplied: reapplied,
    blobs: 0,
    keyBackupId: keys.manifest.id,
  };
}

/**
 * Every subject without a key — erased since the backup (tombstone, or shredded
 * in the live key store), or whose key was never restored — is erased again:
 * marked, and the person's rows removed as erasure removes them.
 */
async function applyErasures(trx: Kysely<Database>, ctx: BackupContext, tenantId?: string): Promise<number> {
  let reapplied = 0;
  for (const s of await repo.subjectsWithoutKey(trx, tenantId)) {
    await repo.markErased(trx, s.tenant_id, s.id, nowOf(ctx));
    ctx.keyring.forgetSubject(s.tenant_id, s.id);
    if (s.kind !== 'person') continue;
    const deleted = await removeErasedSubject(trx, ctx.keyring, s.tenant_id, s.id);
    if (Object.keys(deleted).length > 0) reapplied++;
  }
  return reapplied;
}

function nowOf(ctx: BackupContext): Date {
  return ctx.now?.() ?? new Date();
}

async function recordRestore(trx: Kysely<Database>, ctx: BackupContext, tenantId: string, backupId: string, scope: string): Promise<void> {
  await recordChange(trx, ctx.keyring, {
    tenantId,
    actor: systemActor('restore'),
    action: 'backup.restored',
    entity: 'tenants',
    entityId: tenantId,
    details: { backupId, scope },
  });
}

/** Tables a tenant restore leaves alone: the live subjects and tenant row are updated, not replaced; the backup system's own records stay. */
const TENANT_KEEP = new Set(['subjects', 'tenants', 'backup_runs', 'job_leases']);

async function restoreTenant(ctx: BackupContext, opened: OpenedBackup, options: RestoreOptions): Promise<RestoreReport> {
  const { store, keyring } = ctx;
  const { manifest } = opened;
  const db = ctx.database.db;
  const slug = options.tenantSlug ?? manifest.tenantSlug!;
  const live = await repo.findTenant(db, { slug });
  if (!live)
    throw new BackupError(
      'backup_tenant_not_found',
      `there is no tenant "${slug}" in this instance: one tenant is restored into its live self (its keys are live); restore the whole instance into an empty database instead`,
    );
  if (manifest.scope === 'tenant' && manifest.tenantId !== live.id)
    throw new BackupError('backup_invalid', `backup ${manifest.id} is of tenant ${manifest.tenantSlug}, not of the live tenant "${slug}"`);
  const tombstones = await readTombstones(store, keyring, live.id);
  const activeKey = await db
    .selectFrom('tenant_keys')
    .select('version')
    .where('tenant_id', '=', live.id)
    .where('wrapped_key', 'is not', null)
    .executeTakeFirst();
  if (live.status === 'terminated' || !activeKey || tombstones.some((t) => t.subjectId === null))
    throw new BackupError('backup_invalid', `tenant "${slug}" was terminated and its keys destroyed: it cannot be restored`);
  // The backup must hold this tenant.
  let found = false;
  for await (const { rows } of readTable(store, tableObject(manifest, 'tenants'), opened.dataKey, tableContext(manifest.id, 'tenants')))
    if (rows.some((r) => r.id === live.id)) found = true;
  if (!found) throw new BackupError('backup_tenant_not_found', `backup ${manifest.id} holds no tenant "${slug}" (${live.id})`);

  let loadedRows = 0;
  let reapplied = 0;
  await db.transaction().execute(async (trx) => {
    await repo.allowLedgerDelete(trx);
    const liveTables = new Map((await repo.tablesOf(trx)).map((t) => [t.name, t]));
    const replaced = [...liveTables.values()].filter((t) => t.hasTenantId && !TENANT_KEEP.has(t.name)).map((t) => t.name);
    // Signed-in users stay signed in when they are still there after the restore (sessions are not in backups).
    await repo.keepSessions(trx, live.id);
    const emptying = await repo.deletePlan(trx, replaced);
    for (const k of emptying.clear) await repo.clearReferences(trx, k, live.id);
    for (const t of emptying.order) await repo.deleteTenantRows(trx, t, live.id);

    const inBackup = manifest.tables
      .map((t) => t.name)
      .filter((n) => liveTables.has(n) && (replaced.includes(n) || n === 'subjects' || n === 'tenants'));
    const plan = await repo.loadPlan(trx, inBackup);
    let done = 0;
    for (const table of plan.order) {
      options.onProgress?.({ phase: 'restore', item: table, done: done++, total: plan.order.length });
      const of = tenantOf(table);
      loadedRows += await loadTable(trx, store, opened, table, liveTables.get(table)!, {
        keep: (row) => of(row) === live.id,
        deferred: plan.deferred,
        // The live tenant row and subjects stay (keys hang on them); the backup's values update the tenant, and
        // subjects made since the backup simply have no rows any more.
        mode: table === 'tenants' ? 'update' : table === 'subjects' ? 'ignore' : 'insert',
      });
    }
    for (const table of plan.order)
      if (table !== 'tenants' && table !== 'subjects')
        await setDeferred(trx, store, opened, table, liveTables.get(table)!, {
          keep: (row) => tenantOf(table)(row) === live.id,
          deferred: plan.deferred,
        });
    await repo.restoreSessions(trx);
    for (const t of tombstones) if (t.subjectId) await repo.markErased(trx, live.id, t.subjectId, new Date(t.erasedAt));
    reapplied = await applyErasures(trx, ctx, live.id);
    await recordRestore(trx, ctx, live.id, manifest.id, 'tenant');
  });
  return {
    id: manifest.id,
    scope: 'tenant',
    tenantSlugs: [slug],
    rows: loadedRows,
    erasedReapplied: reapplied,
    blobs: 0,
    keyBackupId: null,
  };
}

/**
 * Puts back the bytes of every file version still referenced after the
 * restore (an erased person's went with their rows), unless the files store
 * still has them.
 */
async function restoreBlobs(ctx: BackupContext, opened: OpenedBackup, report?: RestoreReport): Promise<number> {
  const { manifest, dataKey } = opened;
  if (manifest.blobs.length === 0 || !(await repo.fileVersionsExist(ctx.database.db))) return 0;
  void report;
  let restored = 0;
  for (const [i, blob] of manifest.blobs.entries()) {
    const [, tenantId, ...rest] = blob.key.split('/');
    const blobKey = rest.join('/');
    const referenced = await sql<{
      n: number;
    }>`select 1 as n from file_versions where tenant_id = ${tenantId} and blob_key = ${blobKey}`.execute(ctx.database.db);
    if (referenced.rows.length === 0 || (await ctx.filesStore.head(blob.key))) continue;
    const plain = await openEncrypted(ctx.store, blobObject(manifest, i), dataKey, `backup|${manifest.id}|blob|${blob.key}`);
    await ctx.filesStore.put(blob.key, plain);
    restored++;
  }
  return restored;
}
