import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { auditEntries, crmSession, memberSession, type CrmSession } from '../../../test/crm.js';
import { useTestServer } from '../../../test/server.js';
import { addCalendarMonths, utcDate } from './due-date.js';

// Data-subject requests as cases: the flow received → verified → in progress →
// completed or refused, the legal clock and its extension, the list of open
// cases by due date, the e-mail lookup, sealing, permissions and the audit.

const t = useTestServer();

const email = (name = 'anneke') => `${name}-${randomBytes(4).toString('hex')}@example.test`;

async function contact(s: CrmSession, address = email()) {
  const res = await s.post('/api/v1/contacts', { firstName: 'Anneke', lastName: 'de Vries', emails: [address] });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { id: string; subjectId: string };
}

async function open(s: CrmSession, body: object) {
  const res = await s.post('/api/v1/privacy/requests', body);
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000);

describe('a data-subject request case', () => {
  it('runs received → verified → in progress → completed, each step with who and when, and leaves the open list', async () => {
    const s = await crmSession(t);
    const person = await contact(s);
    const created = await open(s, { type: 'access', contactId: person.id, receivedAt: '2026-11-30T09:00:00Z', channel: 'email' });
    expect(created).toMatchObject({
      type: 'access',
      status: 'received',
      channel: 'email',
      contactId: person.id,
      leadId: null,
      receivedAt: '2026-11-30T09:00:00.000Z',
      dueAt: '2026-12-30',
      originalDueAt: '2026-12-30',
      extensionMonths: 0,
      verification: null,
      nextSteps: ['verify', 'extend', 'refuse'],
      createdBy: s.tt.admin.id,
      version: 1,
    });
    expect(created.reference).toMatch(/^R-[0-9A-F]{8}$/);
    const id = created.id as string;

    const verified = await s.post(`/api/v1/privacy/requests/${id}/verify`, { method: 'id_document', note: 'Passport seen at the desk' });
    expect(verified.statusCode, verified.body).toBe(200);
    expect(verified.json()).toMatchObject({ status: 'verified', verification: { method: 'id_document', by: s.tt.admin.id } });
    expect(verified.json().nextSteps).toEqual(expect.arrayContaining(['start', 'complete', 'refuse']));

    const started = await s.post(`/api/v1/privacy/requests/${id}/start`, {});
    expect(started.json()).toMatchObject({ status: 'in_progress' });
    expect(started.json().startedAt).toEqual(expect.any(String));

    const note = await s.post(`/api/v1/privacy/requests/${id}/notes`, { text: 'Export put together from contacts and notes' });
    expect(note.statusCode, note.body).toBe(200);

    const completed = await s.post(`/api/v1/privacy/requests/${id}/complete`, { note: 'Sent the package by post' });
    expect(completed.json()).toMatchObject({ status: 'completed', closedBy: s.tt.admin.id, overdue: false, daysLeft: null, nextSteps: [] });

    const detail = (await s.get(`/api/v1/privacy/requests/${id}`)).json();
    expect(detail.steps.map((x: { action: string }) => x.action)).toEqual(['received', 'verified', 'started', 'noted', 'completed']);
    expect(detail.steps.map((x: { text: string | null }) => x.text)).toEqual([
      null,
      'Passport seen at the desk',
      null,
      'Export put together from contacts and notes',
      'Sent the package by post',
    ]);
    expect(detail.steps[1]).toMatchObject({
      fromStatus: 'received',
      toStatus: 'verified',
      actorUserId: s.tt.admin.id,
      details: { method: 'id_document' },
    });

    const openList = (await s.get('/api/v1/privacy/requests')).json();
    expect(openList.items.map((x: { id: string }) => x.id)).not.toContain(id);
    const closed = (await s.get('/api/v1/privacy/requests?status=completed')).json();
    expect(closed.items.map((x: { id: string }) => x.id)).toEqual([id]);
  });

  it('answers 409 invalid_transition for a step its status does not allow', async () => {
    const s = await crmSession(t);
    const { id } = await open(s, { type: 'erasure', contactId: (await contact(s)).id });
    for (const step of ['start', 'complete']) {
      const res = await s.post(`/api/v1/privacy/requests/${id}/${step}`, {});
      expect(res.statusCode, step).toBe(409);
      expect(res.json()).toMatchObject({ code: 'invalid_transition' });
    }
    expect((await s.post(`/api/v1/privacy/requests/${id}/verify`, { method: 'email_link' })).statusCode).toBe(200);
    const again = await s.post(`/api/v1/privacy/requests/${id}/verify`, { method: 'email_link' });
    expect(again.statusCode).toBe(409);
    expect(again.json().code).toBe('invalid_transition');

    const refused = await s.post(`/api/v1/privacy/requests/${id}/refuse`, {
      reason: 'We must keep the invoices for seven years',
      legalBasis: 'Art. 17(3)(b) legal obligation',
    });
    expect(refused.statusCode, refused.body).toBe(200);
    expect(refused.json()).toMatchObject({ status: 'refused', refusalLegalBasis: 'Art. 17(3)(b) legal obligation' });
    for (const [step, body] of [
      ['complete', {}],
      ['refuse', { reason: 'again' }],
      ['extend', { months: 1, reason: 'too late anyway' }],
    ] as const) {
      const res = await s.post(`/api/v1/privacy/requests/${id}/${step}`, body);
      expect(res.statusCode, step).toBe(409);
      expect(res.json().code).toBe('invalid_transition');
    }
    expect((await s.patch(`/api/v1/privacy/requests/${id}`, { assigneeId: s.tt.admin.id, version: 3 })).json().code).toBe(
      'invalid_transition',
    );
  });

  it('extends by at most two months in all, counted from receipt, and only within the first month', async () => {
    const s = await crmSession(t);
    const receivedAt = daysAgo(3);
    const { id } = await open(s, { type: 'portability', contactId: (await contact(s)).id, receivedAt: receivedAt.toISOString() });
    const day = utcDate(receivedAt);

    const once = await s.post(`/api/v1/privacy/requests/${id}/extend`, { months: 1, reason: 'Data spread over three systems' });
    expect(once.statusCode, once.body).toBe(200);
    expect(once.json()).toMatchObject({
      dueAt: addCalendarMonths(day, 2),
      originalDueAt: addCalendarMonths(day, 1),
      extensionMonths: 1,
      informPersonOfExtensionBy: addCalendarMonths(day, 1),
    });
    const twice = await s.post(`/api/v1/privacy/requests/${id}/extend`, { months: 1, reason: 'Still collecting' });
    expect(twice.json()).toMatchObject({ dueAt: addCalendarMonths(day, 3), extensionMonths: 2 });
    expect(twice.json().nextSteps).not.toContain('extend');

    const third = await s.post(`/api/v1/privacy/requests/${id}/extend`, { months: 1, reason: 'More' });
    expect(third.statusCode).toBe(409);
    expect(third.json().code).toBe('extension_limit');

    const fresh = await open(s, { type: 'access', contactId: (await contact(s)).id });
    expect((await s.post(`/api/v1/privacy/requests/${fresh.id}/extend`, { months: 2, reason: 'Complex' })).statusCode).toBe(200);
    expect((await s.post(`/api/v1/privacy/requests/${fresh.id}/extend`, { months: 1, reason: 'More' })).json().code).toBe(
      'extension_limit',
    );

    const tooLate = await open(s, { type: 'access', contactId: (await contact(s)).id, receivedAt: daysAgo(40).toISOString() });
    const late = await s.post(`/api/v1/privacy/requests/${tooLate.id}/extend`, { months: 1, reason: 'Forgot' });
    expect(late.statusCode).toBe(409);
    expect(late.json()).toMatchObject({ code: 'extension_too_late' });
    expect((await s.get(`/api/v1/privacy/requests/${tooLate.id}`)).json().extensionMonths).toBe(0);

    const detail = (await s.get(`/api/v1/privacy/requests/${id}`)).json();
    const extended = detail.steps.filter((x: { action: string }) => x.action === 'extended');
    expect(extended.map((x: { text: string }) => x.text)).toEqual(['Data spread over three systems', 'Still collecting']);
    expect(extended[0].details).toMatchObject({ months: 1, totalMonths: 1, informPersonBy: addCalendarMonths(day, 1) });
  });

  it('lists open cases by due date with overdue ones flagged, and filters by overdue and assignee', async () => {
    const s = await crmSession(t);
    const person = await contact(s);
    const recent = await open(s, { type: 'access', contactId: person.id, receivedAt: daysAgo(2).toISOString() });
    const old = await open(s, {
      type: 'objection',
      contactId: person.id,
      receivedAt: daysAgo(45).toISOString(),
      assigneeId: s.tt.admin.id,
    });
    const middle = await open(s, { type: 'rectification', contactId: person.id, receivedAt: daysAgo(10).toISOString() });

    const list = (await s.get('/api/v1/privacy/requests')).json();
    expect(list.items.map((x: { id: string }) => x.id)).toEqual([old.id, middle.id, recent.id]);
    expect(list.items.map((x: { overdue: boolean }) => x.overdue)).toEqual([true, false, false]);
    expect(list.items[0].daysLeft).toBeLessThan(0);

    expect((await s.get('/api/v1/privacy/requests?overdue=true')).json().items.map((x: { id: string }) => x.id)).toEqual([old.id]);
    expect((await s.get('/api/v1/privacy/requests?overdue=false')).json().items.map((x: { id: string }) => x.id)).toEqual([
      middle.id,
      recent.id,
    ]);
    expect((await s.get(`/api/v1/privacy/requests?assigneeId=${s.tt.admin.id}`)).json().items.map((x: { id: string }) => x.id)).toEqual([
      old.id,
    ]);

    const first = (await s.get('/api/v1/privacy/requests?limit=2')).json();
    expect(first.items).toHaveLength(2);
    const second = (await s.get(`/api/v1/privacy/requests?limit=2&cursor=${first.nextCursor}`)).json();
    expect(second.items.map((x: { id: string }) => x.id)).toEqual([recent.id]);
    expect(second.nextCursor).toBeNull();
    const forged = await s.get('/api/v1/privacy/requests?cursor=bm90LWEtY3Vyc29y');
    expect(forged.statusCode).toBe(400);
    expect(forged.json().code).toBe('invalid_cursor');
  });

  it('links an e-mail address to the one person who has it, and keeps the address sealed', async () => {
    const s = await crmSession(t);
    const address = email('femke');
    const person = await contact(s, address);
    const linked = await open(s, { type: 'access', email: address.toUpperCase(), channel: 'web_form' });
    expect(linked).toMatchObject({ contactId: person.id, leadId: null, hasEmail: true, email: address.toUpperCase() });

    const leadAddress = email('lead');
    const lead = (await s.post('/api/v1/leads', { firstName: 'Lena', lastName: 'Lead', emails: [leadAddress] })).json();
    expect(await open(s, { type: 'objection', email: leadAddress })).toMatchObject({ leadId: lead.id, contactId: null });

    const unknown = await open(s, { type: 'access', email: email('nobody') });
    expect(unknown).toMatchObject({ contactId: null, leadId: null, hasEmail: true });

    const shared = email('shared');
    await contact(s, shared);
    await contact(s, shared);
    expect(await open(s, { type: 'access', email: shared })).toMatchObject({ contactId: null, leadId: null });

    // The address is nowhere in the database in clear, nor the notes.
    await s.post(`/api/v1/privacy/requests/${unknown.id}/notes`, { text: 'Called back on 06-12345678' });
    const rows = await sql<{ text: string }>`select r::text as text from privacy_requests r where tenant_id = ${s.tt.tenant.id}
      union all select st::text from privacy_request_steps st where tenant_id = ${s.tt.tenant.id}`.execute(t.handle.db);
    const dump = rows.rows.map((r) => r.text).join('\n');
    expect(dump).not.toContain(address.split('@')[0]);
    expect(dump).not.toContain('nobody-');
    expect(dump).not.toContain('06-12345678');
    const sealed = await t.handle.db
      .selectFrom('privacy_requests')
      .select(['email_enc', 'seal_subject_id', 'subject_id'])
      .where('tenant_id', '=', s.tt.tenant.id)
      .where('id', '=', linked.id)
      .executeTakeFirstOrThrow();
    expect(sealed.email_enc?.includes(Buffer.from(address))).toBe(false);
    // Sealed under the person's own key: erasing them reaches the address too.
    expect(sealed.seal_subject_id).toBe(person.subjectId);
    expect(sealed.subject_id).toBe(person.subjectId);
  });

  it('records every step in the audit trail, naming the person', async () => {
    const s = await crmSession(t);
    const person = await contact(s);
    const { id } = await open(s, { type: 'restriction', contactId: person.id, note: 'Disputes the accuracy of the address' });
    await s.post(`/api/v1/privacy/requests/${id}/verify`, { method: 'known_contact_details' });
    await s.post(`/api/v1/privacy/requests/${id}/extend`, { months: 1, reason: 'Waiting for the old records' });
    await s.patch(`/api/v1/privacy/requests/${id}`, { assigneeId: s.tt.admin.id, version: 3 });
    await s.post(`/api/v1/privacy/requests/${id}/refuse`, { reason: 'The address is accurate' });
    await s.get(`/api/v1/privacy/requests/${id}`);

    const entries = await auditEntries(s, `entity=privacy_requests&entityId=${id}`);
    expect(entries.map((e) => e.action).sort()).toEqual([
      'privacy_request.assigned',
      'privacy_request.extended',
      'privacy_request.read',
      'privacy_request.received',
      'privacy_request.refused',
      'privacy_request.verified',
    ]);
    for (const e of entries) {
      expect(e.subjectIds).toEqual([person.subjectId]);
      expect(e.actor).toMatchObject({ kind: 'user', userId: s.tt.admin.id });
      expect(JSON.stringify(e.details)).not.toContain('accurate');
    }
    expect(entries.find((e) => e.action === 'privacy_request.refused')!.details).toMatchObject({ from: 'verified', to: 'refused' });
    // And the person's own trail shows them.
    const aboutPerson = await auditEntries(s, `contactId=${person.id}`);
    expect(aboutPerson.map((e) => e.action)).toContain('privacy_request.received');
  });

  it('assigns with the current version only, to active users of the tenant', async () => {
    const s = await crmSession(t);
    const { id } = await open(s, { type: 'access', contactId: (await contact(s)).id });
    const stale = await s.patch(`/api/v1/privacy/requests/${id}`, { assigneeId: s.tt.admin.id, version: 7 });
    expect(stale.statusCode).toBe(409);
    expect(stale.json().code).toBe('version_conflict');
    const other = await crmSession(t);
    const foreign = await s.patch(`/api/v1/privacy/requests/${id}`, { assigneeId: other.tt.admin.id, version: 1 });
    expect(foreign.statusCode).toBe(400);
    expect(foreign.json().code).toBe('assignee_invalid');
    const assigned = await s.patch(`/api/v1/privacy/requests/${id}`, { assigneeId: s.tt.admin.id, version: 1 });
    expect(assigned.json()).toMatchObject({ assigneeId: s.tt.admin.id, version: 2 });
    expect((await s.patch(`/api/v1/privacy/requests/${id}`, { assigneeId: null, version: 2 })).json().assigneeId).toBeNull();
  });

  it("is another tenant's secret: 404 for every path", async () => {
    const s = await crmSession(t);
    const { id } = await open(s, { type: 'access', contactId: (await contact(s)).id });
    const other = await crmSession(t);
    const read = await other.get(`/api/v1/privacy/requests/${id}`);
    expect(read.statusCode).toBe(404);
    expect(read.json().code).toBe('request_not_found');
    expect((await other.post(`/api/v1/privacy/requests/${id}/verify`, { method: 'other' })).statusCode).toBe(404);
    expect((await other.patch(`/api/v1/privacy/requests/${id}`, { assigneeId: null, version: 1 })).statusCode).toBe(404);
    expect((await other.get('/api/v1/privacy/requests?status=all')).json().items).toEqual([]);
    // Nor can a case be opened about another tenant's person.
    const theirs = await contact(s);
    const res = await other.post('/api/v1/privacy/requests', { type: 'access', contactId: theirs.id });
    expect(res.statusCode).toBe(404);
    expect(res.json().code).toBe('person_not_found');
  });

  it('needs privacy view to read and privacy edit to change: 403 otherwise', async () => {
    const s = await crmSession(t);
    const { id } = await open(s, { type: 'access', contactId: (await contact(s)).id });
    const standard = await memberSession(t, s);
    for (const res of [
      await standard.get('/api/v1/privacy/requests'),
      await standard.get(`/api/v1/privacy/requests/${id}`),
      await standard.post('/api/v1/privacy/requests', { type: 'access', email: email() }),
    ]) {
      expect(res.statusCode).toBe(403);
      expect(res.json().code).toBe('permission_denied');
    }
    const profile = (
      await s.post('/api/v1/profiles', { name: 'Privacy reader', permissions: { privacy: { view: true }, contacts: { view: true } } })
    ).json();
    const reader = await memberSession(t, s, { profileId: profile.id });
    expect((await reader.get(`/api/v1/privacy/requests/${id}`)).statusCode).toBe(200);
    expect((await reader.post(`/api/v1/privacy/requests/${id}/verify`, { method: 'other' })).statusCode).toBe(403);
    expect((await reader.post('/api/v1/privacy/requests', { type: 'access', email: email() })).statusCode).toBe(403);
  });

  it('refuses bad input with 400 and a code', async () => {
    const s = await crmSession(t);
    const person = await contact(s);
    const cases: Array<[object, string]> = [
      [{ type: 'deletion', contactId: person.id }, 'validation_failed'],
      [{ type: 'access' }, 'request_person_invalid'],
      [{ type: 'access', contactId: person.id, email: email() }, 'request_person_invalid'],
      [{ type: 'access', email: 'not an address' }, 'validation_failed'],
      [{ type: 'access', contactId: person.id, receivedAt: new Date(Date.now() + 86_400_000).toISOString() }, 'received_in_future'],
      [{ type: 'access', contactId: person.id, channel: 'pigeon' }, 'validation_failed'],
      [{ type: 'access', contactId: person.id, extra: true }, 'validation_failed'],
    ];
    for (const [body, code] of cases) {
      const res = await s.post('/api/v1/privacy/requests', body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json().code, JSON.stringify(body)).toBe(code);
    }
    const { id } = await open(s, { type: 'access', contactId: person.id });
    for (const [path, body] of [
      ['verify', { method: 'horoscope' }],
      ['extend', { months: 3, reason: 'x' }],
      ['extend', { months: 1 }],
      ['extend', { months: 1, reason: '' }],
      ['refuse', {}],
      ['notes', { text: '' }],
    ] as const) {
      const res = await s.post(`/api/v1/privacy/requests/${id}/${path}`, body);
      expect(res.statusCode, `${path} ${JSON.stringify(body)}`).toBe(400);
    }
    expect((await s.get('/api/v1/privacy/requests?limit=500')).statusCode).toBe(400);
    expect((await s.get('/api/v1/privacy/requests/not-a-uuid')).statusCode).toBe(400);
  });
});
