import { createHmac } from 'node:crypto';
import { open, seal } from './secret-box.js';

/**
 * Where the master key lives. The master key only ever wraps and unwraps
 * other keys (the instance key and tenant keys); with a KMS it never enters
 * this process at all.
 */
export interface MasterKeyProvider {
  /** Stable identifier of this key (not secret): stored beside what it wrapped, so rotation knows what to re-wrap. */
  readonly keyId: string;
  /** A short description for logs and `custodia keys status` (never the key). */
  readonly description: string;
  wrap(key: Buffer, context: string): Promise<Buffer>;
  /** Throws when the key or context does not match: a wrong master key is never silent. */
  unwrap(wrapped: Buffer, context: string): Promise<Buffer>;
}

/** A 32-byte key held in memory: the `file` and `env` providers. */
export class LocalMasterKey implements MasterKeyProvider {
  readonly keyId: string;

  constructor(
    private readonly key: Buffer,
    readonly description: string,
  ) {
    if (key.length !== 32) throw new Error('a master key is 32 bytes');
    // An identifier derived one-way from the key: equal keys, equal ids.
    this.keyId = `local:${createHmac('sha256', key).update('custodia/master-key-id').digest('hex').slice(0, 16)}`;
  }

  async wrap(key: Buffer, context: string): Promise<Buffer> {
    return seal(this.key, key, `wrap|${context}`);
  }

  async unwrap(wrapped: Buffer, context: string): Promise<Buffer> {
    return open(this.key, wrapped, `wrap|${context}`);
  }
}
