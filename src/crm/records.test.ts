import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { crmSession } from '../../test/crm.js';
import { useTestServer } from '../../test/server.js';

// What every CRM module shares: tags, custom fields, filters, cursors that
// survive inserts, the recycle bin, the global search and tenant isolation.

const t = useTestServer();

const ids = (res: { json(): { items: Array<{ id: string }> } }) => res.json().items.map((i) => i.id);

describe('tags and custom fields', () => {
  it('tags records, filters lists by tag and keeps tag names unique in any case', async () => {
    const s = await crmSession(t);
    const a = (await s.post('/api/v1/contacts', { firstName: 'A', tags: ['VIP', 'newsletter'] })).json();
    await s.post('/api/v1/contacts', { firstName: 'B', tags: ['vip'] });
    await s.post('/api/v1/contacts', { firstName: 'C' });
    expect(a.tags).toEqual(['newsletter', 'VIP']);
    expect((await s.get('/api/v1/tags')).json().map((tag: { name: string }) => tag.name)).toEqual(['newsletter', 'VIP']);
    expect((await s.get('/api/v1/contacts?tag=vip')).json().items).toHaveLength(2);
    expect(ids(await s.get('/api/v1/contacts?tag=newsletter'))).toEqual([a.id]);
    // A page carries each row's tags in the order a read shows them.
    expect((await s.get('/api/v1/contacts?tag=newsletter')).json().items[0].tags).toEqual(['newsletter', 'VIP']);
    expect((await s.get(`/api/v1/contacts/${a.id}`)).json().tags).toEqual(['newsletter', 'VIP']);
    expect(((await s.get('/api/v1/contacts')).json().items as Array<{ tags: string[] }>).map((c) => c.tags).sort()).toEqual([
      [],
      ['VIP'],
      ['newsletter', 'VIP'],
    ]);
    const org = (await s.post('/api/v1/organizations', { name: 'Acme', tags: ['vip'] })).json();
    expect(ids(await s.get('/api/v1/organizations?tag=VIP'))).toEqual([org.id]);
    expect((await s.post('/api/v1/tags', { name: 'Vip' })).statusCode).toBe(409);

    const changed = await s.patch(`/api/v1/contacts/${a.id}`, { tags: [] });
    expect(changed.json().tags).toEqual([]);
    expect((await s.get('/api/v1/contacts?tag=vip')).json().items).toHaveLength(1);
  });

  it('validates typed custom values and keeps personal ones encrypted', async () => {
    const s = await crmSession(t);
    const marker = `zq${randomBytes(5).toString('hex')}`;
    expect(
      (
        await s.post('/api/v1/custom-fields', {
          module: 'contacts',
          key: 'dietary_needs',
          label: 'Dietary needs',
          type: 'text',
          personal: true,
        })
      ).statusCode,
    ).toBe(201);
    await s.post('/api/v1/custom-fields', {
      module: 'contacts',
      key: 'segment',
      label: 'Segment',
      type: 'select',
      options: ['smb', 'enterprise'],
    });
    await s.post('/api/v1/custom-fields', { module: 'contacts', key: 'seats', label: 'Seats', type: 'number' });
    const personalOrg = await s.post('/api/v1/custom-fields', {
      module: 'organizations',
      key: 'ceo_health',
      label: 'x',
      type: 'text',
      personal: true,
    });
    expect(personalOrg.statusCode).toBe(400);

    const created = await s.post('/api/v1/contacts', { firstName: 'Cee', custom: { dietary_needs: marker, segment: 'smb', seats: 12 } });
    expect(created.json().custom).toEqual({ dietary_needs: marker, segment: 'smb', seats: 12 });
    const raw = await sql<{
      custom: unknown;
      person_enc: Buffer;
    }>`select custom, person_enc from contacts where id = ${created.json().id}`.execute(t.handle.db);
    expect(raw.rows[0]!.custom).toEqual({ segment: 'smb', seats: 12 });
    expect(raw.rows[0]!.person_enc.toString('latin1')).not.toContain(marker);

    for (const custom of [{ segment: 'huge' }, { seats: 'many' }, { unknown_key: 1 }]) {
      const bad = await s.post('/api/v1/contacts', { firstName: 'X', custom });
      expect(bad.statusCode, JSON.stringify(custom)).toBe(400);
      expect(bad.json().code).toBe('invalid_field');
    }
    const cleared = await s.patch(`/api/v1/contacts/${created.json().id}`, { custom: { seats: null } });
    expect(cleared.json().custom).toEqual({ dietary_needs: marker, segment: 'smb' });
  });

  it('lets only administrators define custom fields, rename tags and change pipelines', async () => {
    const s = await crmSession(t);
    const password = `Rep-${randomBytes(8).toString('hex')}`;
    const email = `rep-${randomBytes(4).toString('hex')}@example.test`;
    expect((await s.post('/api/v1/users', { email, name: 'Rep', password })).statusCode).toBe(201);
    const signedIn = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { tenant: s.tt.tenant.slug, email, password },
    });
    const rep = { authorization: `Bearer ${signedIn.json().token as string}` };
    const define = await t.app.inject({
      method: 'POST',
      url: '/api/v1/custom-fields',
      headers: rep,
      payload: { module: 'contacts', key: 'x', label: 'x', type: 'text' },
    });
    expect(define.statusCode).toBe(403);
    expect(define.json().code).toBe('admin_required');
    const tag = (await s.post('/api/v1/tags', { name: 'T' })).json();
    expect((await t.app.inject({ method: 'PATCH', url: `/api/v1/tags/${tag.id}`, headers: rep, payload: { name: 'U' } })).statusCode).toBe(
      403,
    );
    expect(
      (await t.app.inject({ method: 'POST', url: '/api/v1/contacts', headers: rep, payload: { firstName: 'Rep', tags: ['T', 'fresh'] } }))
        .statusCode,
    ).toBe(201);
    const pipeline = await t.app.inject({
      method: 'POST',
      url: '/api/v1/pipelines',
      headers: rep,
      payload: { name: 'Mine', stages: [{ name: 'One', probability: 10 }] },
    });
    expect(pipeline.statusCode).toBe(403);
    expect(
      (
        await t.app.inject({
          method: 'POST',
          url: '/api/v1/deals',
          headers: rep,
          payload: { title: 'Rep deal', amount: 100, currency: 'EUR' },
        })
      ).statusCode,
    ).toBe(201);
  });
});

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

describe('recycle bin', () => {
  it('hides a deleted record everywhere, restores it, refuses after 30 days, and purges with the person’s key', async () => {
    const s = await crmSession(t);
    const c = (await s.post('/api/v1/contacts', { firstName: 'Binned', lastName: 'Person', emails: ['binned@example.test'] })).json();
    const note = (await s.post('/api/v1/notes', { contactId: c.id, body: 'about them' })).json();
    expect((await s.del(`/api/v1/contacts/${c.id}`)).statusCode).toBe(204);
    expect((await s.get(`/api/v1/contacts/${c.id}`)).statusCode).toBe(404);
    expect((await s.get('/api/v1/contacts?email=binned@example.test')).json().items).toEqual([]);
    expect((await s.get(`/api/v1/notes/${note.id}`)).statusCode).toBe(404);
    expect((await s.get('/api/v1/notes')).json().items).toEqual([]);

    const bin = (await s.get('/api/v1/recycle-bin')).json();
    expect(bin.items).toEqual([expect.objectContaining({ module: 'contacts', id: c.id, title: 'Binned Person' })]);
    expect((await s.post(`/api/v1/recycle-bin/contacts/${c.id}/restore`)).statusCode).toBe(200);
    expect((await s.get(`/api/v1/contacts/${c.id}`)).json()).toMatchObject({ firstName: 'Binned', version: c.version + 2 });
    expect((await s.get(`/api/v1/notes/${note.id}`)).statusCode).toBe(200);
    expect((await s.post(`/api/v1/recycle-bin/contacts/${c.id}/restore`)).json().code).toBe('not_in_recycle_bin');

    await s.del(`/api/v1/contacts/${c.id}`);
    await sql`update contacts set deleted_at = now() - interval '31 days' where id = ${c.id}`.execute(t.handle.db);
    const late = await s.post(`/api/v1/recycle-bin/contacts/${c.id}/restore`);
    expect(late.statusCode).toBe(409);
    expect(late.json().code).toBe('restore_expired');

    const { purgeExpired } = await import('./recycle-bin.service.js');
    expect(await purgeExpired(t.handle.db, t.keyring)).toBeGreaterThanOrEqual(1);
    const left = await sql<{
      n: string;
    }>`select (select count(*) from contacts where id = ${c.id}) + (select count(*) from notes where id = ${note.id})
      + (select count(*) from subject_keys where subject_id = ${c.subjectId}) + (select count(*) from blind_index_terms where record_id = ${c.id}) as n`.execute(
      t.handle.db,
    );
    expect(Number(left.rows[0]!.n)).toBe(0);
  });

  it('keeps a converted person’s key while the lead still holds it, and purges on demand for administrators', async () => {
    const s = await crmSession(t);
    const lead = (await s.post('/api/v1/leads', { firstName: 'Two', lastName: 'Records' })).json();
    const { contactId } = (await s.post(`/api/v1/leads/${lead.id}/convert`, {})).json();
    await s.del(`/api/v1/contacts/${contactId}`);
    expect((await s.del(`/api/v1/recycle-bin/contacts/${contactId}`)).statusCode).toBe(204);
    expect((await s.get(`/api/v1/leads/${lead.id}`)).json()).toMatchObject({ firstName: 'Two', convertedContactId: null });
    const org = (await s.post('/api/v1/organizations', { name: 'Gone' })).json();
    await s.del(`/api/v1/organizations/${org.id}`);
    expect((await s.get('/api/v1/recycle-bin?module=organizations')).json().items).toEqual([
      expect.objectContaining({ id: org.id, title: 'Gone' }),
    ]);
  });
});

describe('global search', () => {
  it('finds people by name, e-mail and phone, and companies and deals by part of their name', async () => {
    const s = await crmSession(t);
    const c = (
      await s.post('/api/v1/contacts', {
        firstName: 'Marieke',
        lastName: 'Zandstra',
        emails: ['mz@zand.test'],
        phones: ['+31 6 1111 2222'],
      })
    ).json();
    const l = (await s.post('/api/v1/leads', { firstName: 'Mario', lastName: 'Rossi', company: 'Rossi Srl' })).json();
    const o = (await s.post('/api/v1/organizations', { name: 'Marigold Foods' })).json();
    const d = (await s.post('/api/v1/deals', { title: 'Marigold renewal', amount: 1250, currency: 'EUR' })).json();
    const hits = (await s.get('/api/v1/search?q=mari')).json().items as Array<{ module: string; id: string }>;
    expect(hits.map((h) => `${h.module}:${h.id}`).sort()).toEqual(
      [`contacts:${c.id}`, `deals:${d.id}`, `leads:${l.id}`, `organizations:${o.id}`].sort(),
    );
    expect((await s.get('/api/v1/search?q=MZ@zand.test')).json().items).toEqual([
      expect.objectContaining({ module: 'contacts', id: c.id, title: 'Marieke Zandstra' }),
    ]);
    expect((await s.get('/api/v1/search?q=06 1111 2222')).json().items.map((h: { id: string }) => h.id)).toEqual([c.id]);
    expect((await s.get('/api/v1/search?q=m')).statusCode).toBe(400);
  });
});

describe('tenant isolation', () => {
  it('answers 404 to another tenant for every module and every verb, and refuses links across tenants', async () => {
    const a = await crmSession(t);
    const b = await crmSession(t);
    const org = (await a.post('/api/v1/organizations', { name: 'A Org' })).json();
    const records: Record<string, string> = {
      contacts: (await a.post('/api/v1/contacts', { firstName: 'A', emails: ['a@a.test'] })).json().id,
      organizations: org.id,
      leads: (await a.post('/api/v1/leads', { firstName: 'L' })).json().id,
      deals: (await a.post('/api/v1/deals', { title: 'D', amount: 1, currency: 'EUR' })).json().id,
      activities: (await a.post('/api/v1/activities', { type: 'task', subject: 'T' })).json().id,
    };
    records.notes = (await a.post('/api/v1/notes', { organizationId: org.id, body: 'n' })).json().id;
    const tag = (await a.post('/api/v1/tags', { name: 'a-only' })).json();
    const field = (await a.post('/api/v1/custom-fields', { module: 'contacts', key: 'a_only', label: 'A', type: 'text' })).json();

    for (const [module, id] of Object.entries(records)) {
      expect((await b.get(`/api/v1/${module}/${id}`)).statusCode, `GET ${module}`).toBe(404);
      const patch =
        module === 'notes'
          ? { body: 'x' }
          : module === 'activities'
            ? { subject: 'x' }
            : module === 'deals'
              ? { title: 'x' }
              : module === 'organizations'
                ? { name: 'x' }
                : { firstName: 'x' };
      expect((await b.patch(`/api/v1/${module}/${id}`, patch)).statusCode, `PATCH ${module}`).toBe(404);
      expect((await b.del(`/api/v1/${module}/${id}`)).statusCode, `DELETE ${module}`).toBe(404);
      expect(
        (await b.get(`/api/v1/${module}`)).json().items.map((i: { id: string }) => i.id),
        `list ${module}`,
      ).not.toContain(id);
    }
    expect((await b.post(`/api/v1/leads/${records.leads}/convert`, {})).statusCode).toBe(404);
    expect((await b.patch(`/api/v1/tags/${tag.id}`, { name: 'x' })).statusCode).toBe(404);
    expect((await b.del(`/api/v1/custom-fields/${field.id}`)).statusCode).toBe(404);
    expect((await b.post('/api/v1/contacts', { firstName: 'x', organizationId: org.id })).statusCode).toBe(400);
    expect((await b.post('/api/v1/notes', { contactId: records.contacts, body: 'x' })).statusCode).toBe(404);
    expect((await b.get('/api/v1/contacts?email=a@a.test')).json().items).toEqual([]);
    expect((await b.get('/api/v1/search?q=a@a.test')).json().items).toEqual([]);
    expect((await b.get('/api/v1/tags')).json()).toEqual([]);

    await a.del(`/api/v1/contacts/${records.contacts}`);
    expect((await b.post(`/api/v1/recycle-bin/contacts/${records.contacts}/restore`)).statusCode).toBe(404);
    expect((await b.del(`/api/v1/recycle-bin/contacts/${records.contacts}`)).statusCode).toBe(404);
    expect((await b.get('/api/v1/recycle-bin')).json().items).toEqual([]);
    const exported = await t.app.inject({ url: '/api/v1/exports/contacts.csv', headers: { authorization: `Bearer ${b.token}` } });
    expect(
      exported.body
        .replace(/^\uFEFF/, '')
        .trim()
        .split('\r\n'),
    ).toHaveLength(1);
  });
});
