import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { crmSession } from '../../../test/crm.js';
import { useTestServer } from '../../../test/server.js';

// The recycle bin: hidden everywhere, restorable for 30 days, then purged with the person's key.

const t = useTestServer();

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
