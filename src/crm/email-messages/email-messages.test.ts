import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { bearer, signInAdmin } from '../../../test/auth.js';
import { createTestTenant } from '../../../test/factories.js';
import { useTestServer } from '../../../test/server.js';
import { recordsSubjectId } from '../../keys/keys.service.js';
import { eraseSubject } from '../../key-lifecycle/shredding.js';

const t = useTestServer();

async function session() {
  const tt = await createTestTenant(t.handle.db);
  return { tt, token: await signInAdmin(t.app, tt) };
}

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';
function call(token: string, method: Method, url: string, payload?: object) {
  return t.app.inject({ method, url, headers: bearer(token), ...(payload ? { payload } : {}) });
}
const post = (token: string, url: string, payload: object) => call(token, 'POST', url, payload);
const get = (token: string, url: string) => call(token, 'GET', url);

const marker = (kind: string) => `zq${kind}${randomBytes(5).toString('hex')}`;

interface Mail {
  id: string;
  subject: string;
  body: string;
  sentAt: string;
  [key: string]: unknown;
}

function mail(overrides: object = {}) {
  return {
    direction: 'outbound',
    from: 'Sam Sales <sam@seller.example>',
    to: ['ann@acme.example'],
    subject: 'Your quote',
    body: 'Hello Ann, the quote is attached.',
    sentAt: '2025-03-01T09:30:00Z',
    ...overrides,
  };
}

async function logged(token: string, body: object): Promise<Mail> {
  const res = await post(token, '/api/v1/email-messages', mail(body));
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

describe('logged e-mail messages', () => {
  it('logs a mail on a contact, reads it back, lists it by contact and deal, and deletes it', async () => {
    const { tt, token } = await session();
    const contact = (await post(token, '/api/v1/contacts', { firstName: 'Ann', lastName: 'Acme' })).json();
    const deal = (await post(token, '/api/v1/deals', { title: 'Acme deal', amount: 1, currency: 'EUR' })).json();
    const res = await post(token, '/api/v1/email-messages', mail({ contactId: contact.id, dealId: deal.id }));
    expect(res.statusCode).toBe(201);
    const created = res.json();
    expect(created).toMatchObject({
      direction: 'outbound',
      from: 'Sam Sales <sam@seller.example>',
      to: ['ann@acme.example'],
      subject: 'Your quote',
      body: 'Hello Ann, the quote is attached.',
      sentAt: '2025-03-01T09:30:00.000Z',
      contactId: contact.id,
      dealId: deal.id,
      loggedBy: tt.admin.id,
    });
    expect((await get(token, `/api/v1/email-messages/${created.id}`)).json()).toEqual(created);
    const reply = await logged(token, {
      direction: 'inbound',
      from: 'ann@acme.example',
      to: ['sam@seller.example'],
      sentAt: '2025-03-02T08:00:00Z',
      contactId: contact.id,
    });
    const onlyDeal = await logged(token, { dealId: deal.id, sentAt: '2025-02-01T08:00:00Z' });
    const ids = async (query: string) => (await get(token, `/api/v1/email-messages?${query}`)).json().items.map((m: Mail) => m.id);
    // Newest first.
    expect(await ids(`contactId=${contact.id}`)).toEqual([reply.id, created.id]);
    expect(await ids(`dealId=${deal.id}`)).toEqual([created.id, onlyDeal.id]);
    expect(await ids('')).toEqual([reply.id, created.id, onlyDeal.id]);
    // Pages follow each other without a gap.
    const first = (await get(token, '/api/v1/email-messages?limit=2')).json();
    const second = (await get(token, `/api/v1/email-messages?limit=2&cursor=${first.nextCursor}`)).json();
    expect([...first.items, ...second.items].map((m: Mail) => m.id)).toEqual([reply.id, created.id, onlyDeal.id]);
    expect(second.nextCursor).toBeNull();
    expect((await call(token, 'DELETE', `/api/v1/email-messages/${created.id}`)).statusCode).toBe(204);
    expect((await get(token, `/api/v1/email-messages/${created.id}`)).statusCode).toBe(404);
    expect(await ids(`contactId=${contact.id}`)).toEqual([reply.id]);
    // A logged mail is a record of what was said: it cannot be edited.
    expect((await call(token, 'PATCH', `/api/v1/email-messages/${reply.id}`, { body: 'rewritten' })).statusCode).toBe(405);
  });

  it('stores no part of a mail in plaintext; the key is the contact’s, or the records key for a deal alone', async () => {
    const { tt, token } = await session();
    const contact = (await post(token, '/api/v1/contacts', { firstName: 'Ann', lastName: 'Sealed' })).json();
    const deal = (await post(token, '/api/v1/deals', { title: 'Sealed deal', amount: 1, currency: 'EUR' })).json();
    const needles = { from: marker('from'), to: marker('to'), subject: marker('subj'), body: marker('body') };
    const body = {
      from: `${needles.from}@example.test`,
      to: [`${needles.to}@example.test`],
      subject: `Re: ${needles.subject}`,
      body: `Dear Ann, ${needles.body}`,
    };
    const onContact = await logged(token, { ...body, contactId: contact.id });
    const onDeal = await logged(token, { ...body, dealId: deal.id });
    expect(onContact).toMatchObject({ body: `Dear Ann, ${needles.body}`, to: [`${needles.to}@example.test`] });
    const raw = await sql<Record<string, unknown>>`select * from email_messages where tenant_id = ${tt.tenant.id}`.execute(t.handle.db);
    expect(raw.rows).toHaveLength(2);
    const dump = JSON.stringify(raw.rows, (_k, v: unknown) => (Buffer.isBuffer(v) ? v.toString('latin1') : v));
    for (const needle of Object.values(needles)) expect(dump).not.toContain(needle);
    const contactSubject = (
      await sql<{ subject_id: string }>`select subject_id from contacts where id = ${contact.id}`.execute(t.handle.db)
    ).rows[0]!.subject_id;
    const keyOf = new Map(raw.rows.map((r) => [r.id as string, r.subject_id as string]));
    expect(keyOf.get(onContact.id)).toBe(contactSubject);
    expect(keyOf.get(onDeal.id)).toBe(await recordsSubjectId(t.handle.db, t.keyring, tt.tenant.id));
    // Erasing the person makes their mails unreadable: gone from reads and lists.
    await eraseSubject(t.handle.db, t.keyring, tt.tenant.id, contactSubject);
    expect((await get(token, `/api/v1/email-messages/${onContact.id}`)).statusCode).toBe(404);
    expect((await get(token, '/api/v1/email-messages')).json().items.map((m: Mail) => m.id)).toEqual([onDeal.id]);
  });

  it('refuses mails without a record, with bad addresses or links, as problem+json with a code', async () => {
    const { token } = await session();
    const contact = (await post(token, '/api/v1/contacts', { firstName: 'Ann', lastName: 'Valid' })).json();
    const cases: Array<[object, string]> = [
      [{}, 'invalid_field'],
      [{ contactId: contact.id, from: 'not an address' }, 'invalid_field'],
      [{ contactId: contact.id, to: ['ann@acme.example', 'nobody'] }, 'invalid_field'],
      [{ contactId: contact.id, to: [] }, 'validation_failed'],
      [{ contactId: contact.id, direction: 'sideways' }, 'validation_failed'],
      [{ contactId: contact.id, sentAt: 'last tuesday' }, 'validation_failed'],
      [{ contactId: '01900000-0000-7000-8000-000000000000' }, 'invalid_field'],
      [{ dealId: '01900000-0000-7000-8000-000000000000' }, 'invalid_field'],
      [{ contactId: contact.id, cc: ['x@example.test'] }, 'validation_failed'],
    ];
    for (const [body, code] of cases) {
      const res = await post(token, '/api/v1/email-messages', mail(body));
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json().code, JSON.stringify(body)).toBe(code);
    }
    await call(token, 'DELETE', `/api/v1/contacts/${contact.id}`);
    const deleted = await post(token, '/api/v1/email-messages', mail({ contactId: contact.id }));
    expect(deleted.json()).toMatchObject({ status: 400, code: 'invalid_field' });
    expect(deleted.json().detail).toContain('contactId');
    expect((await get(token, '/api/v1/email-messages')).json().items).toHaveLength(0);
  });

  it("keeps another tenant's mails out of reach: 404 for every verb, and no logging on their records", async () => {
    const a = await session();
    const b = await session();
    const theirContact = (await post(b.token, '/api/v1/contacts', { firstName: 'B', lastName: 'Person' })).json();
    const theirDeal = (await post(b.token, '/api/v1/deals', { title: 'B deal', amount: 1, currency: 'EUR' })).json();
    const theirs = await logged(b.token, { contactId: theirContact.id, body: 'for B only' });
    for (const method of ['GET', 'DELETE'] as const) {
      const res = await call(a.token, method, `/api/v1/email-messages/${theirs.id}`);
      expect(res.statusCode, method).toBe(404);
      expect(res.json().code).toBe('record_not_found');
    }
    for (const link of [{ contactId: theirContact.id }, { dealId: theirDeal.id }]) {
      const res = await post(a.token, '/api/v1/email-messages', mail(link));
      expect(res.statusCode, JSON.stringify(link)).toBe(400);
      expect(res.json().code).toBe('invalid_field');
    }
    // Filtering by a contact one cannot see is asking about it: it does not exist for them.
    expect((await get(a.token, `/api/v1/email-messages?contactId=${theirContact.id}`)).statusCode).toBe(404);
    expect((await get(b.token, `/api/v1/email-messages/${theirs.id}`)).json()).toMatchObject({ body: 'for B only' });
  });
});
