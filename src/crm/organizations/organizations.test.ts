import { describe, expect, it } from 'vitest';
import { bearer, signInAdmin } from '../../../test/auth.js';
import { createTestTenant } from '../../../test/factories.js';
import { useTestServer } from '../../../test/server.js';

const t = useTestServer();

async function session() {
  const tt = await createTestTenant(t.handle.db);
  return { tt, token: await signInAdmin(t.app, tt) };
}

function post(token: string, url: string, payload: object) {
  return t.app.inject({ method: 'POST', url, headers: bearer(token), payload });
}

describe('organizations', () => {
  it('creates from { name }, reads, updates with a version and deletes', async () => {
    const { tt, token } = await session();
    const res = await post(token, '/api/v1/organizations', { name: 'Acme BV' });
    expect(res.statusCode).toBe(201);
    const org = res.json();
    expect(org).toMatchObject({ name: 'Acme BV', ownerId: tt.admin.id, domain: null, version: 1 });
    const changed = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/organizations/${org.id}`,
      headers: { ...bearer(token), 'if-match': '1' },
      payload: { domain: 'ACME.example', website: 'https://acme.example' },
    });
    expect(changed.json()).toMatchObject({ name: 'Acme BV', domain: 'acme.example', version: 2 });
    const stale = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/organizations/${org.id}`,
      headers: bearer(token),
      payload: { name: 'X', version: 1 },
    });
    expect(stale.statusCode).toBe(409);
    expect((await t.app.inject({ method: 'DELETE', url: `/api/v1/organizations/${org.id}`, headers: bearer(token) })).statusCode).toBe(204);
    expect((await t.app.inject({ url: `/api/v1/organizations/${org.id}`, headers: bearer(token) })).statusCode).toBe(404);
  });

  it('lists by name with a stable cursor and finds by part of name or domain', async () => {
    const { token } = await session();
    for (const name of ['delta', 'Alpha', 'charlie', 'Bravo', 'echo']) await post(token, '/api/v1/organizations', { name });
    await post(token, '/api/v1/organizations', { name: 'Zulu', domain: 'foxtrot.example' });
    const names: string[] = [];
    let cursor: string | null = null;
    do {
      const url: string = `/api/v1/organizations?limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const page: { items: Array<{ name: string }>; nextCursor: string | null } = (
        await t.app.inject({ url, headers: bearer(token) })
      ).json();
      names.push(...page.items.map((o) => o.name));
      cursor = page.nextCursor;
    } while (cursor);
    expect(names).toEqual(['Alpha', 'Bravo', 'charlie', 'delta', 'echo', 'Zulu']);
    const found = await t.app.inject({ url: '/api/v1/organizations?q=FOXTROT', headers: bearer(token) });
    expect(found.json().items.map((o: { name: string }) => o.name)).toEqual(['Zulu']);
    const pct = await t.app.inject({ url: '/api/v1/organizations?q=%25', headers: bearer(token) });
    expect(pct.json().items).toHaveLength(0);
  });

  it('links contacts to an organization of the same tenant only', async () => {
    const a = await session();
    const b = await session();
    const org = (await post(a.token, '/api/v1/organizations', { name: 'Acme BV' })).json();
    const contact = await post(a.token, '/api/v1/contacts', { firstName: 'Ann', lastName: 'Acme', organizationId: org.id });
    expect(contact.json().organizationId).toBe(org.id);
    const members = await t.app.inject({ url: `/api/v1/contacts?organizationId=${org.id}`, headers: bearer(a.token) });
    expect(members.json().items.map((c: { id: string }) => c.id)).toEqual([contact.json().id]);
    const foreign = await post(b.token, '/api/v1/contacts', { firstName: 'Bob', lastName: 'Other', organizationId: org.id });
    expect(foreign.statusCode).toBe(400);
    expect(foreign.json().code).toBe('invalid_field');
    expect((await t.app.inject({ url: `/api/v1/organizations/${org.id}`, headers: bearer(b.token) })).statusCode).toBe(404);
  });

  it('refuses bad input clearly', async () => {
    const { token } = await session();
    expect((await post(token, '/api/v1/organizations', {})).statusCode).toBe(400);
    expect((await post(token, '/api/v1/organizations', { name: 'X', website: 'ftp://x' })).json().code).toBe('invalid_field');
    expect((await post(token, '/api/v1/organizations', { name: 'X', domain: 'not a domain' })).json().code).toBe('invalid_field');
  });
});
