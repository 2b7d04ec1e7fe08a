import type { Kysely } from 'kysely';
import type { Config } from '../config.js';
import { recordChange, systemActor } from '../audit/recorder.js';
import type { Database } from '../db/schema.js';
import type { Keyring } from '../keys/keyring.js';
import { recordsSubjectId } from '../keys/keys.service.js';
import { startPeriodicJob, type JobLog, type PeriodicJob } from '../shared/periodic-job.js';
import type { ObjectStore } from '../storage/object-store.js';
import { openObjectStore } from '../storage/open-store.js';
import * as repo from './files.repository.js';
import { blobObjectKey } from './files.service.js';

/**
 * The housekeeping of file contents.
 *
 * Version tiers (SpinOffice's promise): every version is kept for
 * `allVersionsDays`; after that only the newest version of each (UTC) day is
 * kept, until `dailyVersionsDays`; older versions expire — their blob is
 * deleted, their row stays (who, when, size, checksum) marked expired. A
 * file's current version never expires, and nothing of a file whose person
 * or deal is under a legal hold does.
 *
 * Orphans: a blob under `tenants/` that no version row names (a file deleted
 * with its record, an erased person's files, a purged tenant, an upload cut
 * off half-way) is deleted once it is an hour old — younger ones may be
 * uploads still in flight. Version rows whose blob is missing are counted and
 * reported, never "fixed".
 */

const DAY_MS = 24 * 60 * 60 * 1000;
const BATCH = 200;
const ORPHAN_AGE_MS = 60 * 60 * 1000;

export interface TierSettings {
  allVersionsDays: number;
  dailyVersionsDays: number;
}

/** Which of a file's versions (newest first) expire at `now`. */
export function versionsToExpire(
  versions: ReadonlyArray<{ version: number; created_at: Date; blob_key: string | null }>,
  current: number,
  settings: TierSettings,
  now: Date,
): number[] {
  const allFrom = now.getTime() - settings.allVersionsDays * DAY_MS;
  const dailyFrom = now.getTime() - settings.dailyVersionsDays * DAY_MS;
  const newestOfDay = new Set<string>();
  const expire: number[] = [];
  for (const v of [...versions].sort((a, b) => b.version - a.version)) {
    const at = v.created_at.getTime();
    const day = v.created_at.toISOString().slice(0, 10);
    const firstOfDay = !newestOfDay.has(day);
    newestOfDay.add(day);
    if (v.version === current || !v.blob_key || at >= allFrom) continue;
    if (at >= dailyFrom && firstOfDay) continue;
    expire.push(v.version);
  }
  return expire;
}

export interface TierReport {
  files: number;
  expired: number;
}

/** Applies the version tiers to every tenant's files at `now` (injected in tests). */
export async function runVersionTiers(
  deps: { db: Kysely<Database>; keyring: Keyring; store: ObjectStore },
  settings: TierSettings,
  now = new Date(),
  stopped: () => boolean = () => false,
): Promise<TierReport> {
  const report: TierReport = { files: 0, expired: 0 };
  const allBefore = new Date(now.getTime() - settings.allVersionsDays * DAY_MS);
  let after: { tenantId: string; fileId: string } | undefined;
  for (;;) {
    const files = await repo.filesWithExpiringVersions(deps.db, allBefore, BATCH, after ? { after } : {});
    if (files.length === 0 || stopped()) return report;
    for (const { tenant_id: tenantId, file_id: fileId } of files) {
      after = { tenantId, fileId };
      const versions = await repo.versionsOf(deps.db, tenantId, fileId);
      if (versions.length === 0) continue;
      const expire = versionsToExpire(versions, versions[0]!.current_version, settings, now);
      if (expire.length === 0) continue;
      const blobs: string[] = [];
      await deps.db.transaction().execute(async (trx) => {
        // The hold is looked at again in the transaction: one placed since the query above wins.
        const still = await repo.filesWithExpiringVersions(trx, allBefore, 1, { only: { tenantId, fileId } });
        if (still.length === 0) return;
        for (const version of expire) {
          const before = versions.find((v) => v.version === version)!;
          if (await repo.markExpired(trx, tenantId, fileId, version, now)) blobs.push(before.blob_key!);
        }
        if (blobs.length === 0) return;
        const file = await repo.findFile(trx, tenantId, fileId);
        const records = await recordsSubjectId(trx, deps.keyring, tenantId);
        await recordChange(trx, deps.keyring, {
          tenantId,
          actor: systemActor('file version tiers'),
          action: 'file.versions_expired',
          entity: 'files',
          entityId: fileId,
          subjectIds: file && file.subject_id !== records ? [file.subject_id] : [],
          details: { versions: expire.map(String) },
        });
      });
      // After the commit: a blob whose row still names it is never deleted.
      for (const blobKey of blobs) await deps.store.delete(blobObjectKey(tenantId, blobKey)).catch(() => undefined);
      report.files += blobs.length > 0 ? 1 : 0;
      report.expired += blobs.length;
    }
  }
}

export interface OrphanReport {
  /** Blobs no version names, deleted. */
  deleted: number;
  /** Version rows whose blob is not in the store. */
  missing: number;
}

const KEY = /^tenants\/([0-9a-f-]{36})\/(.+)$/;

/** Deletes blobs no version row names (older than an hour at `now`) and counts rows whose blob is gone. */
export async function sweepOrphanBlobs(
  deps: { db: Kysely<Database>; store: ObjectStore },
  now = new Date(),
  stopped: () => boolean = () => false,
): Promise<OrphanReport> {
  const report: OrphanReport = { deleted: 0, missing: 0 };
  let batch: Array<{ key: string; tenantId: string; blobKey: string }> = [];
  const flush = async () => {
    const referenced = await repo.referencedBlobs(deps.db, batch);
    for (const item of batch) {
      if (referenced.has(`${item.tenantId}/${item.blobKey}`)) continue;
      await deps.store.delete(item.key);
      report.deleted++;
    }
    batch = [];
  };
  for await (const object of deps.store.list('tenants/')) {
    if (stopped()) return report;
    if (now.getTime() - object.modifiedAt.getTime() < ORPHAN_AGE_MS) continue;
    const match = KEY.exec(object.key);
    if (!match) continue;
    batch.push({ key: object.key, tenantId: match[1]!, blobKey: match[2]! });
    if (batch.length >= BATCH) await flush();
  }
  if (batch.length > 0) await flush();
  let after: { tenantId: string; blobKey: string } | null = null;
  for (;;) {
    if (stopped()) return report;
    const rows = await repo.liveBlobs(deps.db, after, BATCH);
    if (rows.length === 0) break;
    for (const row of rows) if (!(await deps.store.head(blobObjectKey(row.tenant_id, row.blob_key)))) report.missing++;
    const last = rows.at(-1)!;
    after = { tenantId: last.tenant_id, blobKey: last.blob_key };
  }
  return report;
}

/** Both jobs, hourly (the first a few minutes after start). Several app nodes may run them: each step is idempotent. */
export function startFileJobs(options: {
  db: Kysely<Database>;
  keyring: Keyring;
  log: JobLog;
  config: Pick<Config, 'files' | 's3'>;
  everyMs?: number;
}): PeriodicJob {
  const deps = { ...options, store: openObjectStore(options.config.files.store, options.config.s3), settings: options.config.files };
  return startPeriodicJob({
    name: 'file housekeeping',
    log: deps.log,
    firstAfterMs: 5 * 60_000,
    everyMs: deps.everyMs ?? 60 * 60_000,
    work: async (stopped) => {
      const tiers = await runVersionTiers(deps, deps.settings, new Date(), stopped);
      if (tiers.expired > 0) deps.log.info(tiers, 'file versions expired');
      const orphans = await sweepOrphanBlobs(deps, new Date(), stopped);
      if (orphans.deleted > 0) deps.log.info({ deleted: orphans.deleted }, 'orphan file blobs deleted');
      if (orphans.missing > 0) deps.log.error({ missing: orphans.missing }, 'file versions whose content is missing from the store');
    },
  });
}
