import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { bearer, signInAdmin } from '../../../test/auth.js';
import { createTestTenant } from '../../../test/factories.js';
import { useTestServer } from '../../../test/server.js';
import { eraseSubject } from '../../key-lifecycle/shredding.js';

const t = useTestServer();

async function session() {
  const tt = await createTestTenant(t.handle.db);
  return { tt, token: await signInAdmin(t.app, tt) };
}

function post(token: string, url: string, payload: object) {
  return t.app.inject({ method: 'POST', url, headers: bearer(token), payload });
}

const marker = (kind: string) => `zq${kind}${randomBytes(5).toString('hex')}`;

describe('contacts', () => {
  it('creates a contact from the minimal body and reads it back', async () => {
    const { tt, token } = await session();
    const res = await post(token, '/api/v1/contacts', {
      firstName: 'Zoë',
      lastName: "d'Ávila",
      emails: ['zoe@example.test', { value: 'z.davila@work.test', label: 'work' }],
      phones: ['+31 20 123 4567'],
    });
    expect(res.statusCode).toBe(201);
    const created = res.json();
    expect(created).toMatchObject({
      firstName: 'Zoë',
      lastName: "d'Ávila",
      ownerId: tt.admin.id,
      version: 1,
      emails: [
        { value: 'zoe@example.test', label: null },
        { value: 'z.davila@work.test', label: 'work' },
      ],
      phones: [{ value: '+31 20 123 4567', label: null }],
    });
    const got = await t.app.inject({ url: `/api/v1/contacts/${created.id}`, headers: bearer(token) });
    expect(got.json()).toEqual(created);
    expect(got.headers.etag).toBe('"1"');
  });

  it.each([
    { by: 'e-mail', index: 'contact_email', query: 'email=WANTED.person@example.test', otherQuery: 'email=other.person@example.test' },
    {
      by: 'phone',
      index: 'contact_phone',
      query: `phone=${encodeURIComponent('+31 20 555 0001')}`,
      otherQuery: `phone=${encodeURIComponent('+31 20 555 0002')}`,
    },
  ])(
    'pages $by matches only: a blind index collision is not a hit and does not take a place on the page',
    async ({ index, query, otherQuery }) => {
      const { tt, token } = await session();
      const get = (url: string) => t.app.inject({ url, headers: bearer(token) });
      const ids = async (url: string) => ((await get(url)).json().items as Array<{ id: string }>).map((c) => c.id);
      // The collision is made first, so it sorts before the real match.
      const other = (
        await post(token, '/api/v1/contacts', { firstName: 'Other', emails: ['other.person@example.test'], phones: ['+31 20 555 0002'] })
      ).json();
      const wanted = (
        await post(token, '/api/v1/contacts', { firstName: 'Wanted', emails: ['wanted.person@example.test'], phones: ['+31 20 555 0001'] })
      ).json();
      // Truncated terms collide (1 in 65,536 per pair; ~15 per address at 1,000,000 contacts): make
      // `other` a candidate of the wanted value, as a collision in a large tenant would.
      const copied = await sql`insert into blind_index_terms (tenant_id, index_name, key_version, term, record_table, record_id, subject_id)
      select tenant_id, index_name, key_version, term, record_table, ${other.id}::uuid, ${other.subjectId}::uuid from blind_index_terms
      where tenant_id = ${tt.tenant.id} and record_id = ${wanted.id} and index_name = ${index}
      on conflict do nothing`.execute(t.handle.db);
      expect(Number(copied.numAffectedRows)).toBeGreaterThan(0);

      const page = await get(`/api/v1/contacts?${query}&limit=1`);
      expect(page.statusCode).toBe(200);
      expect(page.json()).toEqual({ items: [expect.objectContaining({ id: wanted.id })], nextCursor: null });
      expect(await ids(`/api/v1/contacts?${query}`)).toEqual([wanted.id]);
      expect(await ids(`/api/v1/contacts?${otherQuery}`)).toEqual([other.id]);
    },
  );

  it('stores no personal plaintext in the contacts and notes tables', async () => {
    const { tt, token } = await session();
    const first = marker('first');
    const email = `${marker('mail')}@example.test`;
    const phone = '+31 6 1234 5678';
    const note = marker('note');
    const contact = (
      await post(token, '/api/v1/contacts', { firstName: first, lastName: 'Test', emails: [email], phones: [phone] })
    ).json();
    await post(token, '/api/v1/notes', { contactId: contact.id, body: `Met at the fair: ${note}` });
    const raw = await sql<
      Record<string, unknown>
    >`select c.*, n.body_enc from contacts c left join notes n on n.contact_id = c.id where c.tenant_id = ${tt.tenant.id}`.execute(
      t.handle.db,
    );
    const dump = JSON.stringify(raw.rows, (_k, v: unknown) => (Buffer.isBuffer(v) ? v.toString('latin1') : v));
    for (const needle of [first, email.split('@')[0]!, '1234 5678', '612345678', note]) expect(dump).not.toContain(needle);
  });

  it('finds by exact e-mail in any case, and by name word or prefix', async () => {
    const { token } = await session();
    const anneke = (
      await post(token, '/api/v1/contacts', { firstName: 'Anneke', lastName: 'de Vries', emails: ['Anneke@Example.test'] })
    ).json();
    await post(token, '/api/v1/contacts', { firstName: 'Annabel', lastName: 'Smit', emails: ['annabel@example.test'] });
    await post(token, '/api/v1/contacts', { firstName: 'Bob', lastName: 'Anders', emails: ['bob@example.test'] });

    const byEmail = await t.app.inject({ url: '/api/v1/contacts?email=ANNEKE%40example.TEST', headers: bearer(token) });
    expect(byEmail.json().items.map((c: { id: string }) => c.id)).toEqual([anneke.id]);
    const names = async (q: string) =>
      (await t.app.inject({ url: `/api/v1/contacts?q=${encodeURIComponent(q)}`, headers: bearer(token) }))
        .json()
        .items.map((c: { firstName: string }) => c.firstName);
    expect((await names('ann')).sort()).toEqual(['Annabel', 'Anneke']);
    expect(await names('anneke vri')).toEqual(['Anneke']);
    expect(await names('VRIES')).toEqual(['Anneke']);
    expect(await names('anders')).toEqual(['Bob']);
    expect(await names('zz')).toEqual([]);
  });

  it('pages with a stable cursor and refuses a forged one', async () => {
    const { token } = await session();
    for (let i = 0; i < 5; i++) await post(token, '/api/v1/contacts', { firstName: `P${i}`, lastName: 'Page' });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const url: string = `/api/v1/contacts?limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const res = await t.app.inject({ url, headers: bearer(token) });
      const page: { items: Array<{ firstName: string }>; nextCursor: string | null } = res.json();
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((c) => c.firstName));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(['P0', 'P1', 'P2', 'P3', 'P4']);
    const forged = await t.app.inject({ url: '/api/v1/contacts?cursor=bm90LWFuLWlk', headers: bearer(token) });
    expect(forged.statusCode).toBe(400);
    expect((await t.app.inject({ url: '/api/v1/contacts?limit=201', headers: bearer(token) })).statusCode).toBe(400);
  });

  it('updates with optimistic concurrency: a stale version answers 409', async () => {
    const { token } = await session();
    const c = (await post(token, '/api/v1/contacts', { firstName: 'Old', lastName: 'Name', emails: ['old@example.test'] })).json();
    const ok = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/contacts/${c.id}`,
      headers: { ...bearer(token), 'if-match': '"1"' },
      payload: { firstName: 'New', emails: ['new@example.test'] },
    });
    expect(ok.json()).toMatchObject({ firstName: 'New', lastName: 'Name', version: 2 });
    const stale = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/contacts/${c.id}`,
      headers: bearer(token),
      payload: { firstName: 'Lost', version: 1 },
    });
    expect(stale.statusCode).toBe(409);
    expect(stale.json().code).toBe('version_conflict');
    // The index follows the change: the new address finds it, the old one does not.
    expect((await t.app.inject({ url: '/api/v1/contacts?email=new@example.test', headers: bearer(token) })).json().items).toHaveLength(1);
    expect((await t.app.inject({ url: '/api/v1/contacts?email=old@example.test', headers: bearer(token) })).json().items).toHaveLength(0);
  });

  it('deletes: the contact is gone from reads and lists', async () => {
    const { token } = await session();
    const c = (await post(token, '/api/v1/contacts', { firstName: 'Gone', lastName: 'Soon' })).json();
    expect((await t.app.inject({ method: 'DELETE', url: `/api/v1/contacts/${c.id}`, headers: bearer(token) })).statusCode).toBe(204);
    expect((await t.app.inject({ url: `/api/v1/contacts/${c.id}`, headers: bearer(token) })).statusCode).toBe(404);
    expect((await t.app.inject({ url: '/api/v1/contacts?q=gone', headers: bearer(token) })).json().items).toHaveLength(0);
  });

  it('refuses bad input with problem+json and keeps no half record', async () => {
    const { token } = await session();
    const bad = await post(token, '/api/v1/contacts', { firstName: 'A', emails: ['not-an-address'] });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().code).toBe('invalid_field');
    expect((await post(token, '/api/v1/contacts', {})).json().code).toBe('invalid_field');
    expect((await t.app.inject({ url: '/api/v1/contacts', headers: bearer(token) })).json().items).toHaveLength(0);
  });

  it("keeps another tenant's contacts and notes out of reach: 404, never 403", async () => {
    const a = await session();
    const b = await session();
    const theirs = (await post(b.token, '/api/v1/contacts', { firstName: 'Secret', lastName: 'Person', emails: ['secret@b.test'] })).json();
    const note = (await post(b.token, '/api/v1/notes', { contactId: theirs.id, body: 'private' })).json();
    for (const request of [
      { method: 'GET' as const, url: `/api/v1/contacts/${theirs.id}` },
      { method: 'PATCH' as const, url: `/api/v1/contacts/${theirs.id}`, payload: { firstName: 'Hijack' } },
      { method: 'DELETE' as const, url: `/api/v1/contacts/${theirs.id}` },
      { method: 'GET' as const, url: `/api/v1/notes/${note.id}` },
      { method: 'POST' as const, url: '/api/v1/notes', payload: { contactId: theirs.id, body: 'x' } },
      { method: 'GET' as const, url: `/api/v1/notes?contactId=${theirs.id}` },
    ]) {
      expect((await t.app.inject({ ...request, headers: bearer(a.token) })).statusCode).toBe(404);
    }
    expect((await t.app.inject({ url: '/api/v1/contacts?email=secret@b.test', headers: bearer(a.token) })).json().items).toHaveLength(0);
    expect((await t.app.inject({ url: `/api/v1/contacts/${theirs.id}`, headers: bearer(b.token) })).json().firstName).toBe('Secret');
  });

  it('makes an erased person unreadable everywhere: contact and notes', async () => {
    const { tt, token } = await session();
    const c = (await post(token, '/api/v1/contacts', { firstName: 'Erase', lastName: 'Me', emails: ['erase@example.test'] })).json();
    const n = (await post(token, '/api/v1/notes', { contactId: c.id, body: 'about them' })).json();
    const row = await t.handle.db.selectFrom('contacts').select('subject_id').where('id', '=', c.id).executeTakeFirstOrThrow();
    await eraseSubject(t.handle.db, t.keyring, tt.tenant.id, row.subject_id);
    expect((await t.app.inject({ url: `/api/v1/contacts/${c.id}`, headers: bearer(token) })).statusCode).toBe(404);
    expect((await t.app.inject({ url: `/api/v1/notes/${n.id}`, headers: bearer(token) })).statusCode).toBe(404);
    expect((await t.app.inject({ url: '/api/v1/contacts?email=erase@example.test', headers: bearer(token) })).json().items).toHaveLength(0);
    expect((await t.app.inject({ url: '/api/v1/contacts', headers: bearer(token) })).json().items).toHaveLength(0);
  });
});
