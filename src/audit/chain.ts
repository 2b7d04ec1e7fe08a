import { createPrivateKey, createPublicKey, createSecretKey, hash, sign, timingSafeEqual, verify, type KeyObject } from 'node:crypto';
import type { Keyring } from '../keys/keyring.js';
import { deriveKey } from '../keys/secret-box.js';

/**
 * The tamper evidence of the audit trail (see docs/adr/0006-audit-chain.md):
 *
 * - every entry has a canonical encoding: PostgreSQL's binary form of the
 *   row of its columns (`record_send`), so the database can hand the verifier
 *   the very bytes that were MAC'd, without any parsing in between;
 * - at insert, an HMAC-SHA-256 of the encoding under a per-tenant key derived
 *   from the instance key (which only the master key unwraps, so it is never
 *   in the database in the clear): a row written behind the application's
 *   back has no valid MAC;
 * - the sealer gives entries contiguous positions and chains them:
 *   head(n) = SHA-256(0x01 ‖ head(n-1) ‖ n as uint64 ‖ encoding(n)), so the
 *   chain commits to the entries themselves and can be checked without any
 *   secret;
 * - the head is signed with an Ed25519 key derived from the instance key, so
 *   an operator can keep it outside the database and check the log against it.
 */

export const GENESIS = Buffer.alloc(32);

/**
 * The first column of every encoding: a change of the encoding gets a new number.
 * 3: where a request came from (IP, user agent) is sealed in origin_enc; 2: it was
 * plaintext (ip, user_agent), as entries sealed before migration 0013 still hold it.
 */
export const ENCODING_FORMAT = 3;
export const LEGACY_ENCODING_FORMAT = 2;

/** The columns of an entry that its encoding covers. */
export interface EntryContent {
  tenantId: string;
  id: string;
  /** Microseconds since the epoch. */
  atMicros: number;
  actorKind: string;
  actorUserId: string | null;
  actorTokenId: string | null;
  actorLabel: string | null;
  action: string;
  entity: string | null;
  entityId: string | null;
  subjectIds: readonly string[];
  fields: readonly string[];
  requestId: string | null;
  /** ENCODING_FORMAT, or LEGACY_ENCODING_FORMAT for an entry written before origins were sealed. */
  format: number;
  /** Whose key seals the origin (format 3). */
  originSubjectId: string | null;
  /** The sealed `{ ip, userAgent }` of the request (format 3). */
  originEnc: Buffer | null;
  /** Plaintext origin of a legacy (format 2) entry; always null in format 3. */
  ip: string | null;
  userAgent: string | null;
  /** Canonical JSON of the non-personal details, stored as text exactly as hashed. */
  details: string;
  valuesSubjectId: string | null;
  valuesEnc: Buffer | null;
}

/**
 * The row whose `record_send` is the encoding, in SQL; `encodeEntry` writes
 * the same bytes from an EntryContent. The format is the stored
 * encoding_format, so changing it changes the bytes the MAC covers.
 */
export const ENCODED_ROW =
  'row(encoding_format::int4, tenant_id, id, at, actor_kind, actor_user_id, actor_token_id, actor_label, action, entity, entity_id, ' +
  'subject_ids, fields, request_id, origin_subject_id, origin_enc, details, values_subject_id, values_enc)';

/** The row of a legacy entry (format 2, sealed before migration 0013): its origin in plaintext. */
export const LEGACY_ENCODED_ROW =
  `row(${LEGACY_ENCODING_FORMAT}::int4, tenant_id, id, at, actor_kind, actor_user_id, actor_token_id, actor_label, action, entity, entity_id, ` +
  'subject_ids, fields, request_id, ip, user_agent, details, values_subject_id, values_enc)';

/** Each entry's encoding, in SQL (audit.repository.ts selects it): the layout its format says. */
export const ENCODING_SQL =
  `case when encoding_format = ${LEGACY_ENCODING_FORMAT} then pg_catalog.record_send(${LEGACY_ENCODED_ROW}) ` +
  `else pg_catalog.record_send(${ENCODED_ROW}) end`;

// Type OIDs, as record_send and array_send write them.
const INT4 = 23;
const UUID = 2950;
const TIMESTAMPTZ = 1184;
const TEXT = 25;
const UUID_ARRAY = 2951;
const TEXT_ARRAY = 1009;
const BYTEA = 17;
const COLUMNS = 19;
// PostgreSQL counts time in microseconds from 2000-01-01 UTC.
const POSTGRES_EPOCH_MICROS = 946_684_800_000_000;

function uuidHex(value: string): string {
  const hex = value.replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new TypeError(`not a UUID: ${value}`);
  return hex;
}

const textSize = (value: string | null) => (value === null ? 0 : Buffer.byteLength(value, 'utf8'));
const arraySize = (items: readonly string[], itemSize: (item: string) => number) =>
  12 + (items.length > 0 ? 8 : 0) + items.reduce((sum, item) => sum + 4 + itemSize(item), 0);

/**
 * The canonical encoding of an entry: the bytes of PostgreSQL's `record_send`
 * for ENCODED_ROW — the column count, then for each column its type OID, its
 * length (-1 for null) and its binary value (uuid: 16 bytes; timestamptz:
 * int8 microseconds since 2000; text: UTF-8; arrays: `array_send`).
 */
export function encodeEntry(e: EntryContent): Buffer {
  const legacy = e.format === LEGACY_ENCODING_FORMAT;
  const uuids = [e.tenantId, e.id, e.actorUserId, e.actorTokenId, e.entityId, e.valuesSubjectId, legacy ? null : e.originSubjectId].filter(
    (u) => u !== null,
  ).length;
  const texts = [e.actorKind, e.actorLabel, e.action, e.entity, e.requestId, e.details, ...(legacy ? [e.ip, e.userAgent] : [])];
  const size =
    4 +
    COLUMNS * 8 +
    4 +
    uuids * 16 +
    8 +
    texts.reduce((sum, t) => sum + textSize(t), 0) +
    arraySize(e.subjectIds, () => 16) +
    arraySize(e.fields, (f) => Buffer.byteLength(f, 'utf8')) +
    (legacy ? 0 : (e.originEnc?.length ?? 0)) +
    (e.valuesEnc?.length ?? 0);
  const buf = Buffer.allocUnsafe(size);
  let at = buf.writeInt32BE(COLUMNS, 0);
  const head = (oid: number, length: number) => {
    at = buf.writeInt32BE(oid, at);
    at = buf.writeInt32BE(length, at);
  };
  const uuid = (value: string | null) => {
    if (value === null) return head(UUID, -1);
    head(UUID, 16);
    at += buf.write(uuidHex(value), at, 16, 'hex');
  };
  const text = (value: string | null) => {
    if (value === null) return head(TEXT, -1);
    const length = Buffer.byteLength(value, 'utf8');
    head(TEXT, length);
    at += buf.write(value, at, length, 'utf8');
  };
  const bytea = (value: Buffer | null) => {
    if (value === null) return head(BYTEA, -1);
    head(BYTEA, value.length);
    at += value.copy(buf, at);
  };
  const array = (oid: number, elementOid: number, items: readonly string[], write: (item: string) => void) => {
    head(oid, arraySize(items, elementOid === UUID ? () => 16 : (f) => Buffer.byteLength(f, 'utf8')));
    at = buf.writeInt32BE(items.length > 0 ? 1 : 0, at); // dimensions
    at = buf.writeInt32BE(0, at); // no nulls
    at = buf.writeInt32BE(elementOid, at);
    if (items.length > 0) {
      at = buf.writeInt32BE(items.length, at);
      at = buf.writeInt32BE(1, at); // lower bound
    }
    for (const item of items) write(item);
  };

  head(INT4, 4);
  at = buf.writeInt32BE(e.format, at);
  uuid(e.tenantId);
  uuid(e.id);
  head(TIMESTAMPTZ, 8);
  at = buf.writeBigInt64BE(BigInt(e.atMicros - POSTGRES_EPOCH_MICROS), at);
  text(e.actorKind);
  uuid(e.actorUserId);
  uuid(e.actorTokenId);
  text(e.actorLabel);
  text(e.action);
  text(e.entity);
  uuid(e.entityId);
  array(UUID_ARRAY, UUID, e.subjectIds, (s) => {
    at = buf.writeInt32BE(16, at);
    at += buf.write(uuidHex(s), at, 16, 'hex');
  });
  array(TEXT_ARRAY, TEXT, e.fields, (f) => {
    const length = Buffer.byteLength(f, 'utf8');
    at = buf.writeInt32BE(length, at);
    at += buf.write(f, at, length, 'utf8');
  });
  text(e.requestId);
  if (legacy) {
    text(e.ip);
    text(e.userAgent);
  } else {
    uuid(e.originSubjectId);
    bytea(e.originEnc);
  }
  text(e.details);
  uuid(e.valuesSubjectId);
  bytea(e.valuesEnc);
  if (at !== size) throw new Error(`audit entry encoding: wrote ${at} of ${size} bytes`);
  return buf;
}

/** Canonical JSON of a flat details object: keys sorted, so the same details always hash alike. */
export function canonicalDetails(details: Record<string, unknown> | undefined): string {
  if (!details) return '{}';
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(details).sort()) if (details[key] !== undefined) sorted[key] = details[key];
  return JSON.stringify(sorted);
}

/**
 * The chain as it is walked: `next(n, encoding)` computes head(n) from the
 * current head. One scratch buffer holds each step's input, so a step is one
 * one-shot SHA-256 call (node:crypto's per-call cost dominates at this size).
 */
export class ChainWalker {
  private scratch = Buffer.alloc(41 + 1024);

  constructor(public head: Buffer = GENESIS) {}

  /** Advances the chain by the entry at `position` whose encoding is `source[start, end)`; returns the new head. */
  next(position: number, source: Buffer, start = 0, end = source.length): Buffer {
    const length = end - start;
    if (this.scratch.length < 41 + length) this.scratch = Buffer.alloc(2 * (41 + length));
    const s = this.scratch;
    s[0] = 1;
    this.head.copy(s, 1);
    s.writeUInt32BE(Math.floor(position / 2 ** 32), 33);
    s.writeUInt32BE(position >>> 0, 37);
    source.copy(s, 41, start, end);
    this.head = hash('sha256', s.subarray(0, 41 + length), 'buffer');
    return this.head;
  }
}

// --- keys derived from the instance key ---------------------------------------------------

const macKeys = new WeakMap<Keyring, Map<string, KeyObject>>();

/** The tenant's MAC key (HKDF of the instance key), as a KeyObject: HMACs with it skip importing the key each time. */
export function macKey(keyring: Keyring, tenantId: string): KeyObject {
  let perTenant = macKeys.get(keyring);
  if (!perTenant) macKeys.set(keyring, (perTenant = new Map()));
  let key = perTenant.get(tenantId);
  if (!key) perTenant.set(tenantId, (key = createSecretKey(deriveKey(keyring.instanceKey, `audit/mac/${tenantId}`))));
  return key;
}

const macCalculators = new WeakMap<Keyring, Map<string, MacVerifier>>();

/** HMAC-SHA-256 of an entry's encoding under the tenant's key (one reused calculator per tenant: every read records an entry). */
export function entryMac(keyring: Keyring, tenantId: string, entry: EntryContent | Buffer): Buffer {
  let perTenant = macCalculators.get(keyring);
  if (!perTenant) macCalculators.set(keyring, (perTenant = new Map()));
  let calculator = perTenant.get(tenantId);
  if (!calculator) perTenant.set(tenantId, (calculator = macVerifier(keyring, tenantId)));
  return calculator.mac(Buffer.isBuffer(entry) ? entry : encodeEntry(entry));
}

/**
 * HMAC-SHA-256 under one key for many messages, as RFC 2104 defines it —
 * SHA-256((K ⊕ opad) ‖ SHA-256((K ⊕ ipad) ‖ m)) — with both hashes one-shot
 * calls on reused buffers. Measured in verification, node:crypto's Hmac
 * object (key set-up, stream plumbing, garbage) cost about twice as much per
 * entry; the test checks it against createHmac.
 */
export class MacVerifier {
  private inner: Buffer;
  private readonly outer = Buffer.alloc(96);

  constructor(key: Buffer) {
    if (key.length > 64) throw new RangeError('HMAC keys longer than a block are hashed first; not needed here');
    this.inner = Buffer.alloc(64 + 1024);
    for (let i = 0; i < 64; i++) {
      this.inner[i] = (key[i] ?? 0) ^ 0x36;
      this.outer[i] = (key[i] ?? 0) ^ 0x5c;
    }
  }

  /** The MAC of `source[start, end)`. */
  mac(source: Buffer, start = 0, end = source.length): Buffer {
    const length = end - start;
    if (this.inner.length < 64 + length) {
      const grown = Buffer.alloc(2 * (64 + length));
      this.inner.copy(grown, 0, 0, 64);
      this.inner = grown;
    }
    source.copy(this.inner, 64, start, end);
    hash('sha256', this.inner.subarray(0, 64 + length), 'buffer').copy(this.outer, 64);
    return hash('sha256', this.outer, 'buffer');
  }
}

/** A verifier of the tenant's MACs (the key stays in this process). */
export function macVerifier(keyring: Keyring, tenantId: string): MacVerifier {
  return new MacVerifier(macKey(keyring, tenantId).export());
}

export function macMatches(keyring: Keyring, tenantId: string, encoding: Buffer, mac: Buffer | null): boolean {
  if (!mac || mac.length !== 32) return false;
  return timingSafeEqual(entryMac(keyring, tenantId, encoding), mac);
}

// PKCS#8 and SPKI prefixes of a raw Ed25519 key (RFC 8410).
const PKCS8_ED25519 = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_ED25519 = Buffer.from('302a300506032b6570032100', 'hex');
const signingKeys = new WeakMap<Keyring, { privateKey: KeyObject; publicKey: Buffer }>();

/** The installation's checkpoint signing key: Ed25519 from a seed derived from the instance key. */
export function signingKey(keyring: Keyring): { privateKey: KeyObject; publicKey: Buffer } {
  let pair = signingKeys.get(keyring);
  if (!pair) {
    const seed = deriveKey(keyring.instanceKey, 'audit/checkpoint-signing');
    const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, seed]), format: 'der', type: 'pkcs8' });
    const publicKey = createPublicKey(privateKey).export({ format: 'der', type: 'spki' }).subarray(SPKI_ED25519.length);
    pair = { privateKey, publicKey: Buffer.from(publicKey) };
    signingKeys.set(keyring, pair);
  }
  return pair;
}

/** What a checkpoint signature covers: the tenant, the number of entries, the head hash and the last entry. */
export interface SignedHead {
  tenantId: string;
  size: number;
  headHash: Buffer;
  lastId: string | null;
  /** The anchor kind: 'head' for the current head, 'anchor' for the state before archived entries. */
  kind: 'head' | 'anchor';
}

function signedText(h: SignedHead): Buffer {
  return Buffer.from(
    ['custodia-audit-checkpoint/1', h.kind, h.tenantId, String(h.size), h.headHash.toString('hex'), h.lastId ?? '-'].join('\n'),
  );
}

export function signHead(keyring: Keyring, head: SignedHead): Buffer {
  return sign(null, signedText(head), signingKey(keyring).privateKey);
}

export function headSignatureValid(publicKey: Buffer, head: SignedHead, signature: Buffer | null): boolean {
  if (!signature || signature.length !== 64 || publicKey.length !== 32) return false;
  const key = createPublicKey({ key: Buffer.concat([SPKI_ED25519, publicKey]), format: 'der', type: 'spki' });
  return verify(null, signedText(head), key, signature);
}
