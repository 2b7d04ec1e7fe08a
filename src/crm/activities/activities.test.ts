import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { bearer, login, signInAdmin } from '../../../test/auth.js';
import { createTestTenant, type TestTenant } from '../../../test/factories.js';
import { useTestServer } from '../../../test/server.js';
import { authenticate } from '../../identity/identity.service.js';
import { recordsSubjectId } from '../../keys/keys.service.js';
import { eraseSubject } from '../../key-lifecycle/shredding.js';
import { restoreFromBin } from '../recycle-bin/recycle-bin.service.js';

const t = useTestServer();

async function session() {
  const tt = await createTestTenant(t.handle.db);
  return { tt, token: await signInAdmin(t.app, tt) };
}

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';
function call(token: string, method: Method, url: string, payload?: object, headers: Record<string, string> = {}) {
  return t.app.inject({ method, url, headers: { ...bearer(token), ...headers }, ...(payload ? { payload } : {}) });
}
const post = (token: string, url: string, payload: object) => call(token, 'POST', url, payload);
const patch = (token: string, url: string, payload: object, headers: Record<string, string> = {}) =>
  call(token, 'PATCH', url, payload, headers);
const get = (token: string, url: string) => call(token, 'GET', url);

const marker = (kind: string) => `zq${kind}${randomBytes(5).toString('hex')}`;
const hours = (n: number) => new Date(Date.now() + n * 3600_000).toISOString();

interface Activity {
  id: string;
  subject: string;
  description: string | null;
  dueAt: string | null;
  done: boolean;
  doneAt: string | null;
  assigneeId: string;
  [key: string]: unknown;
}

async function activity(token: string, body: object = {}): Promise<Activity> {
  const res = await post(token, '/api/v1/activities', { type: 'task', subject: 'Do it', ...body });
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

/** A second user of the tenant, signed in. */
async function colleague(tt: TestTenant, adminToken: string): Promise<{ id: string; token: string }> {
  const email = `rep-${randomBytes(3).toString('hex')}@${tt.tenant.slug}.test`;
  const password = `Rep-${randomBytes(9).toString('base64url')}`;
  const user = (await post(adminToken, '/api/v1/users', { email, name: 'Rep', password })).json();
  const res = await login(t.app, { tenant: tt.tenant.slug, email, password });
  expect(res.statusCode, res.body).toBe(200);
  return { id: user.id, token: res.json().token };
}

async function allPages(token: string, url: string, between?: (page: number) => Promise<void>): Promise<Activity[]> {
  const items: Activity[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 100; page++) {
    const res = await get(token, `${url}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    expect(res.statusCode, res.body).toBe(200);
    const body: { items: Activity[]; nextCursor: string | null } = res.json();
    items.push(...body.items);
    cursor = body.nextCursor;
    if (!cursor) return items;
    await between?.(page);
  }
  throw new Error('too many pages');
}

describe('activities', () => {
  it('creates from { type, subject, dueAt }, assigned to the creator, then marks it done, changes and deletes it', async () => {
    const { tt, token } = await session();
    const dueAt = '2030-03-14T16:00:00.000Z';
    const res = await post(token, '/api/v1/activities', { type: 'task', subject: 'Send the quote', dueAt });
    expect(res.statusCode).toBe(201);
    const created = res.json();
    expect(created).toMatchObject({
      type: 'task',
      subject: 'Send the quote',
      description: null,
      dueAt,
      done: false,
      doneAt: null,
      assigneeId: tt.admin.id,
      ownerId: tt.admin.id,
      contactId: null,
      leadId: null,
      organizationId: null,
      dealId: null,
      version: 1,
    });
    const got = await get(token, `/api/v1/activities/${created.id}`);
    expect(got.json()).toEqual(created);
    expect(got.headers.etag).toBe('"1"');
    const done = (await patch(token, `/api/v1/activities/${created.id}`, { done: true }, { 'if-match': '1' })).json();
    expect(done).toMatchObject({ done: true, version: 2 });
    expect(done.doneAt).toEqual(expect.any(String));
    const meeting = (
      await patch(token, `/api/v1/activities/${created.id}`, {
        type: 'meeting',
        startAt: '2030-03-15T09:00:00Z',
        endAt: '2030-03-15T10:00:00Z',
        description: 'Agenda: pricing',
        version: 2,
      })
    ).json();
    expect(meeting).toMatchObject({
      type: 'meeting',
      startAt: '2030-03-15T09:00:00.000Z',
      endAt: '2030-03-15T10:00:00.000Z',
      description: 'Agenda: pricing',
      doneAt: done.doneAt,
    });
    const undone = (await patch(token, `/api/v1/activities/${created.id}`, { done: false })).json();
    expect(undone).toMatchObject({ done: false, doneAt: null });
    const stale = await patch(token, `/api/v1/activities/${created.id}`, { subject: 'Lost', version: 1 });
    expect(stale.statusCode).toBe(409);
    expect(stale.json().code).toBe('version_conflict');
    expect((await call(token, 'DELETE', `/api/v1/activities/${created.id}`)).statusCode).toBe(204);
    expect((await get(token, `/api/v1/activities/${created.id}`)).statusCode).toBe(404);
    expect((await get(token, '/api/v1/activities')).json().items).toHaveLength(0);
  });

  it('refuses bad input with problem+json and a code', async () => {
    const { token } = await session();
    const cases: Array<[object, string]> = [
      [{ type: 'lunch' }, 'validation_failed'],
      [{ subject: '' }, 'validation_failed'],
      [{ subject: 'x'.repeat(301) }, 'validation_failed'],
      [{ subject: '   ' }, 'invalid_field'],
      [{ dueAt: 'tomorrow' }, 'validation_failed'],
      [{ dueAt: '2030-02-30T10:00:00Z' }, 'validation_failed'],
      [{ startAt: '2030-01-02T10:00:00Z', endAt: '2030-01-02T09:00:00Z' }, 'invalid_field'],
      [{ assigneeId: '01900000-0000-7000-8000-000000000000' }, 'invalid_field'],
      [{ contactId: '01900000-0000-7000-8000-000000000000' }, 'invalid_field'],
      [{ dealId: '01900000-0000-7000-8000-000000000000' }, 'invalid_field'],
      [{ extra: 1 }, 'validation_failed'],
    ];
    for (const [body, code] of cases) {
      const res = await post(token, '/api/v1/activities', { type: 'task', subject: 'Bad', ...body });
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json().code, JSON.stringify(body)).toBe(code);
    }
    expect((await get(token, '/api/v1/activities')).json().items).toHaveLength(0);
  });

  it('links a contact, lead, organization and deal of the tenant; deleted ones are refused by name', async () => {
    const { token } = await session();
    const contact = (await post(token, '/api/v1/contacts', { firstName: 'Ann', lastName: 'Link' })).json();
    const lead = (await post(token, '/api/v1/leads', { firstName: 'Lee', lastName: 'Lead', emails: ['lee@example.test'] })).json();
    const org = (await post(token, '/api/v1/organizations', { name: 'Link Org' })).json();
    const deal = (await post(token, '/api/v1/deals', { title: 'Link deal', amount: 1, currency: 'EUR' })).json();
    const a = await activity(token, { type: 'call', contactId: contact.id, leadId: lead.id, organizationId: org.id, dealId: deal.id });
    expect(a).toMatchObject({ contactId: contact.id, leadId: lead.id, organizationId: org.id, dealId: deal.id });
    for (const [field, value] of [
      ['contactId', contact.id],
      ['leadId', lead.id],
      ['organizationId', org.id],
      ['dealId', deal.id],
    ] as const) {
      const list = (await get(token, `/api/v1/activities?${field}=${value}`)).json().items;
      expect(
        list.map((x: Activity) => x.id),
        field,
      ).toEqual([a.id]);
    }
    const unlinked = (await patch(token, `/api/v1/activities/${a.id}`, { organizationId: null, dealId: null })).json();
    expect(unlinked).toMatchObject({ organizationId: null, dealId: null, contactId: contact.id });
    await call(token, 'DELETE', `/api/v1/deals/${deal.id}`);
    await call(token, 'DELETE', `/api/v1/leads/${lead.id}`);
    for (const [field, value] of [
      ['dealId', deal.id],
      ['leadId', lead.id],
    ] as const) {
      const res = await post(token, '/api/v1/activities', { type: 'task', subject: 'x', [field]: value });
      expect(res.statusCode, field).toBe(400);
      expect(res.json().code).toBe('invalid_field');
      expect(res.json().detail).toContain(field);
    }
  });

  it('keeps descriptions out of plaintext: sealed under the linked person, else the tenant records key', async () => {
    const { tt, token } = await session();
    const secret = marker('desc');
    const contact = (await post(token, '/api/v1/contacts', { firstName: 'Ann', lastName: 'Sealed' })).json();
    const onPerson = await activity(token, { subject: 'Call Ann', description: `She mentioned ${secret}`, contactId: contact.id });
    const onNobody = await activity(token, { subject: 'Plan', description: `Internal ${secret}` });
    expect(onPerson.description).toBe(`She mentioned ${secret}`);
    expect((await get(token, `/api/v1/activities/${onNobody.id}`)).json().description).toBe(`Internal ${secret}`);
    const raw = await sql<Record<string, unknown>>`select * from activities where tenant_id = ${tt.tenant.id}`.execute(t.handle.db);
    expect(raw.rows).toHaveLength(2);
    const dump = JSON.stringify(raw.rows, (_k, v: unknown) => (Buffer.isBuffer(v) ? v.toString('latin1') : v));
    expect(dump).not.toContain(secret);
    expect(raw.rows.every((r) => Buffer.isBuffer(r.description_enc))).toBe(true);
    const subjects = await sql<{ id: string; subject_id: string }>`
      select a.id, a.subject_id from activities a where a.tenant_id = ${tt.tenant.id}`.execute(t.handle.db);
    const contactSubject = await sql<{ subject_id: string }>`select subject_id from contacts where id = ${contact.id}`.execute(t.handle.db);
    const bySubject = new Map(subjects.rows.map((r) => [r.id, r.subject_id]));
    expect(bySubject.get(onPerson.id)).toBe(contactSubject.rows[0]!.subject_id);
    expect(bySubject.get(onNobody.id)).toBe(await recordsSubjectId(t.handle.db, t.keyring, tt.tenant.id));
    // Moving the activity to nobody re-seals it under the records key; it still reads back.
    const moved = (await patch(token, `/api/v1/activities/${onPerson.id}`, { contactId: null })).json();
    expect(moved.description).toBe(`She mentioned ${secret}`);
    const after = await sql<{ subject_id: string }>`select subject_id from activities where id = ${onPerson.id}`.execute(t.handle.db);
    expect(after.rows[0]!.subject_id).toBe(bySubject.get(onNobody.id));
  });

  it("loses the description with the person: erasing the contact's key leaves the activity without it", async () => {
    const { tt, token } = await session();
    const contact = (await post(token, '/api/v1/contacts', { firstName: 'Gone', lastName: 'Soon' })).json();
    const a = await activity(token, { subject: 'Follow up', description: 'private notes', contactId: contact.id });
    const subject = await sql<{ subject_id: string }>`select subject_id from contacts where id = ${contact.id}`.execute(t.handle.db);
    await eraseSubject(t.handle.db, t.keyring, tt.tenant.id, subject.rows[0]!.subject_id);
    expect((await get(token, `/api/v1/activities/${a.id}`)).json()).toMatchObject({ subject: 'Follow up', description: null });
  });

  it('answers "my open tasks" and what is overdue', async () => {
    const { tt, token } = await session();
    const rep = await colleague(tt, token);
    const late = await activity(token, { subject: 'late', dueAt: hours(-2) });
    const soon = await activity(token, { subject: 'soon', dueAt: hours(5) });
    const undated = await activity(token, { subject: 'undated' });
    const finished = await activity(token, { subject: 'finished late', dueAt: hours(-3) });
    await patch(token, `/api/v1/activities/${finished.id}`, { done: true });
    const theirs = await activity(token, { subject: 'rep late', dueAt: hours(-1), assigneeId: rep.id });
    await activity(rep.token, { subject: 'rep call', type: 'call' });
    const subjects = async (tok: string, query: string) =>
      (await get(tok, `/api/v1/activities?${query}`)).json().items.map((x: Activity) => x.subject);
    // Sorted by due date, undated last.
    expect(await subjects(token, 'mine=true&open=true')).toEqual(['late', 'soon', 'undated']);
    expect(await subjects(token, 'mine=true')).toEqual(['finished late', 'late', 'soon', 'undated']);
    expect(await subjects(token, 'overdue=true')).toEqual(['late', 'rep late']);
    expect(await subjects(token, 'mine=true&overdue=true')).toEqual(['late']);
    expect(await subjects(rep.token, 'mine=true&open=true')).toEqual(['rep late', 'rep call']);
    expect(await subjects(token, `assigneeId=${rep.id}`)).toEqual(['rep late', 'rep call']);
    expect(await subjects(token, 'type=call')).toEqual(['rep call']);
    expect(await subjects(token, `dueFrom=${encodeURIComponent(hours(-2.5))}&dueTo=${encodeURIComponent(hours(1))}`)).toEqual([
      'late',
      'rep late',
    ]);
    expect(await subjects(token, 'sort=-createdAt&limit=3')).toEqual(['rep call', 'rep late', 'finished late']);
    expect(theirs.assigneeId).toBe(rep.id);
    expect([late, soon, undated].every((x) => x.assigneeId === tt.admin.id)).toBe(true);
  });

  it('pages by due date without duplicates or skips while activities are inserted between pages', async () => {
    const { token } = await session();
    const original = new Set<string>();
    for (const h of [5, -1, 3, 3, 8, -4]) original.add((await activity(token, { subject: `orig ${h}`, dueAt: hours(h) })).id);
    for (let i = 0; i < 3; i++) original.add((await activity(token, { subject: `undated ${i}` })).id);
    let n = 0;
    const seen = await allPages(token, '/api/v1/activities?sort=dueAt&limit=2', async (page) => {
      if (page > 2) return;
      for (const h of [-10, 4, 100, null]) await activity(token, { subject: `new ${n++}`, ...(h === null ? {} : { dueAt: hours(h) }) });
    });
    const ids = seen.map((a) => a.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.filter((id) => original.has(id))).toHaveLength(original.size);
    const dues = seen.map((a) => (a.dueAt ? Date.parse(a.dueAt) : Infinity));
    expect(dues).toEqual([...dues].sort((x, y) => x - y));
    expect((await get(token, '/api/v1/activities?sort=subject')).statusCode).toBe(400);
  });

  it('restores from the recycle bin within 30 days only', async () => {
    const { token } = await session();
    const a = await activity(token, { subject: 'binned', description: 'kept' });
    await call(token, 'DELETE', `/api/v1/activities/${a.id}`);
    const actor = await authenticate(t.handle.db, { ...t.config, keyring: t.keyring }, token);
    await restoreFromBin(t.handle.db, t.keyring, actor, 'activities', a.id);
    expect((await get(token, `/api/v1/activities/${a.id}`)).json()).toMatchObject({
      subject: 'binned',
      description: 'kept',
      version: (a.version as number) + 2,
    });
    await expect(restoreFromBin(t.handle.db, t.keyring, actor, 'activities', a.id)).rejects.toMatchObject({ code: 'not_in_recycle_bin' });
    await call(token, 'DELETE', `/api/v1/activities/${a.id}`);
    await sql`update activities set deleted_at = now() - interval '31 days' where id = ${a.id}`.execute(t.handle.db);
    await expect(restoreFromBin(t.handle.db, t.keyring, actor, 'activities', a.id)).rejects.toMatchObject({ code: 'restore_expired' });
  });

  it("keeps another tenant's activities out of reach: 404 for every verb, and no linking to their records", async () => {
    const a = await session();
    const b = await session();
    const theirContact = (await post(b.token, '/api/v1/contacts', { firstName: 'B', lastName: 'Person' })).json();
    const theirOrg = (await post(b.token, '/api/v1/organizations', { name: 'B Org' })).json();
    const theirDeal = (await post(b.token, '/api/v1/deals', { title: 'B deal', amount: 1, currency: 'EUR' })).json();
    const theirLead = (await post(b.token, '/api/v1/leads', { firstName: 'B', lastName: 'Lead', emails: ['b@example.test'] })).json();
    const theirs = await activity(b.token, { subject: 'B task', description: 'b only', contactId: theirContact.id });
    for (const [method, payload] of [['GET'], ['PATCH', { subject: 'Hijack' }], ['DELETE']] as Array<[Method, object?]>) {
      const res = await call(a.token, method, `/api/v1/activities/${theirs.id}`, payload);
      expect(res.statusCode, method).toBe(404);
      expect(res.json().code).toBe('record_not_found');
    }
    for (const link of [
      { contactId: theirContact.id },
      { organizationId: theirOrg.id },
      { dealId: theirDeal.id },
      { leadId: theirLead.id },
      { assigneeId: b.tt.admin.id },
    ]) {
      const res = await post(a.token, '/api/v1/activities', { type: 'task', subject: 'Mine', ...link });
      expect(res.statusCode, JSON.stringify(link)).toBe(400);
      expect(res.json().code).toBe('invalid_field');
    }
    const mine = await activity(a.token, { subject: 'Mine' });
    expect((await patch(a.token, `/api/v1/activities/${mine.id}`, { contactId: theirContact.id })).statusCode).toBe(400);
    expect((await get(a.token, `/api/v1/activities?contactId=${theirContact.id}`)).json().items).toHaveLength(0);
    expect((await get(b.token, `/api/v1/activities/${theirs.id}`)).json()).toMatchObject({
      subject: 'B task',
      description: 'b only',
      version: 1,
    });
  });
});
