/**
 * The rows of a keyset-paged list, page after page, each record once: a record that changed
 * between two page fetches can come back on a later page, and keeps the place it was first shown at.
 */
export function uniqueRows<T>(pages: ReadonlyArray<{ items: readonly T[] }>, rowKey: (row: T) => string): T[] {
  const seen = new Set<string>();
  const rows: T[] = [];
  for (const page of pages) {
    for (const row of page.items) {
      const key = rowKey(row);
      if (seen.has(key)) continue;
      seen.add(key);
      rows.push(row);
    }
  }
  return rows;
}
