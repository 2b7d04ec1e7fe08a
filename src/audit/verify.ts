import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Keyring } from '../keys/keyring.js';
import { AuditError } from './audit.errors.js';
import * as repo from './audit.repository.js';
import { ChainWalker, GENESIS, headSignatureValid, macVerifier, signingKey } from './chain.js';
import { sealTenant } from './sealer.js';

/**
 * Verification of a tenant's trail: every entry's MAC, the chain from the
 * (signed) archive anchor to the (signed) head with contiguous positions, and
 * optionally a head saved outside the database. Reads one snapshot and
 * streams it (binary COPY on PostgreSQL), so a million entries never sit in
 * memory; per entry it costs one HMAC and one SHA-256 call over the bytes
 * PostgreSQL sent, with no parsing or copying in between.
 */

export const CHECKPOINT_FORMAT = 'custodia-audit-checkpoint/1';

export interface Checkpoint {
  format: typeof CHECKPOINT_FORMAT;
  tenantId: string;
  size: number;
  headHash: string;
  lastId: string | null;
  signedAt: string | null;
  /** Ed25519 public key (raw, base64) that signed it. */
  publicKey: string;
  signature: string;
}

export interface Problem {
  /** Chain position, when the entry has one. */
  position: number | null;
  id: string | null;
  problem: string;
}

export interface VerifyReport {
  tenantId: string;
  ok: boolean;
  /** Entries checked (sealed, after the archive anchor). */
  entries: number;
  sealedNow: number;
  archivedUpTo: number;
  head: { size: number; headHash: string; lastId: string | null };
  publicKey: string;
  checkpoint: 'matched' | 'not_given' | 'before_archive';
  /** The first problems found, in chain order; the first one is the first bad entry. */
  problems: Problem[];
}

const MAX_PROBLEMS = 20;

export function parseCheckpoint(text: string): Checkpoint {
  let value: Partial<Checkpoint> | undefined;
  try {
    value = JSON.parse(text) as Partial<Checkpoint>;
  } catch {
    throw new AuditError('invalid_checkpoint', 'the checkpoint is not JSON; give what `custodia audit checkpoint` printed');
  }
  if (
    !value ||
    value.format !== CHECKPOINT_FORMAT ||
    typeof value.tenantId !== 'string' ||
    !UUID.test(value.tenantId) ||
    !Number.isSafeInteger(value.size) ||
    typeof value.headHash !== 'string' ||
    !/^[0-9a-f]{64}$/.test(value.headHash) ||
    (value.lastId !== null && (typeof value.lastId !== 'string' || !UUID.test(value.lastId))) ||
    typeof value.publicKey !== 'string' ||
    typeof value.signature !== 'string'
  ) {
    throw new AuditError('invalid_checkpoint', `the checkpoint lacks fields of ${CHECKPOINT_FORMAT}`);
  }
  if ((value.size as number) < 0)
    throw new AuditError('invalid_checkpoint', 'a checkpoint covers zero or more entries, not a negative number');
  // A malformed key or signature is a broken file, not evidence of tampering.
  if (base64Bytes(value.publicKey) !== 32)
    throw new AuditError('invalid_checkpoint', 'the checkpoint’s public key is not a base64 Ed25519 key');
  const signatureBytes = base64Bytes(value.signature);
  if (!(signatureBytes === 64 || (value.signature === '' && value.size === 0))) {
    throw new AuditError('invalid_checkpoint', 'the checkpoint’s signature is not a base64 Ed25519 signature');
  }
  return value as Checkpoint;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The length of strict base64 (what Buffer#toString('base64') writes), or -1. */
function base64Bytes(text: string): number {
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? bytes.length : -1;
}

/** The tenant's current signed head, to keep outside the database. Seals pending entries first. */
export async function currentCheckpoint(db: Kysely<Database>, keyring: Keyring, tenantId: string): Promise<Checkpoint> {
  await sealTenant(db, keyring, tenantId, { wait: true });
  const head = (await repo.findHead(db, tenantId))!;
  return {
    format: CHECKPOINT_FORMAT,
    tenantId,
    size: Number(head.size),
    headHash: head.head_hash.toString('hex'),
    lastId: head.last_id,
    signedAt: head.signed_at ? head.signed_at.toISOString() : null,
    publicKey: signingKey(keyring).publicKey.toString('base64'),
    signature: head.signature ? head.signature.toString('base64') : '',
  };
}

/** Whether `a[aAt, aAt + length)` equals `b[bAt, …)`: a loop beats a native call for 16 or 32 bytes. */
function sameBytes(a: Buffer, aAt: number, b: Buffer, bAt: number, length: number): boolean {
  for (let i = 0; i < length; i++) if (a[aAt + i] !== b[bAt + i]) return false;
  return true;
}

const uuidAt = (buf: Buffer, at: number): string => {
  const hex = buf.toString('hex', at, at + 16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
};

export async function verifyTenant(
  db: Kysely<Database>,
  keyring: Keyring,
  tenantId: string,
  options: { checkpoint?: Checkpoint; seal?: boolean } = {},
): Promise<VerifyReport> {
  const problems: Problem[] = [];
  const report = (p: Problem) => {
    if (problems.length < MAX_PROBLEMS) problems.push(p);
  };
  const publicKey = signingKey(keyring).publicKey;
  const sealedNow = options.seal === false ? 0 : (await sealTenant(db, keyring, tenantId, { wait: true })).sealed;
  return repo.inChainSnapshot(db, async (snapshot) => {
    const head = await repo.findHead(snapshot.db, tenantId);
    const size = head ? Number(head.size) : 0;
    const headHash = head?.head_hash ?? GENESIS;
    const anchorSeq = head ? Number(head.anchor_seq) : 0;

    if (
      head &&
      size > 0 &&
      !headSignatureValid(publicKey, { kind: 'head', tenantId, size, headHash, lastId: head.last_id }, head.signature)
    ) {
      report({ position: size, id: head.last_id, problem: 'the signed head was altered: its signature does not match' });
    }
    if (head && anchorSeq > 0) {
      const anchor = { kind: 'anchor' as const, tenantId, size: anchorSeq, headHash: head.anchor_hash, lastId: head.anchor_id };
      if (!headSignatureValid(publicKey, anchor, head.anchor_signature)) {
        report({ position: anchorSeq, id: head.anchor_id, problem: 'the archive anchor was altered: its signature does not match' });
      }
    }

    const saved = options.checkpoint;
    const savedHash = saved ? Buffer.from(saved.headHash, 'hex') : null;
    let checkpoint: VerifyReport['checkpoint'] = 'not_given';
    if (saved) {
      if (saved.tenantId !== tenantId) throw new AuditError('invalid_checkpoint', 'the checkpoint belongs to another tenant');
      const savedHead = { kind: 'head' as const, tenantId, size: saved.size, headHash: savedHash!, lastId: saved.lastId };
      if (saved.publicKey !== publicKey.toString('base64')) {
        report({ position: null, id: null, problem: 'the saved checkpoint was signed by another key than this installation’s' });
      } else if (!headSignatureValid(publicKey, savedHead, Buffer.from(saved.signature, 'base64'))) {
        report({ position: null, id: null, problem: 'the saved checkpoint’s signature does not match its contents' });
      }
      if (saved.size < anchorSeq) checkpoint = 'before_archive';
      if (saved.size === 0) checkpoint = 'matched';
      else if (saved.size === anchorSeq && head) {
        // The saved head is exactly where the archive was cut: the signed anchor must be it.
        if (head.anchor_hash.equals(savedHead.headHash) && head.anchor_id === saved.lastId) checkpoint = 'matched';
        else
          report({
            position: anchorSeq,
            id: head.anchor_id,
            problem: `the log up to entry ${anchorSeq} (now archived) differs from the saved checkpoint: it was rewritten`,
          });
      }
    }

    // Walk the chain from the anchor. Ids stay bytes (16) unless a problem names one.
    const macs = macVerifier(keyring, tenantId);
    const chain = new ChainWalker(head?.anchor_hash ?? GENESIS);
    const lastId = Buffer.alloc(16);
    let hasLastId = !!head?.anchor_id;
    if (head?.anchor_id) lastId.write(head.anchor_id.replace(/-/g, ''), 'hex');
    let position = anchorSeq;
    let checked = 0;
    const idOf = (buf: Buffer, at: number) => (at < 0 ? null : uuidAt(buf, at));
    await snapshot.sealedEntries(tenantId, anchorSeq, (row) => {
      const { buf, seq } = row;
      const encodingEnd = row.encodingAt + row.encodingLength;
      const mac = macs.mac(buf, row.encodingAt, encodingEnd);
      const macOk = row.macLength === 32 && sameBytes(mac, 0, buf, row.macAt, 32);
      const inPlace = seq === position + 1;
      const prevMatches = row.prevIdAt < 0 ? !hasLastId : hasLastId && sameBytes(lastId, 0, buf, row.prevIdAt, 16);
      if (!inPlace) {
        const prevId = idOf(buf, row.prevIdAt);
        report({
          position: position + 1,
          id: prevId,
          problem:
            seq === position + 2
              ? `entry ${position + 1}${prevId ? ` (id ${prevId})` : ''} was removed: entry ${seq} follows entry ${position}`
              : `entries ${position + 1} to ${seq - 1} were removed (the last of them was id ${prevId ?? 'unknown'})`,
        });
      }
      if (!macOk) {
        const id = uuidAt(buf, row.idAt);
        report({
          position: seq,
          id,
          problem: `entry ${seq} (id ${id}) was changed or written outside Custodia: its MAC does not match its contents`,
        });
      } else if (inPlace && !prevMatches) {
        const id = uuidAt(buf, row.idAt);
        const after = hasLastId ? uuidAt(lastId, 0) : null;
        report({
          position: seq,
          id,
          problem: `entry ${seq} (id ${id}) is out of place: it was sealed after ${idOf(buf, row.prevIdAt) ?? 'the start'}, not after ${after ?? 'the start'}`,
        });
      }
      const expected = chain.next(seq, buf, row.encodingAt, encodingEnd);
      const follows = row.chainLength === 32 && sameBytes(expected, 0, buf, row.chainAt, 32);
      if (!follows && inPlace && macOk && prevMatches) {
        const id = uuidAt(buf, row.idAt);
        report({ position: seq, id, problem: `entry ${seq} (id ${id}) does not follow from the chain: reordered or rewritten` });
      }
      // After a problem, carry on from what the entry claims, so later problems are found too.
      if (!follows && row.chainLength >= 0) chain.head = Buffer.from(buf.subarray(row.chainAt, row.chainAt + row.chainLength));
      position = seq;
      buf.copy(lastId, 0, row.idAt, row.idAt + 16);
      hasLastId = true;
      checked += 1;
      if (saved && seq === saved.size) {
        const id = uuidAt(buf, row.idAt);
        if (chain.head.equals(savedHash!) && id === saved.lastId) checkpoint = 'matched';
        else report({ position: seq, id, problem: `the log up to entry ${seq} differs from the saved checkpoint: it was rewritten` });
      }
    });
    const hash = chain.head;

    if (position < size) {
      const tailId = head?.last_id ?? null;
      report({
        position: position + 1,
        id: position + 1 === size ? tailId : null,
        problem:
          position + 1 === size
            ? `entry ${size}${tailId ? ` (id ${tailId})` : ''} was removed from the end: the signed head covers ${size} entries`
            : `entries ${position + 1} to ${size} were removed from the end (the last was id ${tailId ?? 'unknown'}): the signed head covers ${size} entries`,
      });
    } else if (position > size) {
      report({
        position: size + 1,
        id: null,
        problem: `entries ${size + 1} to ${position} were added after the signed head without a signature`,
      });
    } else if (head && size > anchorSeq && !hash.equals(headHash)) {
      report({ position: size, id: head.last_id, problem: 'the chain does not end in the signed head hash' });
    }
    if (saved && saved.size > position) {
      report({
        position: position + 1,
        id: saved.lastId,
        problem: `the log was truncated: the saved checkpoint covers ${saved.size} entries, the log ends at ${position}`,
      });
    }

    for (const row of await repo.unsealedEntries(snapshot.db, tenantId, MAX_PROBLEMS)) {
      report({
        position: null,
        id: row.id,
        problem: row.rejected_at
          ? `entry id ${row.id} was written outside Custodia (no valid MAC) and refused by the sealer`
          : `entry id ${row.id} is not sealed yet`,
      });
    }

    return {
      tenantId,
      ok: problems.length === 0,
      entries: checked,
      sealedNow,
      archivedUpTo: anchorSeq,
      head: { size, headHash: headHash.toString('hex'), lastId: head?.last_id ?? null },
      publicKey: publicKey.toString('base64'),
      checkpoint,
      problems,
    };
  });
}
