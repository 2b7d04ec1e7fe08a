import { CrmError } from './crm.errors.js';

/**
 * Opaque list cursors: the sort key of the last item (and which sort it was
 * taken under), base64url-encoded JSON. Anything that does not decode to the
 * expected shape, or belongs to another sort, is refused, never guessed at.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface CursorKey {
  id: string;
  /** The sort column's value in the last item (absent when sorting by id alone). */
  key?: string | number | null;
  /** The sort the cursor was made under. */
  sort?: string;
}

export function encodeCursor(cursor: CursorKey): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

export function decodeCursor(cursor: string | undefined, sort?: string): CursorKey | null {
  if (!cursor) return null;
  let parsed: { id?: unknown; key?: unknown; sort?: unknown } | undefined;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as typeof parsed;
  } catch {
    // refused below
  }
  const key = parsed?.key;
  if (
    parsed &&
    typeof parsed.id === 'string' &&
    UUID.test(parsed.id) &&
    (key === undefined || key === null || typeof key === 'string' || (typeof key === 'number' && Number.isFinite(key))) &&
    (parsed.sort ?? undefined) === sort
  ) {
    return { id: parsed.id, ...(key !== undefined ? { key } : {}), ...(sort ? { sort } : {}) };
  }
  throw new CrmError('invalid_cursor', 'cursor is not one this API gave out for this sort');
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
  keyOf?: (row: R) => string | number | null,
  sort?: string,
): { rows: R[]; nextCursor: string | null } {
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  if (rows.length <= limit || !last) return { rows: page, nextCursor: null };
  return { rows: page, nextCursor: encodeCursor({ id: last.id, ...(keyOf ? { key: keyOf(last) } : {}), ...(sort ? { sort } : {}) }) };
}
