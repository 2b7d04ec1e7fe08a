import { createHash, createHmac, createPrivateKey, createPublicKey, sign, timingSafeEqual, verify, type KeyObject } from 'node:crypto';
import type { Keyring } from '../keys/keyring.js';
import { deriveKey } from '../keys/secret-box.js';

/**
 * The tamper evidence of the audit trail (see docs/adr/0006-audit-chain.md):
 *
 * - every entry has a canonical encoding (a JSON array of its columns in a
 *   fixed order, times in microseconds) and a leaf hash of it;
 * - at insert, a MAC of the leaf hash under a per-tenant key derived from the
 *   instance key (which only the master key unwraps, so it is never in the
 *   database in the clear): a row written behind the application's back has
 *   no valid MAC;
 * - the sealer gives entries contiguous positions and chains them:
 *   head(n) = SHA-256(0x01 ‖ head(n-1) ‖ n as uint64 ‖ leaf(n));
 * - the head is signed with an Ed25519 key derived from the instance key, so
 *   an operator can keep it outside the database and check the log against it.
 */

export const GENESIS = Buffer.alloc(32);
const FORMAT = 1;

/** The columns of an entry that its hash covers. */
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
  ip: string | null;
  userAgent: string | null;
  /** Canonical JSON of the non-personal details, stored as text exactly as hashed. */
  details: string;
  valuesSubjectId: string | null;
  valuesEnc: Buffer | null;
}

export function canonicalEncoding(e: EntryContent): string {
  return JSON.stringify([
    FORMAT,
    e.tenantId,
    e.id,
    e.atMicros,
    e.actorKind,
    e.actorUserId,
    e.actorTokenId,
    e.actorLabel,
    e.action,
    e.entity,
    e.entityId,
    e.subjectIds,
    e.fields,
    e.requestId,
    e.ip,
    e.userAgent,
    e.details,
    e.valuesSubjectId,
    e.valuesEnc ? e.valuesEnc.toString('base64') : null,
  ]);
}

/** RFC 6962-style domain separation: 0x00 for leaves, 0x01 for chain steps. */
export function leafHash(e: EntryContent): Buffer {
  return createHash('sha256').update(Buffer.from([0])).update(canonicalEncoding(e), 'utf8').digest();
}

export function chainStep(previous: Buffer, position: number, leaf: Buffer): Buffer {
  const n = Buffer.alloc(8);
  n.writeBigUInt64BE(BigInt(position));
  return createHash('sha256').update(Buffer.from([1])).update(previous).update(n).update(leaf).digest();
}

/** Canonical JSON of a flat details object: keys sorted, so the same details always hash alike. */
export function canonicalDetails(details: Record<string, unknown> | undefined): string {
  if (!details) return '{}';
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(details).sort()) if (details[key] !== undefined) sorted[key] = details[key];
  return JSON.stringify(sorted);
}

// --- keys derived from the instance key ---------------------------------------------------

const macKeys = new WeakMap<Keyring, Map<string, Buffer>>();

function macKey(keyring: Keyring, tenantId: string): Buffer {
  let perTenant = macKeys.get(keyring);
  if (!perTenant) macKeys.set(keyring, (perTenant = new Map()));
  let key = perTenant.get(tenantId);
  if (!key) perTenant.set(tenantId, (key = deriveKey(keyring.instanceKey, `audit/mac/${tenantId}`)));
  return key;
}

export function entryMac(keyring: Keyring, tenantId: string, leaf: Buffer): Buffer {
  return createHmac('sha256', macKey(keyring, tenantId)).update(leaf).digest();
}

export function macMatches(keyring: Keyring, tenantId: string, leaf: Buffer, mac: Buffer | null): boolean {
  if (!mac || mac.length !== 32) return false;
  return timingSafeEqual(entryMac(keyring, tenantId, leaf), mac);
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
  return Buffer.from(['custodia-audit-checkpoint/1', h.kind, h.tenantId, String(h.size), h.headHash.toString('hex'), h.lastId ?? '-'].join('\n'));
}

export function signHead(keyring: Keyring, head: SignedHead): Buffer {
  return sign(null, signedText(head), signingKey(keyring).privateKey);
}

export function headSignatureValid(publicKey: Buffer, head: SignedHead, signature: Buffer | null): boolean {
  if (!signature || signature.length !== 64 || publicKey.length !== 32) return false;
  const key = createPublicKey({ key: Buffer.concat([SPKI_ED25519, publicKey]), format: 'der', type: 'spki' });
  return verify(null, signedText(head), key, signature);
}
