import { DomainError } from './domain-error.js';

/** A cursor this API did not give out, or not for this sort: 400 invalid_cursor, whichever list it was. */
export class CursorError extends DomainError<'invalid_cursor'> {
  constructor(message: string) {
    super('invalid_cursor', 'invalid', message);
    this.name = 'CursorError';
  }
}

/**
 * Opaque list cursors: the sort key of the last item (and which sort it was
 * taken under), base64url-encoded JSON. Anything that does not decode to the
 * expected shape, or belongs to another sort, is refused, never guessed at.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface CursorKey {
  id: string;
  /** The sort column's value in the last item, as the database wrote it as text (absent when sorting by id alone). */
  key?: string | null;
  /** The sort the cursor was made under. */
  sort?: string;
}

/** What a sort's key holds, so a forged key is refused here instead of failing a cast in SQL. */
export type CursorKeyKind = 'timestamp' | 'date' | 'integer' | 'text';

/** Every sort a list gives cursors for (a leading `-` only reverses it); a sort missing here accepts no key. */
const KEY_KIND_OF_SORT: Record<string, CursorKeyKind> = {
  createdAt: 'timestamp',
  updatedAt: 'timestamp',
  dueAt: 'timestamp',
  sentAt: 'timestamp',
  deleted: 'timestamp',
  audit: 'timestamp',
  amount: 'integer',
  expectedCloseDate: 'date',
  name: 'text',
  title: 'text',
  company: 'text',
};

export function encodeCursor(cursor: CursorKey): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

function invalidCursor(): CursorError {
  return new CursorError('cursor is not one this API gave out for this sort');
}

export function decodeCursor(cursor: string | undefined, sort?: string): CursorKey | null {
  if (!cursor) return null;
  let parsed: { id?: unknown; key?: unknown; sort?: unknown } | undefined;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as typeof parsed;
  } catch {
    // refused below
  }
  if (typeof parsed !== 'object' || parsed === null || typeof parsed.id !== 'string' || !UUID.test(parsed.id)) throw invalidCursor();
  if ((parsed.sort ?? undefined) !== sort) throw invalidCursor();
  const key = parsed.key;
  if (key !== undefined) {
    const kind = sort === undefined ? undefined : KEY_KIND_OF_SORT[sort.replace(/^-/, '')];
    if (kind === undefined || !keyFits(kind, key)) throw invalidCursor();
  }
  return { id: parsed.id, ...(key !== undefined ? { key } : {}), ...(sort ? { sort } : {}) };
}

const TIMESTAMP = /^(\d{4,6})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.\d{1,6})?(Z|[+-](\d{2})(?::(\d{2})(?::(\d{2}))?)?)( BC)?$/;
const DATE = /^(\d{4,7})-(\d{2})-(\d{2})( BC)?$/;
const INT64 = /^-?\d{1,19}$/;

/**
 * Whether a cursor key is a value of its kind in the form PostgreSQL writes it
 * (`::text`, ISO DateStyle) or toISOString does, and within the range the
 * column's type takes: the key reaches SQL through a cast, and a cast that
 * fails is a server error, not the client's.
 */
export function keyFits(kind: CursorKeyKind, key: unknown): key is string | null {
  if (key === null) return true;
  if (typeof key !== 'string' || key.includes('\u0000')) return false;
  switch (kind) {
    case 'text':
      return true;
    case 'integer':
      return INT64.test(key) && BigInt(key) >= -(2n ** 63n) && BigInt(key) < 2n ** 63n;
    case 'date': {
      const m = DATE.exec(key);
      return m !== null && validDay(m[1]!, m[2]!, m[3]!, m[4] !== undefined, 5_874_897);
    }
    case 'timestamp': {
      const m = TIMESTAMP.exec(key);
      if (m === null || !validDay(m[1]!, m[2]!, m[3]!, m[11] !== undefined, 294_276)) return false;
      const [hour, minute, second] = [Number(m[4]), Number(m[5]), Number(m[6])];
      const offset = m[7] === 'Z' ? [0, 0, 0] : [Number(m[8]), Number(m[9] ?? 0), Number(m[10] ?? 0)];
      return hour <= 23 && minute <= 59 && second <= 59 && offset[0]! <= 15 && offset[1]! <= 59 && offset[2]! <= 59;
    }
  }
}

// PostgreSQL's dates and timestamps begin in 4713 BC and end in the given year.
function validDay(yearText: string, monthText: string, dayText: string, bc: boolean, maxYear: number): boolean {
  const [year, month, day] = [Number(yearText), Number(monthText), Number(dayText)];
  if (year < 1 || year > (bc ? 4712 : maxYear) || month < 1 || month > 12 || day < 1) return false;
  const y = bc ? 1 - year : year; // 1 BC is the leap year 0
  const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  return day <= [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
}

export const MAX_PAGE = 200;

/** The page size asked for, within 1..MAX_PAGE (50 by default). */
export function pageSize(limit: number | undefined): number {
  return Math.min(Math.max(limit ?? 50, 1), MAX_PAGE);
}

/** Cuts the limit+1 rows fetched into a page and the cursor after it. */
export function pageOf<R extends { id: string }>(
  rows: R[],
  limit: number,
  keyOf?: (row: R) => string | null,
  sort?: string,
): { rows: R[]; nextCursor: string | null } {
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  if (rows.length <= limit || !last) return { rows: page, nextCursor: null };
  return { rows: page, nextCursor: encodeCursor({ id: last.id, ...(keyOf ? { key: keyOf(last) } : {}), ...(sort ? { sort } : {}) }) };
}
