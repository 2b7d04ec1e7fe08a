import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createInterface } from 'node:readline';
import { PassThrough, Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import { decryptStream, encryptStream } from '../keys/stream-crypto.js';
import { deriveKey } from '../keys/secret-box.js';
import type { ObjectStore } from '../storage/object-store.js';
import type { ColumnInfo } from './backup.repository.js';

/**
 * The bytes of a backup. A table's data file is JSON lines — a header line
 * naming the columns and their types, then one array per row (bytea as
 * base64, timestamps ISO) — gzipped, then encrypted in 64 KiB chunks under
 * the backup's data key with the context `backup|<id>|<table>`, so a file
 * moved to another backup or table does not decrypt.
 */

export interface TableHeader {
  table: string;
  columns: ColumnInfo[];
}

/** Sortable, e.g. 20261202T074500Z-1a2b3c, and -t-<slug> for one tenant. */
export function newBackupId(at: Date, tenantSlug?: string): string {
  const stamp = at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${randomBytes(3).toString('hex')}${tenantSlug ? `-t-${tenantSlug}` : ''}`;
}

const ID = /^\d{8}T\d{6}Z-[0-9a-f]{6}(-t-[a-z0-9-]+)?$/;
export function isBackupId(id: string): boolean {
  return ID.test(id);
}

/** JSON with keys sorted at every level: the bytes the signature covers. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function manifestSignature(dataKey: Buffer, manifest: object): string {
  const { signature: _ignored, ...rest } = manifest as { signature?: string };
  void _ignored;
  return createHmac('sha256', deriveKey(dataKey, 'backup-manifest')).update(canonicalJson(rest)).digest('base64');
}

export function signatureMatches(dataKey: Buffer, manifest: { signature?: unknown }): boolean {
  if (typeof manifest.signature !== 'string') return false;
  const expected = Buffer.from(manifestSignature(dataKey, manifest), 'base64');
  const given = Buffer.from(manifest.signature, 'base64');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export function tableContext(id: string, table: string): string {
  return `backup|${id}|${table}`;
}

function encodeValue(value: unknown): unknown {
  if (Buffer.isBuffer(value)) return value.toString('base64');
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(encodeValue);
  return value;
}

/** A row back into the JSON that json_populate_recordset reads: bytea as `\x` hex. */
export function decodeRow(columns: readonly ColumnInfo[], values: readonly unknown[]): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  columns.forEach((c, i) => {
    const v = values[i];
    if (v === null || v === undefined) row[c.name] = null;
    else if (c.type === 'bytea') row[c.name] = `\\x${Buffer.from(v as string, 'base64').toString('hex')}`;
    else if (c.type === '_bytea') row[c.name] = (v as string[]).map((b) => `\\x${Buffer.from(b, 'base64').toString('hex')}`);
    else row[c.name] = v;
  });
  return row;
}

export interface StoredObjectSum {
  rows: number;
  bytes: number;
  sha256: string;
}

/** Streams plaintext through gzip and encryption into the store, hashing what is stored. */
export async function putEncrypted(
  store: ObjectStore,
  key: string,
  dataKey: Buffer,
  context: string,
  source: Readable,
): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash('sha256');
  let bytes = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  const out = new PassThrough();
  const writing = pipeline(source, createGzip(), encryptStream(dataKey, context), tap, out);
  const putting = store.put(key, out);
  try {
    await Promise.all([writing, putting]);
  } catch (error) {
    out.destroy();
    source.destroy();
    await Promise.allSettled([writing, putting]);
    throw error;
  }
  return { bytes, sha256: hash.digest('hex') };
}

/** Writes one table's rows (batches from a cursor) as an encrypted data file. */
export async function writeTable(
  store: ObjectStore,
  key: string,
  dataKey: Buffer,
  context: string,
  header: TableHeader,
  batches: AsyncIterable<Record<string, unknown>[]>,
  onBatch?: (rows: number) => void,
): Promise<StoredObjectSum> {
  let rows = 0;
  async function* lines() {
    yield `${JSON.stringify(header)}\n`;
    for await (const batch of batches) {
      let text = '';
      for (const row of batch) text += `${JSON.stringify(header.columns.map((c) => encodeValue(row[c.name])))}\n`;
      rows += batch.length;
      onBatch?.(rows);
      yield text;
    }
  }
  const sum = await putEncrypted(store, key, dataKey, context, Readable.from(lines(), { objectMode: false }));
  return { rows, ...sum };
}

/** Decrypted plaintext of a stored object; errors (StreamDecryptionError, zlib) on any tampering. */
export async function openEncrypted(store: ObjectStore, key: string, dataKey: Buffer, context: string): Promise<Readable> {
  const raw = await store.get(key);
  const decrypt = decryptStream(dataKey, context);
  const gunzip = createGunzip();
  raw.on('error', (e) => decrypt.destroy(e));
  decrypt.on('error', (e) => gunzip.destroy(e));
  return raw.pipe(decrypt).pipe(gunzip);
}

/** Reads a data file back: its header, then rows in batches (as objects ready for insertRows). */
export async function* readTable(
  store: ObjectStore,
  key: string,
  dataKey: Buffer,
  context: string,
  batchRows = 500,
): AsyncGenerator<{ header: TableHeader; rows: Record<string, unknown>[] }> {
  const plain = await openEncrypted(store, key, dataKey, context);
  const lines = createInterface({ input: plain, crlfDelay: Infinity });
  let header: TableHeader | undefined;
  let rows: Record<string, unknown>[] = [];
  for await (const line of lines) {
    if (line === '') continue;
    if (!header) {
      header = JSON.parse(line) as TableHeader;
      continue;
    }
    rows.push(decodeRow(header.columns, JSON.parse(line) as unknown[]));
    if (rows.length >= batchRows) {
      yield { header, rows };
      rows = [];
    }
  }
  if (!header) throw new Error(`${key} has no header line`);
  yield { header, rows };
}

/** Size and SHA-256 of a stored object, read as a stream. */
export async function hashObject(store: ObjectStore, key: string): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of await store.get(key)) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { bytes, sha256: hash.digest('hex') };
}
