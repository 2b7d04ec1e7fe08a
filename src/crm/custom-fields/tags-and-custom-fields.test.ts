import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { crmSession } from '../../../test/crm.js';
import { useTestServer } from '../../../test/server.js';

// Tags and custom fields on every record type: filtering, typed values, personal values sealed, who may define them.

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
