import { describe, expect, it } from 'vitest';
import { crmSession } from '../../../test/crm.js';
import { useTestServer } from '../../../test/server.js';

// The global search over people, companies and deals.

const t = useTestServer();

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
