import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { recordSecurityEvent } from '../audit/security-events.js';
import type { Database } from '../db/schema.js';
import { newId } from '../shared/ids.js';
import { KeyError } from '../keys/keys.errors.js';
import * as repo from '../keys/keys.repository.js';
import type { Keyring } from '../keys/keyring.js';
import { tenantKey } from '../keys/keys.service.js';
import { open, seal } from '../keys/secret-box.js';

/**
 * Online, resumable key rotation. Every step is a small transaction; the
 * progress lives in `key_rotations`, so an interrupted rotation continues
 * where it stopped when the command runs again. Servers keep serving: reads
 * unwrap with whichever version a row names, and searches consult the blind
 * index terms of every version still in use.
 */

/**
 * Re-computes one batch of a record type's index terms under `version`,
 * after `afterId`; answers the last id done, or null when there are no more.
 * Each domain with blind indexes provides one (identity: users).
 */
export type Reindexer = (
  db: Kysely<Database>,
  keyring: Keyring,
  tenantId: string,
  version: number,
  afterId: string | null,
  limit: number,
) => Promise<string | null>;

export interface RotationResult {
  tenantId?: string;
  fromVersion?: number;
  toVersion?: number;
  rewrapped: number;
  reindexed: number;
}

function subjectContext(tenantId: string, subjectId: string): string {
  return `subject|${tenantId}|${subjectId}`;
}

function tenantContext(tenantId: string, version: number): string {
  return `tenant|${tenantId}|${version}`;
}

/** A new tenant key version: subject keys re-wrapped, blind indexes re-computed, the old version retired. */
export async function rotateTenantKey(
  db: Kysely<Database>,
  keyring: Keyring,
  tenantId: string,
  reindexers: Reindexer[],
  batchSize = 200,
): Promise<RotationResult> {
  let rotation = await repo.findRunningRotation(db, 'tenant', tenantId);
  if (!rotation) {
    await db.transaction().execute(async (trx) => {
      const current = await repo.findActiveTenantKey(trx, tenantId);
      if (!current) throw new KeyError('tenant_key_destroyed', 'the tenant has no active key to rotate');
      const next = current.version + 1;
      await repo.setTenantKeyState(trx, tenantId, current.version, 'retiring');
      const key = randomBytes(32);
      await repo.insertTenantKey(trx, tenantId, {
        version: next,
        wrapped: await keyring.master.wrap(key, tenantContext(tenantId, next)),
        masterKeyId: keyring.master.keyId,
      });
      await repo.insertRotation(trx, {
        id: newId(),
        kind: 'tenant',
        tenantId,
        fromVersion: current.version,
        toVersion: next,
        phase: 'rewrap',
      });
    });
    rotation = (await repo.findRunningRotation(db, 'tenant', tenantId))!;
  }
  const rotationId = rotation.id;
  const from = rotation.from_version!;
  const to = rotation.to_version!;
  const result: RotationResult = { tenantId, fromVersion: from, toVersion: to, rewrapped: 0, reindexed: 0 };
  const newKey = await tenantKey(db, keyring, tenantId, to);

  if (rotation.phase === 'rewrap') {
    for (;;) {
      const batch = await repo.subjectKeysBelowVersion(db, tenantId, to, batchSize);
      if (batch.length === 0) break;
      await db.transaction().execute(async (trx) => {
        for (const row of batch) {
          const old = await tenantKey(trx, keyring, tenantId, row.tenant_key_version);
          const subject = open(old, row.wrapped_key, subjectContext(tenantId, row.subject_id));
          await repo.rewrapSubjectKey(trx, tenantId, row.subject_id, seal(newKey, subject, subjectContext(tenantId, row.subject_id)), to);
        }
        await repo.updateRotation(trx, rotationId, { processedDelta: batch.length });
      });
      result.rewrapped += batch.length;
    }
    await repo.updateRotation(db, rotationId, { phase: 'reindex:0', cursor: null });
    rotation = { ...rotation, phase: 'reindex:0', cursor: null };
  }

  for (let i = Number(rotation.phase.split(':')[1] ?? 0); rotation.phase.startsWith('reindex') && i < reindexers.length; i++) {
    let cursor = rotation.phase === `reindex:${i}` ? rotation.cursor : null;
    for (;;) {
      const last = await reindexers[i]!(db, keyring, tenantId, to, cursor, batchSize);
      if (last === null) break;
      cursor = last;
      await repo.updateRotation(db, rotationId, { phase: `reindex:${i}`, cursor, processedDelta: 1 });
      result.reindexed++;
    }
    await repo.updateRotation(db, rotationId, { phase: `reindex:${i + 1}`, cursor: null });
  }

  await db.transaction().execute(async (trx) => {
    await repo.deleteTermsOfVersion(trx, tenantId, from);
    await repo.setTenantKeyState(trx, tenantId, from, 'retired');
    await repo.updateRotation(trx, rotationId, { phase: 'done', done: true });
    await recordSecurityEvent(trx, keyring, { tenantId, type: 'key.tenant_rotated', details: { from, to, subjects: result.rewrapped } });
  });
  keyring.forgetTenant(tenantId);
  return result;
}

/**
 * Re-wraps the instance key and every tenant key under the configured master
 * key. The old master key must still be configured as the previous one.
 */
export async function rotateMasterKey(db: Kysely<Database>, keyring: Keyring, batchSize = 200): Promise<RotationResult> {
  const result: RotationResult = { rewrapped: 0, reindexed: 0 };
  const current = keyring.master;
  const instance = await repo.findInstanceKey(db);
  if (instance && instance.master_key_id !== current.keyId) {
    const previous = keyring.providerFor(instance.master_key_id);
    if (!previous) throw needPrevious(instance.master_key_id);
    const key = await previous.unwrap(instance.wrapped_key, 'instance');
    await repo.updateInstanceKey(db, await current.wrap(key, 'instance'), current.keyId);
    result.rewrapped++;
  }
  for (;;) {
    const batch = await repo.tenantKeysNotUnder(db, current.keyId, batchSize);
    if (batch.length === 0) break;
    for (const row of batch) {
      const previous = keyring.providerFor(row.master_key_id!);
      if (!previous) throw needPrevious(row.master_key_id!);
      const context = tenantContext(row.tenant_id, row.version);
      const key = await previous.unwrap(row.wrapped_key!, context);
      await repo.rewrapTenantKey(db, row.tenant_id, row.version, await current.wrap(key, context), current.keyId);
      result.rewrapped++;
    }
  }
  return result;
}

function needPrevious(keyId: string): KeyError {
  return new KeyError(
    'rotation_needs_previous_key',
    `keys are wrapped by master key ${keyId}, which is not configured: set it as CUSTODIA_PREVIOUS_MASTER_KEY`,
  );
}

export interface KeyStatus {
  masterKey: { keyId: string; description: string; previous: string[] };
  instanceKeyUnder: string | null;
  tenantKeys: Array<{ masterKeyId: string | null; state: string; count: number }>;
  rotations: Array<{
    kind: string;
    tenantId: string | null;
    from: number | null;
    to: number | null;
    status: string;
    phase: string;
    processed: number;
    startedAt: Date;
    finishedAt: Date | null;
  }>;
}

export async function keyStatus(db: Kysely<Database>, keyring: Keyring): Promise<KeyStatus> {
  const instance = await repo.findInstanceKey(db);
  return {
    masterKey: {
      keyId: keyring.master.keyId,
      description: keyring.master.description,
      previous: keyring.previous.map((p) => p.keyId),
    },
    instanceKeyUnder: instance?.master_key_id ?? null,
    tenantKeys: (await repo.countTenantKeysByMaster(db)).map((r) => ({ masterKeyId: r.master_key_id, state: r.state, count: Number(r.n) })),
    rotations: (await repo.listRotations(db)).map((r) => ({
      kind: r.kind,
      tenantId: r.tenant_id,
      from: r.from_version,
      to: r.to_version,
      status: r.status,
      phase: r.phase,
      processed: r.processed,
      startedAt: r.started_at,
      finishedAt: r.finished_at,
    })),
  };
}
