import { describe, expect, it } from 'vitest';
import { crmSession } from '../../test/crm.js';
import { useTestServer } from '../../test/server.js';

// Tenant isolation across every CRM module and verb.

const t = useTestServer();

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
