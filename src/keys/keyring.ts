import { LRUCache } from 'lru-cache';
import type { MasterKeyProvider } from './master-key-provider.js';

/**
 * The process's view of the key hierarchy: the master key provider(s) and a
 * bounded cache of unwrapped keys. One per process; every function that
 * needs keys takes it explicitly. Erasure and rotation clear what they touch.
 */
export class Keyring {
  /** Unwrapped tenant keys by `${tenantId}:${version}`. */
  readonly tenantKeys: LRUCache<string, Buffer>;
  /** Unwrapped subject keys by `${tenantId}:${subjectId}`. */
  readonly subjectKeys: LRUCache<string, { key: Buffer; version: number }>;
  /** Each tenant's 'records' subject id, once known to be committed. */
  readonly recordsSubjects = new Map<string, string>();
  private instance: Buffer | undefined;

  constructor(
    readonly master: MasterKeyProvider,
    /** Master keys being rotated away from: still unwrap, never wrap. */
    readonly previous: MasterKeyProvider[] = [],
    cacheSize = 10_000,
  ) {
    this.tenantKeys = new LRUCache({ max: Math.max(16, Math.floor(cacheSize / 10)) });
    this.subjectKeys = new LRUCache({ max: cacheSize });
  }

  /** The provider that wrapped something, by the key id stored beside it. */
  providerFor(keyId: string): MasterKeyProvider | undefined {
    return [this.master, ...this.previous].find((p) => p.keyId === keyId);
  }

  setInstanceKey(key: Buffer): void {
    this.instance = key;
  }

  /** A random per-installation key, wrapped by the master key; local secrets (CSRF) derive from it. */
  get instanceKey(): Buffer {
    if (!this.instance) throw new Error('keys are not initialized: call initializeKeys first');
    return this.instance;
  }

  forgetSubject(tenantId: string, subjectId: string): void {
    this.subjectKeys.delete(`${tenantId}:${subjectId}`);
  }

  forgetTenant(tenantId: string): void {
    for (const key of [...this.tenantKeys.keys()]) if (key.startsWith(`${tenantId}:`)) this.tenantKeys.delete(key);
    for (const key of [...this.subjectKeys.keys()]) if (key.startsWith(`${tenantId}:`)) this.subjectKeys.delete(key);
    this.recordsSubjects.delete(tenantId);
  }
}
