import fc from 'fast-check';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../test/db.js';
import { CursorError, decodeCursor, encodeCursor, keyFits, type CursorKeyKind } from './cursor.js';

const db = useTestDatabase();

const CAST: Record<Exclude<CursorKeyKind, 'text'>, string> = { timestamp: 'timestamptz', date: 'date', integer: 'bigint' };

/** Whether PostgreSQL takes the key through the cast a keyset page puts it through. */
async function castable(kind: Exclude<CursorKeyKind, 'text'>, key: string): Promise<boolean> {
  try {
    // Only whether the cast succeeds: the value itself is not read back (a bigint may not fit a JS number).
    await sql`select (${key}::${sql.raw(CAST[kind])}) is not null as ok`.execute(db.handle.db);
    return true;
  } catch {
    return false;
  }
}

describe('cursor keys', () => {
  it('accepts every sort key PostgreSQL writes, in any session time zone', async () => {
    const written = await db.handle.db.transaction().execute(async (trx) => {
      const keys: Array<[CursorKeyKind, string]> = [];
      for (const zone of ['UTC', 'Asia/Kolkata', 'America/St_Johns', 'Europe/Amsterdam', 'Pacific/Kiritimati']) {
        await sql`select set_config('TimeZone', ${zone}, true)`.execute(trx);
        const { rows } = await sql<{ key: string }>`select v::text as key from (values
          (now()), ('2030-01-01 10:00:00.123456+00'::timestamptz), ('1850-06-01 12:00:00+00'::timestamptz),
          ('0001-01-01 00:00:00+14'::timestamptz), ('9999-12-31 23:59:59-15'::timestamptz), ('0005-02-29 12:00:00 BC'::timestamptz)) t(v)`.execute(
          trx,
        );
        keys.push(...rows.map((r): [CursorKeyKind, string] => ['timestamp', r.key]));
      }
      const dates = await sql<{
        key: string;
      }>`select v::text as key from (values ('2024-02-29'::date), ('0001-01-01'::date), ('4712-12-31 BC'::date), ('5874897-12-31'::date)) t(v)`.execute(
        trx,
      );
      keys.push(...dates.rows.map((r): [CursorKeyKind, string] => ['date', r.key]));
      const numbers = await sql<{
        key: string;
      }>`select v::text as key from (values (9223372036854775807::bigint), ('-9223372036854775808'::bigint), (0::bigint)) t(v)`.execute(
        trx,
      );
      keys.push(...numbers.rows.map((r): [CursorKeyKind, string] => ['integer', r.key]));
      return keys;
    });
    expect(written.length).toBe(37);
    for (const [kind, key] of written) expect(keyFits(kind, key), `${kind} ${key}`).toBe(true);
    expect(keyFits('timestamp', new Date().toISOString())).toBe(true); // the audit trail's keys
  });

  it('refuses keys of the wrong type, out of range, or that are not text at all', () => {
    for (const [kind, key] of [
      ['timestamp', 'yesterday'],
      ['timestamp', '2024-02-30 00:00:00+00'],
      ['timestamp', '2023-02-29 00:00:00+00'],
      ['timestamp', '2024-01-01 24:00:00+00'],
      ['timestamp', '0000-01-01 00:00:00+00'],
      ['timestamp', '4713-01-01 00:00:00+00 BC'],
      ['timestamp', '294277-01-01 00:00:00+00'],
      ['timestamp', '2024-01-01 00:00:00+16'],
      ['date', '2024-13-01'],
      ['date', '0000-12-31'],
      ['integer', '9223372036854775808'],
      ['integer', '-9223372036854775809'],
      ['integer', '1e5'],
      ['integer', ' 1'],
      ['text', 'a\u0000'],
      ['text', 12],
      ['integer', 12],
      ['timestamp', ['2024-01-01']],
      ['timestamp', { key: '2024-01-01' }],
      ['text', true],
    ] as Array<[CursorKeyKind, unknown]>) {
      expect(keyFits(kind, key), `${kind} ${JSON.stringify(key)}`).toBe(false);
    }
    expect(keyFits('timestamp', null)).toBe(true); // undated rows sort last
  });

  it('never accepts a key that PostgreSQL would refuse to cast', async () => {
    const two = (max: number) => fc.integer({ min: 0, max }).map((n) => String(n).padStart(2, '0'));
    const year = fc
      .oneof(fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 0, max: 6_000_000 }))
      .map((n) => String(n).padStart(4, '0'));
    const offset = fc.oneof(
      fc.constant('Z'),
      fc
        .tuple(fc.constantFrom('+', '-'), two(25), fc.option(two(70)), fc.option(two(70)))
        .map(([sign, h, m, s]) => `${sign}${h}${m === null ? '' : `:${m}`}${m !== null && s !== null ? `:${s}` : ''}`),
    );
    const bc = fc.constantFrom('', '', ' BC');
    const timestamp = fc
      .tuple(year, two(13), two(32), fc.constantFrom(' ', 'T'), two(25), two(61), two(61), fc.constantFrom('', '.5', '.123456'), offset, bc)
      .map(([y, mo, d, sep, h, mi, s, frac, off, era]) => `${y}-${mo}-${d}${sep}${h}:${mi}:${s}${frac}${off}${era}`);
    const date = fc.tuple(year, two(13), two(32), bc).map(([y, mo, d, era]) => `${y}-${mo}-${d}${era}`);
    const integer = fc.oneof(fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n }).map(String), fc.stringMatching(/^-?\d{1,21}$/));
    let accepted = 0;
    for (const [kind, keys] of [
      ['timestamp', timestamp],
      ['date', date],
      ['integer', integer],
    ] as const) {
      await fc.assert(
        fc.asyncProperty(keys, async (key) => {
          if (!keyFits(kind, key)) return true;
          accepted++;
          return castable(kind, key);
        }),
        { numRuns: 300 },
      );
    }
    expect(accepted).toBeGreaterThan(150);
  });

  it('decodes only what it encoded, for the sort it was made under', () => {
    const id = '3f2504e0-4f89-41d3-9a0c-0305e82c3301';
    const cursor = encodeCursor({ id, key: '250000', sort: '-amount' });
    expect(decodeCursor(cursor, '-amount')).toEqual({ id, key: '250000', sort: '-amount' });
    expect(() => decodeCursor(cursor, 'amount')).toThrow(CursorError);
    expect(() => decodeCursor(encodeCursor({ id, key: 'lots', sort: 'amount' }), 'amount')).toThrow(CursorError);
    expect(() => decodeCursor(encodeCursor({ id, key: '1', sort: 'unknownSort' }), 'unknownSort')).toThrow(CursorError);
    expect(decodeCursor(encodeCursor({ id }), undefined)).toEqual({ id });
  });
});
