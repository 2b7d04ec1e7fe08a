import { Readable } from 'node:stream';
import { ObjectNotFoundError, readObject, type ObjectStore } from '../storage/object-store.js';
import type { Keyring } from '../keys/keyring.js';
import { hashObject, isBackupId, readTable, signatureMatches, tableContext } from './backup-format.js';
import { BackupError } from './backup.errors.js';
import type { BackupManifest, BackupSummary } from './backup.types.js';

// Finding, opening and checking a backup's manifest and objects.

export const DATA_PREFIX = 'backups/';
export const KEYS_PREFIX = 'keys/';

export function prefixOf(manifest: Pick<BackupManifest, 'scope' | 'id'>): string {
  return `${manifest.scope === 'keys' ? KEYS_PREFIX : DATA_PREFIX}${manifest.id}/`;
}

export function tableObject(manifest: Pick<BackupManifest, 'scope' | 'id'>, table: string): string {
  return `${prefixOf(manifest)}tables/${table}.bin`;
}

export function blobObject(manifest: Pick<BackupManifest, 'scope' | 'id'>, index: number): string {
  return `${prefixOf(manifest)}blobs/${String(index).padStart(8, '0')}.bin`;
}

export async function writeManifest(store: ObjectStore, manifest: BackupManifest): Promise<void> {
  await store.put(`${prefixOf(manifest)}manifest.json`, Readable.from([Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`)]));
}

export function summaryOf(manifest: BackupManifest, store: ObjectStore): BackupSummary {
  return {
    id: manifest.id,
    scope: manifest.scope,
    tenantId: manifest.tenantId,
    tenantSlug: manifest.tenantSlug,
    createdAt: manifest.createdAt,
    bytes: manifest.tables.reduce((n, t) => n + t.bytes, 0) + manifest.blobs.reduce((n, b) => n + b.bytes, 0),
    rows: manifest.tables.reduce((n, t) => n + t.rows, 0),
    target: store.description,
  };
}

function parseManifest(text: string, where: string): BackupManifest {
  let m: BackupManifest;
  try {
    m = JSON.parse(text) as BackupManifest;
  } catch {
    throw new BackupError('backup_corrupt', `${where} is not valid JSON (changed or truncated)`);
  }
  if (m?.format !== 1 || typeof m.id !== 'string' || !Array.isArray(m.tables) || !Array.isArray(m.blobs))
    throw new BackupError('backup_corrupt', `${where} is not a backup manifest of format 1`);
  return m;
}

/** Every manifest under a prefix (unread ones are skipped), newest first. */
export async function manifestsIn(store: ObjectStore, prefix: string): Promise<Array<BackupManifest | { id: string; problem: string }>> {
  const out: Array<BackupManifest | { id: string; problem: string }> = [];
  const pattern = new RegExp(`^${prefix}([^/]+)/manifest\\.json$`);
  for await (const obj of store.list(prefix)) {
    const id = pattern.exec(obj.key)?.[1];
    if (!id) continue;
    try {
      out.push(parseManifest((await readObject(store, obj.key)).toString('utf8'), obj.key));
    } catch (error) {
      out.push({ id, problem: (error as Error).message });
    }
  }
  return out.sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
}

export interface OpenedBackup {
  manifest: BackupManifest;
  dataKey: Buffer;
}

/**
 * Reads a backup's manifest, unwraps its data key with the master key that
 * made it and checks the signature: a wrong master key and a changed
 * manifest are told apart, each with a clear message.
 */
export async function openBackup(store: ObjectStore, keyring: Keyring, id: string): Promise<OpenedBackup> {
  if (!isBackupId(id)) throw new BackupError('backup_not_found', `"${id}" is not a backup id (see custodia backup list)`);
  let text: string | undefined;
  let where = '';
  for (const prefix of [DATA_PREFIX, KEYS_PREFIX]) {
    where = `${prefix}${id}/manifest.json`;
    try {
      text = (await readObject(store, where)).toString('utf8');
      break;
    } catch (error) {
      if (!(error instanceof ObjectNotFoundError)) throw error;
    }
  }
  if (text === undefined) throw new BackupError('backup_not_found', `no backup ${id} in ${store.description}`);
  const manifest = parseManifest(text, where);
  if (manifest.id !== id) throw new BackupError('backup_corrupt', `${where} names backup ${manifest.id}, not ${id}`);
  const provider = keyring.providerFor(manifest.masterKeyId);
  if (!provider)
    throw new BackupError(
      'backup_master_key_mismatch',
      `backup ${id} was made under master key ${manifest.masterKeyId}, but the configured master key is ${keyring.master.keyId}: ` +
        'configure the key the backup was made with (or give it as CUSTODIA_PREVIOUS_MASTER_KEY)',
    );
  let dataKey: Buffer;
  try {
    dataKey = await provider.unwrap(Buffer.from(manifest.wrappedDataKey, 'base64'), `backup|${id}`);
  } catch {
    throw new BackupError(
      'backup_corrupt',
      `${where}: the data key does not unwrap under ${manifest.masterKeyId} (the manifest was changed)`,
    );
  }
  if (!signatureMatches(dataKey, manifest))
    throw new BackupError('backup_corrupt', `${where}: the signature does not match (the manifest was changed)`);
  return { manifest, dataKey };
}

/**
 * Size and SHA-256 of every object the manifest names; with `full`, every
 * table is also decrypted, decompressed and parsed and its rows counted.
 * Throws BackupError naming the object and the check that failed.
 */
export async function checkObjects(store: ObjectStore, opened: OpenedBackup, full: boolean): Promise<{ objects: number; rows: number }> {
  const { manifest, dataKey } = opened;
  let objects = 0;
  let rows = 0;
  const check = async (key: string, expected: { bytes: number; sha256: string }) => {
    const head = await store.head(key);
    if (!head) throw new BackupError('backup_corrupt', `${key} is missing`);
    if (head.size !== expected.bytes)
      throw new BackupError('backup_corrupt', `${key} is ${head.size} bytes, the manifest says ${expected.bytes} (truncated or changed)`);
    const sum = await hashObject(store, key);
    if (sum.sha256 !== expected.sha256) throw new BackupError('backup_corrupt', `${key} fails its SHA-256 check (changed)`);
    objects++;
  };
  for (const t of manifest.tables) await check(tableObject(manifest, t.name), t);
  for (const [i, b] of manifest.blobs.entries()) await check(blobObject(manifest, i), b);
  if (full) {
    for (const t of manifest.tables) {
      let n = 0;
      try {
        for await (const batch of readTable(store, tableObject(manifest, t.name), dataKey, tableContext(manifest.id, t.name)))
          n += batch.rows.length;
      } catch (error) {
        throw new BackupError('backup_corrupt', `${tableObject(manifest, t.name)} does not decrypt and parse: ${(error as Error).message}`);
      }
      if (n !== t.rows)
        throw new BackupError('backup_corrupt', `${tableObject(manifest, t.name)} holds ${n} rows, the manifest says ${t.rows}`);
      rows += n;
    }
  }
  return { objects, rows };
}
