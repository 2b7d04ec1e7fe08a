import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { auditEntries, crmSession, memberSession, type CrmSession } from '../../../test/crm.js';
import { useTestServer } from '../../../test/server.js';

// Purposes and their notices over HTTP: the rules a DPO relies on (lawful basis,
// the LIA for legitimate interests, versioned notices with their hash), who may
// see and change them, and that every change is in the audit trail.

const t = useTestServer();

const LIA = {
  purposeTest: 'Keeping existing customers informed of service changes is a genuine business interest.',
  necessityTest: 'E-mail to the address they gave us is the least intrusive way.',
  balancingTest: 'Customers expect it; an opt-out is in every message.',
  outcome: 'Proceed with opt-out.',
  reviewer: 'DPO',
  reviewedAt: '2026-11-30',
};
const sha = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

async function newsletter(s: CrmSession, extra: object = {}) {
  return s.post('/api/v1/privacy/purposes', {
    name: 'Newsletter',
    lawfulBasis: 'consent',
    dataCategories: ['name', 'e-mail address'],
    retentionDays: 730,
    marketing: true,
    notice: { language: 'en', text: 'We send you our newsletter monthly.' },
    ...extra,
  });
}

describe('purposes', () => {
  it('are created with a notice, listed active first, read, changed with a version and retired (never deleted)', async () => {
    const s = await crmSession(t);
    const created = await newsletter(s, { recipients: ['Mail relay'], description: 'Monthly news' });
    expect(created.statusCode, created.body).toBe(201);
    const purpose = created.json();
    expect(purpose).toMatchObject({
      name: 'Newsletter',
      lawfulBasis: 'consent',
      dataCategories: ['name', 'e-mail address'],
      retentionDays: 730,
      recipients: ['Mail relay'],
      transfers: [],
      marketing: true,
      status: 'active',
      lia: null,
      version: 1,
      hasNotice: { en: true, nl: false },
    });
    expect(purpose.notices).toEqual([
      expect.objectContaining({ language: 'en', version: 1, sha256: sha('We send you our newsletter monthly.') }),
    ]);

    const billing = await s.post('/api/v1/privacy/purposes', {
      name: 'Billing',
      lawfulBasis: 'contract',
      dataCategories: ['name', 'address'],
      retentionDays: 2555,
      transfers: [{ country: 'United States', safeguard: 'Standard contractual clauses' }],
    });
    expect(billing.statusCode, billing.body).toBe(201);
    expect(billing.json().hasNotice).toEqual({ en: false, nl: false });

    const retired = await s.patch(`/api/v1/privacy/purposes/${billing.json().id}`, { status: 'retired', version: 1 });
    expect(retired.statusCode, retired.body).toBe(200);
    expect(retired.json()).toMatchObject({ status: 'retired', version: 2 });

    const list = (await s.get('/api/v1/privacy/purposes')).json().items as Array<{ name: string; status: string }>;
    expect(list.map((p) => [p.name, p.status])).toEqual([
      ['Newsletter', 'active'],
      ['Billing', 'retired'],
    ]);
    expect((await s.get(`/api/v1/privacy/purposes/${billing.json().id}`)).json()).toMatchObject({ status: 'retired', signUpPath: null });
    expect((await s.get(`/api/v1/privacy/purposes/${purpose.id}`)).json().signUpPath).toBe(
      `/api/v1/public/${s.tt.tenant.slug}/subscribe?purpose=${purpose.id}`,
    );

    const stale = await s.patch(`/api/v1/privacy/purposes/${purpose.id}`, { retentionDays: 365, version: 5 });
    expect(stale.statusCode).toBe(409);
    expect(stale.json().code).toBe('version_conflict');
    const viaHeader = await s.patch(`/api/v1/privacy/purposes/${purpose.id}`, { retentionDays: 365 }, { 'if-match': '"1"' });
    expect(viaHeader.json()).toMatchObject({ retentionDays: 365, version: 2 });

    const dup = await newsletter(s, { name: 'NEWSLETTER' });
    expect(dup.statusCode).toBe(409);
    expect(dup.json().code).toBe('duplicate_name');
    const renamedOnto = await s.patch(`/api/v1/privacy/purposes/${billing.json().id}`, { name: 'newsletter' });
    expect(renamedOnto.json().code).toBe('duplicate_name');
    // There is no delete: a purpose is retired.
    expect((await s.del(`/api/v1/privacy/purposes/${purpose.id}`)).statusCode).toBe(405);

    const audit = await auditEntries(s, 'action=purpose.created');
    expect(audit.map((e) => e.entityId).sort()).toEqual([purpose.id, billing.json().id].sort());
    const updates = await auditEntries(s, 'action=purpose.updated');
    expect(updates).toHaveLength(2);
    expect(updates.find((e) => e.entityId === billing.json().id)?.details).toMatchObject({ status: 'retired', statusBefore: 'active' });
  });

  it('refuse a legitimate-interests purpose without a complete LIA, on create and on every way to make one active', async () => {
    const s = await crmSession(t);
    const base = { name: 'Service updates', lawfulBasis: 'legitimate_interests', dataCategories: ['e-mail address'], retentionDays: 365 };
    const none = await s.post('/api/v1/privacy/purposes', base);
    expect(none.statusCode).toBe(400);
    expect(none.json().code).toBe('lia_required');
    const partial = await s.post('/api/v1/privacy/purposes', { ...base, lia: { ...LIA, balancingTest: '  ' } });
    expect(partial.json()).toMatchObject({ status: 400, code: 'lia_required' });
    expect(partial.json().detail).toContain('balancingTest');
    const badDate = await s.post('/api/v1/privacy/purposes', { ...base, lia: { ...LIA, reviewedAt: 'last week' } });
    expect(badDate.json().code).toBe('lia_required');

    const ok = await s.post('/api/v1/privacy/purposes', { ...base, lia: LIA });
    expect(ok.statusCode, ok.body).toBe(201);
    expect(ok.json().lia).toEqual(LIA);
    const id = ok.json().id as string;

    // Keeping it active without its LIA is refused; retiring first, then removing it, is not.
    const drop = await s.patch(`/api/v1/privacy/purposes/${id}`, { lia: null });
    expect(drop.json().code).toBe('lia_required');
    const retired = await s.patch(`/api/v1/privacy/purposes/${id}`, { status: 'retired', lia: null });
    expect(retired.statusCode, retired.body).toBe(200);
    const reactivate = await s.patch(`/api/v1/privacy/purposes/${id}`, { status: 'active' });
    expect(reactivate.json().code).toBe('lia_required');

    // Switching another purpose's basis to legitimate interests needs the LIA too.
    const contract = await s.post('/api/v1/privacy/purposes', {
      name: 'Delivery',
      lawfulBasis: 'contract',
      dataCategories: ['address'],
      retentionDays: 90,
    });
    const cid = contract.json().id as string;
    const switched = await s.patch(`/api/v1/privacy/purposes/${cid}`, { lawfulBasis: 'legitimate_interests' });
    expect(switched.statusCode).toBe(400);
    expect(switched.json().code).toBe('lia_required');
    expect((await s.get(`/api/v1/privacy/purposes/${cid}`)).json()).toMatchObject({ lawfulBasis: 'contract', version: 1 });
    const withLia = await s.patch(`/api/v1/privacy/purposes/${cid}`, { lawfulBasis: 'legitimate_interests', lia: LIA });
    expect(withLia.json()).toMatchObject({ lawfulBasis: 'legitimate_interests', version: 2 });
    // A retired legitimate-interests purpose without an LIA may not come back without one.
    expect((await s.patch(`/api/v1/privacy/purposes/${id}`, { status: 'active', lia: LIA })).json().status).toBe('active');
  });

  it('keep every notice version per language with the SHA-256 of its exact text', async () => {
    const s = await crmSession(t);
    const purpose = (await newsletter(s)).json();
    const url = `/api/v1/privacy/purposes/${purpose.id}/notices`;
    const textV2 = 'We send you our newsletter monthly.\nUnsubscribe at any time — with one click.  ';
    const v2 = await s.post(url, { language: 'en', text: textV2 });
    expect(v2.statusCode, v2.body).toBe(201);
    expect(v2.json()).toEqual({
      id: expect.any(String),
      purposeId: purpose.id,
      language: 'en',
      version: 2,
      sha256: sha(textV2),
      createdAt: expect.any(String),
    });
    const nl = await s.post(url, { language: 'nl', text: 'Wij sturen je maandelijks onze nieuwsbrief.' });
    expect(nl.json()).toMatchObject({ language: 'nl', version: 1 });

    const all = (await s.get(url)).json().items as Array<{ language: string; version: number; text: string; sha256: string }>;
    expect(all.map((n) => `${n.language}${n.version}`)).toEqual(['nl1', 'en2', 'en1']);
    expect(all.find((n) => n.language === 'en' && n.version === 2)?.text).toBe(textV2);
    expect(all.find((n) => n.version === 1 && n.language === 'en')?.text).toBe('We send you our newsletter monthly.');
    const one = await s.get(`/api/v1/privacy/notices/${v2.json().id}`);
    expect(one.json()).toMatchObject({ text: textV2, sha256: sha(textV2), version: 2 });
    const read = (await s.get(`/api/v1/privacy/purposes/${purpose.id}`)).json();
    expect(read.hasNotice).toEqual({ en: true, nl: true });
    expect(read.notices.map((n: { language: string; version: number }) => `${n.language}${n.version}`)).toEqual(['en2', 'nl1']);

    const bad = await s.post(url, { language: 'de', text: 'Hallo' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().code).toBe('validation_failed');
    const blank = await s.post(url, { language: 'en', text: '   ' });
    expect(blank.json().code).toBe('purpose_invalid');

    // A retired purpose takes no new notice; its old ones stay readable.
    expect((await s.patch(`/api/v1/privacy/purposes/${purpose.id}`, { status: 'retired' })).statusCode).toBe(200);
    const late = await s.post(url, { language: 'en', text: 'Too late' });
    expect(late.statusCode).toBe(409);
    expect(late.json().code).toBe('purpose_retired');
    expect((await s.get(url)).json().items).toHaveLength(3);

    const published = await auditEntries(s, 'action=notice.published');
    expect(published).toHaveLength(3);
    expect(published.map((e) => e.details?.sha256)).toContain(sha(textV2));
  });

  it('answer 400 with a code for bad input', async () => {
    const s = await crmSession(t);
    const cases: Array<[object, string]> = [
      [{ name: 'X', lawfulBasis: 'because', dataCategories: ['a'], retentionDays: 1 }, 'validation_failed'],
      [{ name: 'X', lawfulBasis: 'consent', dataCategories: [], retentionDays: 1 }, 'validation_failed'],
      [{ name: 'X', lawfulBasis: 'consent', dataCategories: ['a'], retentionDays: 0 }, 'validation_failed'],
      [{ name: 'X', lawfulBasis: 'consent', dataCategories: ['a'], retentionDays: 10, extra: true }, 'validation_failed'],
      [{ name: '   ', lawfulBasis: 'consent', dataCategories: ['a'], retentionDays: 10 }, 'purpose_invalid'],
      [{ name: 'X', lawfulBasis: 'consent', dataCategories: ['  '], retentionDays: 10 }, 'purpose_invalid'],
      [
        { name: 'X', lawfulBasis: 'consent', dataCategories: ['a'], retentionDays: 10, transfers: [{ country: 'US' }] },
        'validation_failed',
      ],
    ];
    for (const [body, code] of cases) {
      const res = await s.post('/api/v1/privacy/purposes', body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json().code, JSON.stringify(body)).toBe(code);
    }
    expect((await s.get('/api/v1/privacy/purposes/not-a-uuid')).statusCode).toBe(400);
    expect((await s.get('/api/v1/privacy/purposes')).json().items).toEqual([]);
  });

  it('are invisible to another tenant and need the privacy permission: view to read, edit to change', async () => {
    const s = await crmSession(t);
    const purpose = (await newsletter(s)).json();
    const notice = purpose.notices[0];

    const other = await crmSession(t);
    expect((await other.get(`/api/v1/privacy/purposes/${purpose.id}`)).statusCode).toBe(404);
    expect((await other.get(`/api/v1/privacy/purposes/${purpose.id}/notices`)).statusCode).toBe(404);
    expect((await other.get(`/api/v1/privacy/notices/${notice.id}`)).statusCode).toBe(404);
    expect((await other.patch(`/api/v1/privacy/purposes/${purpose.id}`, { retentionDays: 1 })).json().code).toBe('purpose_not_found');
    expect((await other.post(`/api/v1/privacy/purposes/${purpose.id}/notices`, { language: 'en', text: 'x' })).statusCode).toBe(404);
    expect((await other.get('/api/v1/privacy/purposes')).json().items).toEqual([]);

    const rep = await memberSession(t, s); // the Standard profile: no privacy module
    expect((await rep.get('/api/v1/privacy/purposes')).statusCode).toBe(403);
    expect((await rep.get(`/api/v1/privacy/purposes/${purpose.id}`)).statusCode).toBe(403);
    expect((await newsletter(rep, { name: 'Mine' })).statusCode).toBe(403);

    const viewer = await s.post('/api/v1/profiles', { name: 'Privacy reader', permissions: { privacy: { view: true } } });
    const reader = await memberSession(t, s, { profileId: viewer.json().id });
    expect((await reader.get('/api/v1/privacy/purposes')).json().items).toHaveLength(1);
    expect((await reader.get(`/api/v1/privacy/notices/${notice.id}`)).statusCode).toBe(200);
    expect((await reader.patch(`/api/v1/privacy/purposes/${purpose.id}`, { retentionDays: 1 })).statusCode).toBe(403);
    expect((await reader.post(`/api/v1/privacy/purposes/${purpose.id}/notices`, { language: 'nl', text: 'x' })).statusCode).toBe(403);

    const editor = await s.post('/api/v1/profiles', { name: 'Privacy officer', permissions: { privacy: { view: true, edit: true } } });
    const dpo = await memberSession(t, s, { profileId: editor.json().id });
    expect((await dpo.patch(`/api/v1/privacy/purposes/${purpose.id}`, { retentionDays: 400 })).json().retentionDays).toBe(400);
  });
});
