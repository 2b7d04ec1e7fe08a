import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { auditEntries, crmSession, memberSession, type CrmSession } from '../../../test/crm.js';
import { useTestServer } from '../../../test/server.js';

// The breach register: the 72-hour deadline of Art. 33(1), overdue flags, the
// notification of the authority and the decision on informing the people.

const t = useTestServer();
const HOUR = 3_600_000;
const hoursAgo = (hours: number) => new Date(Date.now() - hours * HOUR).toISOString();

const breach = (detectedAt: string, extra: object = {}) => ({
  detectedAt,
  nature: 'A laptop with an unencrypted export of 120 customers was stolen from a car',
  categories: ['contact details', 'order history'],
  approxSubjects: 120,
  approxRecords: 340,
  consequences: 'Phishing aimed at the customers in the export',
  measures: 'Remote wipe requested; passwords of the sales team reset',
  ...extra,
});

async function record(s: CrmSession, body: object) {
  const res = await s.post('/api/v1/privacy/breaches', body);
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

describe('the breach register', () => {
  it('gives every breach its deadline, 72 hours after detection, and flags it overdue until the authority is told', async () => {
    const s = await crmSession(t);
    const created = await record(s, breach('2026-11-02T09:15:00Z', { subjectCategories: ['customers'] }));
    expect(created).toMatchObject({
      detectedAt: '2026-11-02T09:15:00.000Z',
      notifyAuthorityBy: '2026-11-05T09:15:00.000Z',
      status: 'open',
      categories: ['contact details', 'order history'],
      subjectCategories: ['customers'],
      approxSubjects: 120,
      approxRecords: 340,
      nature: expect.stringContaining('laptop'),
      authorityNotificationRequired: true,
      authorityNotifiedAt: null,
      subjectsInformed: null,
      overdue: true,
      notifiedLate: false,
      createdBy: s.tt.admin.id,
      version: 1,
    });
    const fresh = await record(s, breach(hoursAgo(10)));
    expect(fresh.overdue).toBe(false);
    expect(new Date(fresh.notifyAuthorityBy).getTime() - new Date(fresh.detectedAt).getTime()).toBe(72 * HOUR);
    const justPast = await record(s, breach(hoursAgo(73)));
    expect(justPast.overdue).toBe(true);

    const list = (await s.get('/api/v1/privacy/breaches')).json();
    expect(list.items.map((b: { id: string }) => b.id)).toEqual([fresh.id, justPast.id, created.id]);
    expect(list.items.map((b: { overdue: boolean }) => b.overdue)).toEqual([false, true, true]);
    const page = (await s.get('/api/v1/privacy/breaches?limit=2')).json();
    expect(
      (await s.get(`/api/v1/privacy/breaches?limit=2&cursor=${page.nextCursor}`)).json().items.map((b: { id: string }) => b.id),
    ).toEqual([created.id]);

    // Told within the 72 hours: no longer overdue, not late.
    const inTime = await s.patch(`/api/v1/privacy/breaches/${fresh.id}`, {
      authorityNotifiedAt: new Date().toISOString(),
      authorityReference: 'AP-2026-0042',
      status: 'contained',
      version: 1,
    });
    expect(inTime.statusCode, inTime.body).toBe(200);
    expect(inTime.json()).toMatchObject({
      overdue: false,
      notifiedLate: false,
      status: 'contained',
      authorityReference: 'AP-2026-0042',
      version: 2,
    });
  });

  it('asks the reasons for a late notification, for not notifying, and for the decision on informing the people', async () => {
    const s = await crmSession(t);
    const b = await record(s, breach(hoursAgo(100)));
    const late = { authorityNotifiedAt: new Date().toISOString(), version: 1 };
    const refused = await s.patch(`/api/v1/privacy/breaches/${b.id}`, late);
    expect(refused.statusCode).toBe(400);
    expect(refused.json().code).toBe('reason_required');
    const told = await s.patch(`/api/v1/privacy/breaches/${b.id}`, { ...late, delayReason: 'The scale only became clear on day four' });
    expect(told.json()).toMatchObject({ overdue: false, notifiedLate: true, delayReason: 'The scale only became clear on day four' });

    const noReason = await s.patch(`/api/v1/privacy/breaches/${b.id}`, { subjectsInformed: false, version: 2 });
    expect(noReason.statusCode).toBe(400);
    expect(noReason.json().code).toBe('reason_required');
    const decided = await s.patch(`/api/v1/privacy/breaches/${b.id}`, {
      subjectsInformed: false,
      informReason: 'The export was encrypted after all (Art. 34(3)(a))',
      measures: 'Remote wipe confirmed',
      version: 2,
    });
    expect(decided.statusCode, decided.body).toBe(200);
    expect(decided.json()).toMatchObject({
      subjectsInformed: false,
      informReason: 'The export was encrypted after all (Art. 34(3)(a))',
      subjectsInformedAt: null,
      measures: 'Remote wipe confirmed',
    });
    const informed = await s.patch(`/api/v1/privacy/breaches/${b.id}`, {
      subjectsInformed: true,
      informReason: 'High risk after all',
      version: 3,
    });
    expect(informed.json().subjectsInformedAt).toEqual(expect.any(String));

    const notRequired = await s.post('/api/v1/privacy/breaches', breach(hoursAgo(200), { authorityNotificationRequired: false }));
    expect(notRequired.statusCode).toBe(400);
    expect(notRequired.json().code).toBe('reason_required');
    const unlikelyRisk = await record(
      s,
      breach(hoursAgo(200), { authorityNotificationRequired: false, noNotificationReason: 'Encrypted device; key not lost' }),
    );
    expect(unlikelyRisk).toMatchObject({ overdue: false, noNotificationReason: 'Encrypted device; key not lost' });

    const stale = await s.patch(`/api/v1/privacy/breaches/${b.id}`, { measures: 'x', version: 1 });
    expect(stale.statusCode).toBe(409);
    expect(stale.json().code).toBe('version_conflict');
  });

  it('keeps its descriptions sealed and every change in the audit trail', async () => {
    const s = await crmSession(t);
    const b = await record(s, breach(hoursAgo(5)));
    await s.patch(`/api/v1/privacy/breaches/${b.id}`, { measures: 'Customers warned by letter', status: 'closed', version: 1 });
    const rows = await sql<{ text: string }>`select b::text as text from privacy_breaches b where tenant_id = ${s.tt.tenant.id}`.execute(
      t.handle.db,
    );
    expect(rows.rows[0]!.text).not.toContain('laptop');
    expect(rows.rows[0]!.text).not.toContain('warned by letter');
    const entries = await auditEntries(s, `entity=privacy_breaches&entityId=${b.id}`);
    expect(entries.map((e) => e.action).sort()).toEqual(['privacy_breach.recorded', 'privacy_breach.updated']);
    const update = entries.find((e) => e.action === 'privacy_breach.updated')!;
    expect(update.fields).toEqual(['measures', 'status']);
    expect(JSON.stringify(entries)).not.toContain('letter');
  });

  it('refuses bad input, other tenants and users without the privacy permission', async () => {
    const s = await crmSession(t);
    const b = await record(s, breach(hoursAgo(1)));
    for (const body of [
      { ...breach(hoursAgo(1)), approxSubjects: -1 },
      { ...breach(hoursAgo(1)), nature: '' },
      { ...breach(hoursAgo(1)), categories: Array.from({ length: 51 }, (_, i) => `category ${i}`) },
      { ...breach(hoursAgo(1)), detectedAt: 'yesterday' },
      { ...breach(hoursAgo(1)), status: 'solved' },
    ]) {
      const res = await s.post('/api/v1/privacy/breaches', body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
    }
    const future = await s.post('/api/v1/privacy/breaches', breach(new Date(Date.now() + 2 * HOUR).toISOString()));
    expect(future.json().code).toBe('breach_invalid');
    const occurredLater = await s.post('/api/v1/privacy/breaches', breach(hoursAgo(5), { occurredAt: hoursAgo(1) }));
    expect(occurredLater.json().code).toBe('breach_invalid');

    const other = await crmSession(t);
    expect((await other.get(`/api/v1/privacy/breaches/${b.id}`)).json().code).toBe('breach_not_found');
    expect((await other.patch(`/api/v1/privacy/breaches/${b.id}`, { measures: 'x', version: 1 })).statusCode).toBe(404);
    expect((await other.get('/api/v1/privacy/breaches')).json().items).toEqual([]);

    const standard = await memberSession(t, s);
    expect((await standard.get('/api/v1/privacy/breaches')).statusCode).toBe(403);
    expect((await standard.post('/api/v1/privacy/breaches', breach(hoursAgo(1)))).statusCode).toBe(403);
    expect((await standard.get(`/api/v1/privacy/breaches/${b.id}`)).statusCode).toBe(403);
  });
});
