import { sql, type RawBuilder, type SqlBool } from 'kysely';
import { CrmError } from './crm.errors.js';
import { keyFits, type CursorKeyKind } from '../../shared/cursor.js';

/**
 * Keyset pagination on (sort column, id), shared by every CRM list: a page
 * starts strictly after the previous page's last row, so rows inserted or
 * deleted meanwhile neither repeat nor push others off. Nulls sort last
 * ascending and first descending, as PostgreSQL does by default.
 */

export interface Keyset {
  /** `table.column` of the sort column. */
  column: string;
  /** `table.id`. */
  id: string;
  descending: boolean;
  /** The cast that turns the cursor's text back into the column's type (e.g. `timestamptz`), if any. */
  cast?: 'timestamptz' | 'date' | 'bigint';
}

const KEY_KIND_OF_CAST: Record<NonNullable<Keyset['cast']>, CursorKeyKind> = { timestamptz: 'timestamp', date: 'date', bigint: 'integer' };

/** The sort value as text, selected beside each row for the next cursor. */
export function sortKey(k: Keyset): RawBuilder<string | null> {
  return sql<string | null>`${sql.ref(k.column)}::text`;
}

export function after(k: Keyset, last: { key: string | number | null; id: string }): RawBuilder<SqlBool> {
  // decodeCursor checked the key against its sort; this holds it to the column's own type as well.
  if (!keyFits(k.cast ? KEY_KIND_OF_CAST[k.cast] : 'text', last.key)) {
    throw new CrmError('invalid_cursor', 'cursor is not one this API gave out for this sort');
  }
  const col = sql.ref(k.column);
  const id = sql.ref(k.id);
  const key = k.cast ? sql`${last.key}::${sql.raw(k.cast)}` : sql`${last.key}`;
  if (last.key === null) {
    return k.descending ? sql<SqlBool>`(${col} is not null or ${id} < ${last.id})` : sql<SqlBool>`(${col} is null and ${id} > ${last.id})`;
  }
  return k.descending
    ? sql<SqlBool>`(${col} < ${key} or (${col} = ${key} and ${id} < ${last.id}))`
    : sql<SqlBool>`(${col} > ${key} or (${col} = ${key} and ${id} > ${last.id}) or ${col} is null)`;
}

export function orderBy(k: Keyset): [RawBuilder<unknown>, RawBuilder<unknown>] {
  return k.descending
    ? [sql`${sql.ref(k.column)} desc nulls first`, sql`${sql.ref(k.id)} desc`]
    : [sql`${sql.ref(k.column)} asc nulls last`, sql`${sql.ref(k.id)} asc`];
}
