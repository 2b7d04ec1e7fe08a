import { CrmError } from './crm.errors.js';

/**
 * Opaque list cursors: the sort key of the last item, base64url-encoded JSON.
 * Anything that does not decode to the expected shape is refused, never
 * guessed at.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function encodeCursor(key: { id: string; name?: string }): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

export function decodeCursor(cursor: string | undefined): { id: string; name?: string } | null {
  if (!cursor) return null;
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { id?: unknown; name?: unknown };
    if (typeof parsed.id === 'string' && UUID.test(parsed.id) && (parsed.name === undefined || typeof parsed.name === 'string')) {
      return { id: parsed.id, ...(typeof parsed.name === 'string' ? { name: parsed.name } : {}) };
    }
  } catch {
    // refused below
  }
  throw new CrmError('invalid_cursor', 'cursor is not one this API gave out');
}

export const MAX_PAGE = 200;

/** The page size asked for, within 1..MAX_PAGE (50 by default). */
export function pageSize(limit: number | undefined): number {
  return Math.min(Math.max(limit ?? 50, 1), MAX_PAGE);
}
