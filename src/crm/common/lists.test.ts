import { describe, expect, it } from 'vitest';
import { crmSession } from '../../../test/crm.js';
import { useTestServer } from '../../../test/server.js';

// Every list: cursors that survive inserts, filters by owner and dates, the page limit.

const t = useTestServer();

const ids = (res: { json(): { items: Array<{ id: string }> } }) => res.json().items.map((i) => i.id);

describe('lists', () => {
  it('pages through every contact exactly once while new ones are added between pages', async () => {
    const s = await crmSession(t);
    for (let i = 0; i < 7; i++) await s.post('/api/v1/contacts', { firstName: `P${i}` });
    for (const sort of ['createdAt', '-createdAt', 'updatedAt', '-updatedAt']) {
      const seen: string[] = [];
      let cursor: string | null = null;
      let added = 0;
      do {
        const page: { items: Array<{ id: string }>; nextCursor: string | null } = (
          await s.get(`/api/v1/contacts?limit=3&sort=${sort}${cursor ? `&cursor=${cursor}` : ''}`)
        ).json();
        seen.push(...page.items.map((c: { id: string }) => c.id));
        cursor = page.nextCursor;
        if (added++ < 2) await s.post('/api/v1/contacts', { firstName: `New ${sort} ${added}` });
      } while (cursor);
      expect(new Set(seen).size, sort).toBe(seen.length);
      expect(seen.length, sort).toBeGreaterThanOrEqual(7);
    }
    const all = (await s.get('/api/v1/contacts?limit=200')).json().items as Array<{ id: string; createdAt: string }>;
    const descending = (await s.get('/api/v1/contacts?limit=200&sort=-createdAt')).json().items as Array<{ id: string }>;
    expect(descending.map((c) => c.id)).toEqual(all.map((c) => c.id).reverse());
    const cursor = (await s.get('/api/v1/contacts?limit=2&sort=createdAt')).json().nextCursor;
    const wrongSort = await s.get(`/api/v1/contacts?limit=2&sort=updatedAt&cursor=${cursor}`);
    expect(wrongSort.statusCode).toBe(400);
    expect(wrongSort.json().code).toBe('invalid_cursor');
  });

  it('filters by owner and by creation range, and refuses a page over 200', async () => {
    const s = await crmSession(t);
    const before = new Date().toISOString();
    const c = (await s.post('/api/v1/contacts', { firstName: 'Owned' })).json();
    expect(ids(await s.get(`/api/v1/contacts?ownerId=${s.tt.admin.id}`))).toEqual([c.id]);
    expect((await s.get(`/api/v1/contacts?ownerId=${c.id}`)).json().items).toEqual([]);
    expect(ids(await s.get(`/api/v1/contacts?createdFrom=${encodeURIComponent(before)}`))).toEqual([c.id]);
    expect((await s.get(`/api/v1/contacts?createdTo=${encodeURIComponent(before)}`)).json().items).toEqual([]);
    expect((await s.get('/api/v1/contacts?limit=201')).statusCode).toBe(400);
    expect((await s.post('/api/v1/contacts', { firstName: 'X', ownerId: c.id })).json().code).toBe('invalid_field');
  });
});
