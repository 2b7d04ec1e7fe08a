import { describe, expect, it } from 'vitest';
import { uniqueRows } from './record-rows';

type Row = { id: string; name: string };
const row = (id: string, name = id): Row => ({ id, name });
const byId = (one: Row) => one.id;

describe('uniqueRows', () => {
  it('keeps every row of every page in order', () => {
    const pages = [{ items: [row('a'), row('b')] }, { items: [row('c')] }, { items: [] }];
    expect(uniqueRows(pages, byId).map(byId)).toEqual(['a', 'b', 'c']);
  });

  it('shows a record met on two pages once, where it was first shown', () => {
    // "b" was edited between the two fetches and came back on page 2 under its new sort position.
    const pages = [{ items: [row('a'), row('b', 'Bea')] }, { items: [row('c'), row('b', 'Bea Edited'), row('d')] }];
    const rows = uniqueRows(pages, byId);
    expect(rows.map(byId)).toEqual(['a', 'b', 'c', 'd']);
    expect(rows[1]?.name).toBe('Bea');
  });

  it('also de-duplicates within one page, by the key it is given', () => {
    const pages = [{ items: [row('a', 'x'), row('b', 'x'), row('c', 'y')] }];
    expect(uniqueRows(pages, (one) => one.name).map(byId)).toEqual(['a', 'c']);
    expect(uniqueRows([], byId)).toEqual([]);
  });
});
