import type { Readable } from 'node:stream';

/**
 * Where large encrypted bytes live (file versions, backups): a directory or
 * S3-compatible object storage, behind one interface. What goes in is
 * already encrypted; a store never sees plaintext or keys.
 *
 * Keys are `/`-separated paths of [A-Za-z0-9._-] segments (no `..`), the same
 * on every store.
 */
export interface StoredObject {
  key: string;
  size: number;
  modifiedAt: Date;
}

export interface ObjectStore {
  /** For logs and `custodia backup list`: `dir:/path` or `s3://bucket/prefix` (never a secret). */
  readonly description: string;
  /** Streams `body` to `key`; the object appears whole or not at all. */
  put(key: string, body: Readable): Promise<{ size: number }>;
  /** The object's bytes, or bytes [start, end] (inclusive) of it. Throws ObjectNotFoundError. */
  get(key: string, range?: { start: number; end: number }): Promise<Readable>;
  /** Size and time of an object, or undefined. */
  head(key: string): Promise<StoredObject | undefined>;
  /** Every object whose key starts with `prefix`, in key order. */
  list(prefix: string): AsyncIterable<StoredObject>;
  /** Removes an object; removing a missing one is not an error. */
  delete(key: string): Promise<void>;
}

export class ObjectNotFoundError extends Error {
  constructor(readonly key: string) {
    super(`no stored object ${key}`);
    this.name = 'ObjectNotFoundError';
  }
}

const SEGMENT = /^[A-Za-z0-9._-]+$/;

/** Throws on a key that could escape its store (`..`, absolute, odd characters). */
export function assertObjectKey(key: string): void {
  const segments = key.split('/');
  if (key.length === 0 || key.length > 900 || segments.some((s) => !SEGMENT.test(s) || s === '.' || s === '..')) {
    throw new Error(`invalid object key ${JSON.stringify(key)}`);
  }
}

/** Reads a whole (small) object: manifests, tombstones. */
export async function readObject(store: ObjectStore, key: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of await store.get(key)) parts.push(part as Buffer);
  return Buffer.concat(parts);
}
