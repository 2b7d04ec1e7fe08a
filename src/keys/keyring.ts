import { LRUCache } from 'lru-cache';
import { fieldKey } from './field-crypto.js';
import type { MasterKeyProvider } from './master-key-provider.js';

const KEY_BYTES = 32;
// A slot holds the subject key and, beside it, its field key (HKDF, derived once when cached): a list
// page of 50 people used to derive 50 field keys per request.
const SLOT_BYTES = 2 * KEY_BYTES;
// A shredded subject is not cached again for this long: a read that began
// before the erasure committed could otherwise put its key back.
const FORGOTTEN_MS = 60_000;

/**
 * Unwrapped subject keys (each with its derived field key), LRU, held in one
 * Buffer of `max + 1` slots of 64 bytes. Small Buffers come out of Node's shared 8 KiB pool and each one kept
 * alive pins its whole slab: measured, 100,000 keys cached that way held
 * ~4.4 KiB of external memory apiece, and one Buffer object per key costs
 * ~0.9 KiB of heap besides. Here a key costs 32 bytes of the slab plus its
 * map entry: ~155 bytes in all (measured: 200,000 keys in 29 MiB; 32 bytes
 * more with the field key); `get`
 * hands out a copy, so a slot reused after an eviction never changes a key a
 * caller still holds.
 */
export class SubjectKeyCache {
  private readonly slab: Buffer;
  private readonly free: number[] = [];
  private nextSlot = 0;
  private readonly slots: LRUCache<string, number>;
  private readonly forgotten = new Map<string, number>();
  private prunedAt = 0;

  constructor(readonly max: number) {
    this.slab = Buffer.alloc((max + 1) * SLOT_BYTES);
    this.slots = new LRUCache<string, number>({
      max,
      dispose: (slot) => {
        this.slab.fill(0, slot * SLOT_BYTES, (slot + 1) * SLOT_BYTES);
        this.free.push(slot);
      },
    });
  }

  get size(): number {
    return this.slots.size;
  }

  get(tenantId: string, subjectId: string): Buffer | undefined {
    const slot = this.slots.get(`${tenantId}:${subjectId}`);
    if (slot === undefined) return undefined;
    return Buffer.from(this.slab.subarray(slot * SLOT_BYTES, slot * SLOT_BYTES + KEY_BYTES));
  }

  /** The field key (`fieldKey`) of a cached subject key, without deriving it again. */
  getFieldKey(tenantId: string, subjectId: string): Buffer | undefined {
    const slot = this.slots.get(`${tenantId}:${subjectId}`);
    if (slot === undefined) return undefined;
    return Buffer.from(this.slab.subarray(slot * SLOT_BYTES + KEY_BYTES, (slot + 1) * SLOT_BYTES));
  }

  has(tenantId: string, subjectId: string): boolean {
    return this.slots.has(`${tenantId}:${subjectId}`);
  }

  /** Remembers a key, unless its subject (or tenant) was shredded moments ago. */
  set(tenantId: string, subjectId: string, key: Buffer): void {
    if (key.length !== KEY_BYTES) throw new Error('a subject key is 32 bytes');
    const id = `${tenantId}:${subjectId}`;
    if (this.isForgotten(tenantId, id)) return;
    const derived = fieldKey(key);
    const existing = this.slots.peek(id);
    if (existing !== undefined) {
      key.copy(this.slab, existing * SLOT_BYTES);
      derived.copy(this.slab, existing * SLOT_BYTES + KEY_BYTES);
      return;
    }
    // max + 1 slots: this one is free before `set` evicts the oldest, whose slot then becomes the spare.
    const slot = this.free.pop() ?? this.nextSlot++;
    key.copy(this.slab, slot * SLOT_BYTES);
    derived.copy(this.slab, slot * SLOT_BYTES + KEY_BYTES);
    this.slots.set(id, slot);
  }

  forgetSubject(tenantId: string, subjectId: string): void {
    const id = `${tenantId}:${subjectId}`;
    this.forgotten.set(id, Date.now() + FORGOTTEN_MS);
    this.slots.delete(id);
  }

  forgetTenant(tenantId: string): void {
    this.forgotten.set(tenantId, Date.now() + FORGOTTEN_MS);
    for (const id of [...this.slots.keys()]) if (id.startsWith(`${tenantId}:`)) this.slots.delete(id);
  }

  private isForgotten(tenantId: string, id: string): boolean {
    if (this.forgotten.size === 0) return false;
    const now = Date.now();
    if (now - this.prunedAt > 1_000) {
      this.prunedAt = now;
      for (const [k, until] of this.forgotten) if (until <= now) this.forgotten.delete(k);
    }
    return (this.forgotten.get(id) ?? 0) > now || (this.forgotten.get(tenantId) ?? 0) > now;
  }
}

/**
 * The process's view of the key hierarchy: the master key provider(s) and a
 * bounded cache of unwrapped keys. One per process; every function that
 * needs keys takes it explicitly. Erasure and rotation clear what they touch.
 */
export class Keyring {
  /** Unwrapped tenant keys by `${tenantId}:${version}`. */
  readonly tenantKeys: LRUCache<string, Buffer>;
  /** Unwrapped subject keys. */
  readonly subjectKeys: SubjectKeyCache;
  /** Each tenant's 'records' subject id, once known to be committed. */
  readonly recordsSubjects = new Map<string, string>();
  private instance: Buffer | undefined;

  constructor(
    readonly master: MasterKeyProvider,
    /** Master keys being rotated away from: still unwrap, never wrap. */
    readonly previous: MasterKeyProvider[] = [],
    cacheSize = 200_000,
  ) {
    this.tenantKeys = new LRUCache({ max: 1_000 });
    this.subjectKeys = new SubjectKeyCache(cacheSize);
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
    this.subjectKeys.forgetSubject(tenantId, subjectId);
  }

  forgetTenant(tenantId: string): void {
    for (const key of [...this.tenantKeys.keys()]) if (key.startsWith(`${tenantId}:`)) this.tenantKeys.delete(key);
    this.subjectKeys.forgetTenant(tenantId);
    this.recordsSubjects.delete(tenantId);
  }
}
