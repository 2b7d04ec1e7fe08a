import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Keyring } from '../keys/keyring.js';
import { ObjectNotFoundError, readObject, type ObjectStore } from '../storage/object-store.js';
import { canonicalJson } from './backup-format.js';
import { BackupError } from './backup.errors.js';
import * as repo from './backup.repository.js';

/**
 * Tombstones: one small signed object per erased subject
 * (`tombstones/<tenantId>/<subjectId>.json`) and per destroyed tenant
 * (`tombstones/<tenantId>/tenant.json`) in the backup target, so every
 * restore — even one into a fresh data dir from an old backup — knows whom
 * it must not bring back. They are signed with a key kept in the target
 * itself (`keys/tombstone-key.bin`), wrapped by the master key: restorable
 * with the master key alone, and unforgeable without it.
 */

const KEY_OBJECT = 'keys/tombstone-key.bin';
const WATERMARK = 'tombstones/.watermark.json';

export interface Tombstone {
  tenantId: string;
  /** null for a destroyed tenant. */
  subjectId: string | null;
  erasedAt: string;
}

interface StoredKey {
  masterKeyId: string;
  wrapped: string;
}

async function tombstoneKey(store: ObjectStore, keyring: Keyring, create: boolean): Promise<Buffer | undefined> {
  let stored: StoredKey | undefined;
  try {
    stored = JSON.parse((await readObject(store, KEY_OBJECT)).toString('utf8')) as StoredKey;
  } catch (error) {
    if (!(error instanceof ObjectNotFoundError)) throw error;
  }
  if (stored) {
    const provider = keyring.providerFor(stored.masterKeyId);
    if (!provider)
      throw new BackupError(
        'backup_master_key_mismatch',
        `the tombstones in this target are signed under master key ${stored.masterKeyId}, but ${keyring.master.keyId} is configured`,
      );
    const key = await provider.unwrap(Buffer.from(stored.wrapped, 'base64'), 'backup-tombstones');
    // After a master key rotation the key is wrapped again under the new one.
    if (provider !== keyring.master && create) await writeKey(store, keyring, key);
    return key;
  }
  if (!create) return undefined;
  const key = randomBytes(32);
  await writeKey(store, keyring, key);
  return key;
}

async function writeKey(store: ObjectStore, keyring: Keyring, key: Buffer): Promise<void> {
  const body: StoredKey = {
    masterKeyId: keyring.master.keyId,
    wrapped: (await keyring.master.wrap(key, 'backup-tombstones')).toString('base64'),
  };
  await store.put(KEY_OBJECT, Readable.from([Buffer.from(JSON.stringify(body))]));
}

function mac(key: Buffer, t: Tombstone): string {
  return createHmac('sha256', key).update(canonicalJson(t)).digest('base64');
}

function objectKey(t: Pick<Tombstone, 'tenantId' | 'subjectId'>): string {
  return `tombstones/${t.tenantId}/${t.subjectId ?? 'tenant'}.json`;
}

async function put(store: ObjectStore, key: Buffer, t: Tombstone): Promise<void> {
  await store.put(objectKey(t), Readable.from([Buffer.from(JSON.stringify({ ...t, mac: mac(key, t) }))]));
}

/**
 * Ships a tombstone for every subject erased since the last run (a watermark
 * object remembers when that was; a minute of overlap covers transactions
 * that committed late) and for every destroyed tenant.
 */
export async function shipTombstonesFrom(
  db: Kysely<Database>,
  keyring: Keyring,
  store: ObjectStore,
): Promise<{ shipped: number; tenants: number }> {
  const key = (await tombstoneKey(store, keyring, true))!;
  let since: Date | null = null;
  try {
    const w = JSON.parse((await readObject(store, WATERMARK)).toString('utf8')) as { erasedAt?: string };
    if (w.erasedAt) since = new Date(Date.parse(w.erasedAt) - 60_000);
  } catch (error) {
    if (!(error instanceof ObjectNotFoundError)) throw error;
  }
  let shipped = 0;
  let newest: Date | null = null;
  for (const s of await repo.erasedSubjects(db, since)) {
    const erasedAt = new Date(s.erased_at as unknown as Date);
    await put(store, key, { tenantId: s.tenant_id, subjectId: s.id, erasedAt: erasedAt.toISOString() });
    shipped++;
    if (!newest || erasedAt > newest) newest = erasedAt;
  }
  const destroyed = await repo.destroyedTenants(db, since);
  for (const t of destroyed) {
    const at = new Date(t.destroyed_at);
    await put(store, key, { tenantId: t.tenant_id, subjectId: null, erasedAt: at.toISOString() });
    if (!newest || at > newest) newest = at;
  }
  if (newest) await store.put(WATERMARK, Readable.from([Buffer.from(JSON.stringify({ erasedAt: newest.toISOString() }))]));
  return { shipped, tenants: destroyed.length };
}

/**
 * Every tombstone in the target (of one tenant, when given), each checked
 * against its signature: a forged or changed one is refused, not applied.
 */
export async function readTombstones(store: ObjectStore, keyring: Keyring, tenantId?: string): Promise<Tombstone[]> {
  const key = await tombstoneKey(store, keyring, false);
  const out: Tombstone[] = [];
  for await (const obj of store.list(tenantId ? `tombstones/${tenantId}/` : 'tombstones/')) {
    if (!obj.key.endsWith('.json') || obj.key === WATERMARK) continue;
    if (!key) throw new BackupError('backup_corrupt', `tombstone ${obj.key} exists but the target has no ${KEY_OBJECT}`);
    const body = JSON.parse((await readObject(store, obj.key)).toString('utf8')) as Tombstone & { mac?: string };
    const t: Tombstone = { tenantId: body.tenantId, subjectId: body.subjectId ?? null, erasedAt: body.erasedAt };
    const expected = Buffer.from(mac(key, t), 'base64');
    const given = Buffer.from(body.mac ?? '', 'base64');
    if (given.length !== expected.length || !timingSafeEqual(given, expected) || objectKey(t) !== obj.key)
      throw new BackupError('backup_corrupt', `tombstone ${obj.key} fails its signature check`);
    out.push(t);
  }
  return out;
}
