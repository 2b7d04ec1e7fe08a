import { CursorError } from '../../shared/cursor.js';

/**
 * Cursors of the privacy registers' lists (requests by due date, breaches by
 * detection time): the last row's sort key and id, base64url JSON. Anything
 * that does not decode to that shape is refused (400 invalid_cursor).
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const KEY = {
  date: /^\d{4}-\d{2}-\d{2}$/,
  timestamp: /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/,
};

export function encodeKeysetCursor(cursor: { key: string; id: string }): string {
  return Buffer.from(JSON.stringify({ k: cursor.key, id: cursor.id })).toString('base64url');
}

export function decodeKeysetCursor(cursor: string | undefined, kind: keyof typeof KEY): { key: string; id: string } | undefined {
  if (!cursor) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    // refused below
  }
  const { k, id } = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as { k?: unknown; id?: unknown };
  if (typeof k !== 'string' || typeof id !== 'string' || !UUID.test(id) || !KEY[kind].test(k) || Number.isNaN(Date.parse(k)))
    throw new CursorError('cursor is not one this API gave out for this list');
  return { key: k, id };
}
