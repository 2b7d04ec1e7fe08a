import { createHash, createHmac, randomBytes, randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../test/db.js';
import {
  ChainWalker,
  encodeEntry,
  ENCODING_FORMAT,
  ENCODING_SQL,
  GENESIS,
  LEGACY_ENCODING_FORMAT,
  MacVerifier,
  type EntryContent,
} from './chain.js';

const t = useTestDatabase();

/** What PostgreSQL makes of the same values: the bytes the sealer and the verifier hash. */
async function encodedByPostgres(e: EntryContent): Promise<Buffer> {
  const result = await sql<{
    encoding: Buffer;
  }>`select ${sql.raw(ENCODING_SQL)} as encoding from (select ${e.format}::int2 as encoding_format,
      ${e.tenantId}::uuid as tenant_id, ${e.id}::uuid as id,
      timestamptz 'epoch' + ${e.atMicros}::int8 * interval '1 microsecond' as at,
      ${e.actorKind}::text as actor_kind, ${e.actorUserId}::uuid as actor_user_id, ${e.actorTokenId}::uuid as actor_token_id,
      ${e.actorLabel}::text as actor_label, ${e.action}::text as action, ${e.entity}::text as entity, ${e.entityId}::uuid as entity_id,
      ${`{${e.subjectIds.join(',')}}`}::uuid[] as subject_ids, ${e.fields}::text[] as fields,
      ${e.requestId}::text as request_id, ${e.ip}::text as ip, ${e.userAgent}::text as user_agent, ${e.details}::text as details,
      ${e.originSubjectId}::uuid as origin_subject_id, ${e.originEnc}::bytea as origin_enc,
      ${e.valuesSubjectId}::uuid as values_subject_id, ${e.valuesEnc}::bytea as values_enc) as audit_entries`.execute(t.handle.db);
  return result.rows[0]!.encoding;
}

const bare: EntryContent = {
  tenantId: randomUUID(),
  id: randomUUID(),
  atMicros: 1_732_363_200_123_456,
  actorKind: 'anonymous',
  actorUserId: null,
  actorTokenId: null,
  actorLabel: null,
  action: 'sign_in.failed',
  entity: null,
  entityId: null,
  subjectIds: [],
  fields: [],
  requestId: null,
  format: ENCODING_FORMAT,
  originSubjectId: null,
  originEnc: null,
  ip: null,
  userAgent: null,
  details: '{}',
  valuesSubjectId: null,
  valuesEnc: null,
};

const full: EntryContent = {
  ...bare,
  atMicros: 946_684_799_999_999, // a microsecond before PostgreSQL's epoch
  actorKind: 'token',
  actorUserId: randomUUID(),
  actorTokenId: randomUUID(),
  actorLabel: 'import job ü 🎉 "quoted" \\ back',
  action: 'contact.updated',
  entity: 'contacts',
  entityId: randomUUID(),
  subjectIds: [randomUUID(), randomUUID(), randomUUID()],
  fields: ['custom.a b', 'emails', 'x,y', '"q"', 'NULL', '', 'ünï', '𝄞'],
  requestId: 'req-1',
  originSubjectId: randomUUID(),
  originEnc: randomBytes(80),
  details: '{"count":3,"reason":"naïve"}',
  valuesSubjectId: randomUUID(),
  valuesEnc: randomBytes(97),
};

// An entry written before origins were sealed (migration 0013): its MAC and chain hash cover the plaintext.
const legacy: EntryContent = {
  ...full,
  format: LEGACY_ENCODING_FORMAT,
  originSubjectId: null,
  originEnc: null,
  ip: '2001:db8::1',
  userAgent: 'Mozilla/5.0 (X11) {curly} \u2028',
};

describe('the canonical encoding', () => {
  it('is byte for byte what PostgreSQL’s record_send makes of the stored columns', async () => {
    for (const entry of [bare, full, { ...full, subjectIds: [full.subjectIds[0]!], fields: ['firstName'], valuesEnc: Buffer.alloc(0) }]) {
      expect(encodeEntry(entry).toString('hex')).toBe((await encodedByPostgres(entry)).toString('hex'));
    }
  });

  it('is still the legacy layout, plaintext origin included, for entries of format 2', async () => {
    for (const entry of [legacy, { ...bare, format: LEGACY_ENCODING_FORMAT }]) {
      expect(encodeEntry(entry).toString('hex')).toBe((await encodedByPostgres(entry)).toString('hex'));
    }
    // The format is bound into the bytes: the same columns under another format hash differently.
    expect(encodeEntry({ ...bare, format: LEGACY_ENCODING_FORMAT }).equals(encodeEntry(bare))).toBe(false);
  });

  it('stores text the way the driver sends it: a lone surrogate becomes U+FFFD on both sides', async () => {
    const odd = { ...bare, actorLabel: 'half \ud800 pair', fields: ['a\udfffb'] };
    expect(encodeEntry(odd).equals(await encodedByPostgres(odd))).toBe(true);
  });

  it('differs when any column does', () => {
    const base = encodeEntry(full);
    for (const change of [
      { atMicros: full.atMicros + 1 },
      { fields: full.fields.slice(1) },
      { actorLabel: null },
      { details: '{}' },
      { valuesEnc: null },
      { originEnc: randomBytes(80) },
      { originSubjectId: null },
    ]) {
      expect(encodeEntry({ ...full, ...change }).equals(base)).toBe(false);
    }
  });
});

describe('the chain', () => {
  it('is SHA-256(0x01 ‖ previous head ‖ position as uint64 ‖ encoding), from the genesis head, as ADR 0006 says', () => {
    const encodings = [encodeEntry(bare), encodeEntry(full)];
    const walker = new ChainWalker();
    const walked = encodings.map((e, i) => Buffer.from(walker.next(i + 1, e)).toString('hex'));
    // Computed here from the documented formula, independently of ChainWalker.
    let head = GENESIS;
    const expected = encodings.map((encoding, i) => {
      const position = Buffer.alloc(8);
      position.writeBigUInt64BE(BigInt(i + 1));
      head = createHash('sha256')
        .update(Buffer.concat([Buffer.from([1]), head, position, encoding]))
        .digest();
      return head.toString('hex');
    });
    expect(walked).toEqual(expected);
    // Position and order are bound into the chain.
    expect(new ChainWalker().next(2, encodings[0]!).toString('hex')).not.toBe(expected[0]);
  });
});

describe('the MAC verifier', () => {
  it('computes HMAC-SHA-256 exactly as createHmac does, for any length, at any offset', () => {
    const key = randomBytes(32);
    const verifier = new MacVerifier(key);
    for (const length of [0, 1, 55, 56, 63, 64, 65, 500, 3000]) {
      const source = randomBytes(length + 7);
      expect(verifier.mac(source, 3, 3 + length).toString('hex')).toBe(
        createHmac('sha256', key)
          .update(source.subarray(3, 3 + length))
          .digest('hex'),
      );
    }
  });
});
