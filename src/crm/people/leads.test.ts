import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { crmSession } from '../../../test/crm.js';
import { useTestServer } from '../../../test/server.js';

const t = useTestServer();

describe('leads', () => {
  it('creates from the minimal body, reads, changes with a version, lists and finds by e-mail and name prefix', async () => {
    const s = await crmSession(t);
    const res = await s.post('/api/v1/leads', { firstName: 'Jan', lastName: 'Jansen', emails: ['jan@jansen.test'], company: 'Jansen BV' });
    expect(res.statusCode).toBe(201);
    const lead = res.json();
    expect(lead).toMatchObject({
      firstName: 'Jan',
      lastName: 'Jansen',
      company: 'Jansen BV',
      status: 'new',
      rating: null,
      version: 1,
      ownerId: s.tt.admin.id,
    });
    expect((await s.get(`/api/v1/leads/${lead.id}`)).json()).toEqual(lead);

    const changed = await s.patch(`/api/v1/leads/${lead.id}`, { status: 'qualified', rating: 'hot', version: 1 });
    expect(changed.json()).toMatchObject({ status: 'qualified', rating: 'hot', version: 2 });
    const stale = await s.patch(`/api/v1/leads/${lead.id}`, { rating: 'cold', version: 1 });
    expect(stale.statusCode).toBe(409);
    expect(stale.json().code).toBe('version_conflict');

    await s.post('/api/v1/leads', { firstName: 'Piet', lastName: 'Pietersen', emails: ['piet@example.test'] });
    expect((await s.get('/api/v1/leads?email=JAN@jansen.test')).json().items.map((l: { id: string }) => l.id)).toEqual([lead.id]);
    expect((await s.get('/api/v1/leads?q=jan')).json().items.map((l: { id: string }) => l.id)).toEqual([lead.id]);
    expect((await s.get('/api/v1/leads?status=qualified')).json().items).toHaveLength(1);
    expect((await s.get('/api/v1/leads?sort=company')).json().items.map((l: { company: string | null }) => l.company)).toEqual([
      'Jansen BV',
      null,
    ]);

    expect((await s.del(`/api/v1/leads/${lead.id}`)).statusCode).toBe(204);
    expect((await s.get(`/api/v1/leads/${lead.id}`)).statusCode).toBe(404);
  });

  it('refuses bad input with a problem and a code', async () => {
    const s = await crmSession(t);
    for (const body of [
      { firstName: '' },
      { lastName: 'X', emails: ['nope'] },
      { lastName: 'X', status: 'converted' },
      { lastName: 'X', rating: 'lukewarm' },
      { lastName: 'X', birthday: '2024-02-30' },
    ]) {
      const res = await s.post('/api/v1/leads', body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json().code).toEqual(expect.any(String));
    }
  });

  it('converts into a contact of the same person, with an organization and a deal; notes follow; twice is refused', async () => {
    const s = await crmSession(t);
    const lead = (
      await s.post('/api/v1/leads', {
        firstName: 'Anna',
        lastName: 'de Vries',
        emails: ['anna@acme.test'],
        phones: ['+31 20 123 4567'],
        jobTitle: 'Buyer',
        company: 'Acme BV',
        tags: ['fair-2026'],
        lawfulBasis: 'legitimate_interests',
      })
    ).json();
    const note = (await s.post('/api/v1/notes', { leadId: lead.id, body: 'Met at the fair' })).json();

    const res = await s.post(`/api/v1/leads/${lead.id}/convert`, { deal: { amount: 250000, currency: 'EUR' } });
    expect(res.statusCode).toBe(200);
    const { contactId, organizationId, dealId, contact } = res.json();
    expect(contact).toMatchObject({
      id: contactId,
      subjectId: lead.subjectId,
      firstName: 'Anna',
      lastName: 'de Vries',
      jobTitle: 'Buyer',
      tags: ['fair-2026'],
      lawfulBasis: 'legitimate_interests',
      organizationId,
      leadId: lead.id,
    });
    expect((await s.get(`/api/v1/organizations/${organizationId}`)).json().name).toBe('Acme BV');
    expect((await s.get(`/api/v1/deals/${dealId}`)).json()).toMatchObject({
      amount: 250000,
      currency: 'EUR',
      contactIds: [contactId],
      organizationId,
    });

    // The same data subject: one key, so nothing was re-encrypted and erasure reaches both records.
    const subjects = await sql<{ n: string }>`select count(distinct subject_id) as n from (
      select subject_id from leads where id = ${lead.id} union all select subject_id from contacts where id = ${contactId}) s`.execute(
      t.handle.db,
    );
    expect(Number(subjects.rows[0]!.n)).toBe(1);
    expect((await s.get(`/api/v1/notes/${note.id}`)).json()).toMatchObject({ contactId, leadId: null, body: 'Met at the fair' });
    expect((await s.get(`/api/v1/contacts?email=anna@acme.test`)).json().items.map((c: { id: string }) => c.id)).toEqual([contactId]);

    const converted = (await s.get(`/api/v1/leads/${lead.id}`)).json();
    expect(converted).toMatchObject({
      status: 'converted',
      convertedContactId: contactId,
      convertedOrganizationId: organizationId,
      convertedDealId: dealId,
    });
    const again = await s.post(`/api/v1/leads/${lead.id}/convert`, {});
    expect(again.statusCode).toBe(409);
    expect(again.json().code).toBe('lead_already_converted');
    expect((await s.patch(`/api/v1/leads/${lead.id}`, { rating: 'hot' })).statusCode).toBe(409);
  });

  it('converts without a company into a lone contact, and reuses an organization of the same name', async () => {
    const s = await crmSession(t);
    const alone = (await s.post('/api/v1/leads', { firstName: 'Solo', lastName: 'Person' })).json();
    expect((await s.post(`/api/v1/leads/${alone.id}/convert`)).json()).toMatchObject({ organizationId: null, dealId: null });

    const org = (await s.post('/api/v1/organizations', { name: 'Jansen BV' })).json();
    const lead = (await s.post('/api/v1/leads', { lastName: 'Jansen', company: 'jansen bv' })).json();
    expect((await s.post(`/api/v1/leads/${lead.id}/convert`, {})).json().organizationId).toBe(org.id);
  });
});
