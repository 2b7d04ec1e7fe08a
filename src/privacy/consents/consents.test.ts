import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { auditEntries, crmSession, memberSession, type CrmSession } from '../../../test/crm.js';
import { useTestServer } from '../../../test/server.js';
import { systemActor } from '../../audit/recorder.js';
import { newId } from '../../shared/ids.js';
import { recordConsentEvent } from '../ledger/consent.service.js';

// Consents on contacts and leads over HTTP: the state per purpose and the
// history with its proof, grants and withdrawals recorded by staff, the
// objection to direct marketing, who may read and record them, what the audit
// trail keeps, and that a lead's consents are the contact's after conversion.

const t = useTestServer();

interface Item {
  id: string;
  purposeId: string | null;
  purposeName: string | null;
  action: string;
  source: string;
  at: string;
  noticeHash: string | null;
  noticeVersion: number | null;
  noticeLanguage: string | null;
  ip: string | null;
  userAgent: string | null;
  recordedBy: string | null;
  recordedOn: { kind: string; id: string };
}
interface Consents {
  purposes: Array<{ id: string; name: string; lawfulBasis: string; marketing: boolean; status: string }>;
  current: Array<{ purposeId: string; purposeName: string | null; marketing: boolean; status: string; at: string; source: string }>;
  objectedToMarketingAt: string | null;
  items: Item[];
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/** A purpose inserted directly (the purposes API is another module's), with its notices. */
async function purpose(
  s: CrmSession,
  name: string,
  options: { marketing?: boolean; lawfulBasis?: 'consent' | 'contract'; notices?: Array<{ language: 'en' | 'nl'; text: string }> } = {},
) {
  const id = newId();
  await t.handle.db
    .insertInto('purposes')
    .values({
      tenant_id: s.tt.tenant.id,
      id,
      name,
      lawful_basis: options.lawfulBasis ?? 'consent',
      retention_days: 365,
      marketing: options.marketing ?? false,
      data_categories: '["contact details"]',
    })
    .execute();
  const notices: Array<{ id: string; sha256: string }> = [];
  for (const [i, n] of (options.notices ?? []).entries()) {
    const noticeId = newId();
    await t.handle.db
      .insertInto('privacy_notices')
      .values({
        tenant_id: s.tt.tenant.id,
        id: noticeId,
        purpose_id: id,
        language: n.language,
        version: i + 1,
        text: n.text,
        sha256: sha256(n.text),
      })
      .execute();
    notices.push({ id: noticeId, sha256: sha256(n.text) });
  }
  return { id, notices };
}

async function contact(s: CrmSession, body: object = {}) {
  const res = await s.post('/api/v1/contacts', { firstName: 'Cora', lastName: 'Consent', emails: ['cora@example.test'], ...body });
  expect(res.statusCode, res.body).toBe(201);
  return res.json<{ id: string; subjectId?: string }>();
}

async function consents(s: CrmSession, path: string): Promise<Consents> {
  const res = await s.get(`${path}/consents`);
  expect(res.statusCode, res.body).toBe(200);
  return res.json<Consents>();
}

describe('consents on a person', () => {
  it('shows the state per purpose and the history newest first, with the notice, source and who recorded it', async () => {
    const admin = await crmSession(t);
    const news = await purpose(admin, 'Newsletter', {
      marketing: true,
      notices: [
        { language: 'en', text: 'We send a monthly newsletter.' },
        { language: 'nl', text: 'We sturen een maandelijkse nieuwsbrief.' },
      ],
    });
    const delivery = await purpose(admin, 'Delivery', { lawfulBasis: 'contract' });
    const c = await contact(admin, { language: 'nl' });
    const path = `/api/v1/contacts/${c.id}`;

    expect(await consents(admin, path)).toEqual({
      purposes: [
        { id: delivery.id, name: 'Delivery', lawfulBasis: 'contract', marketing: false, status: 'active' },
        { id: news.id, name: 'Newsletter', lawfulBasis: 'consent', marketing: true, status: 'active' },
      ],
      current: [],
      objectedToMarketingAt: null,
      items: [],
    });

    const granted = await admin.post(`${path}/consents`, { purposeId: news.id, action: 'grant' });
    expect(granted.statusCode, granted.body).toBe(201);
    expect(granted.json().items).toEqual([
      expect.objectContaining({
        purposeId: news.id,
        purposeName: 'Newsletter',
        action: 'grant',
        source: 'staff',
        // The contact speaks Dutch: the Dutch notice is the one they were given.
        noticeHash: news.notices[1]!.sha256,
        noticeVersion: 2,
        noticeLanguage: 'nl',
        ip: null,
        userAgent: null,
        recordedBy: admin.tt.admin.id,
        recordedOn: { kind: 'contacts', id: c.id },
      }),
    ]);
    const byForm = await admin.post(`${path}/consents`, { purposeId: delivery.id, action: 'grant', source: 'form' });
    expect(byForm.statusCode, byForm.body).toBe(201);
    // A withdrawal received by phone or letter: recorded by staff.
    const withdrawn = await admin.post(`${path}/consents`, { purposeId: news.id, action: 'withdraw' });
    expect(withdrawn.statusCode, withdrawn.body).toBe(201);
    expect(withdrawn.json().items[0]).toMatchObject({ action: 'withdraw', source: 'staff', noticeHash: null });

    const seen = await consents(admin, path);
    expect(seen.objectedToMarketingAt).toBeNull();
    expect(seen.current).toHaveLength(2);
    expect(seen.current.find((s) => s.purposeId === news.id)).toMatchObject({
      purposeName: 'Newsletter',
      marketing: true,
      status: 'withdrawn',
      source: 'staff',
    });
    expect(seen.current.find((s) => s.purposeId === delivery.id)).toMatchObject({ status: 'granted', source: 'form', marketing: false });
    expect(seen.items.map((e) => [e.purposeName, e.action])).toEqual([
      ['Newsletter', 'withdraw'],
      ['Delivery', 'grant'],
      ['Newsletter', 'grant'],
    ]);
    for (const e of seen.items) expect(new Date(e.at).getTime()).not.toBeNaN();
    expect(seen.items[2]).toMatchObject({ noticeHash: news.notices[1]!.sha256, recordedBy: admin.tt.admin.id });
  });

  it('shows the proof of the person own act: IP address and user agent, kept encrypted', async () => {
    const admin = await crmSession(t);
    const news = await purpose(admin, 'Newsletter', { marketing: true, notices: [{ language: 'en', text: 'Newsletter notice' }] });
    const c = await contact(admin);
    const row = await t.handle.db.selectFrom('contacts').select('subject_id').where('id', '=', c.id).executeTakeFirstOrThrow();
    await recordConsentEvent(t.handle.db, t.keyring, {
      tenantId: admin.tt.tenant.id,
      subjectId: row.subject_id,
      person: { table: 'contacts', id: c.id },
      purposeId: news.id,
      action: 'confirm',
      source: 'double_opt_in',
      ip: '203.0.113.9',
      userAgent: 'Mozilla/5.0 (X11; Linux) Consent/1.0',
      actor: systemActor('double opt-in'),
    });
    const seen = await consents(admin, `/api/v1/contacts/${c.id}`);
    expect(seen.current).toEqual([expect.objectContaining({ purposeId: news.id, status: 'granted', source: 'double_opt_in' })]);
    expect(seen.items[0]).toMatchObject({
      action: 'confirm',
      source: 'double_opt_in',
      ip: '203.0.113.9',
      userAgent: 'Mozilla/5.0 (X11; Linux) Consent/1.0',
      noticeHash: news.notices[0]!.sha256,
      noticeVersion: 1,
      recordedBy: null,
    });
    const stored = await t.handle.db
      .selectFrom('consent_events')
      .select(['ip_enc', 'user_agent_enc'])
      .where('tenant_id', '=', admin.tt.tenant.id)
      .executeTakeFirstOrThrow();
    expect(Buffer.from(stored.ip_enc!).includes(Buffer.from('203.0.113.9'))).toBe(false);
    expect(Buffer.from(stored.user_agent_enc!).includes(Buffer.from('Consent/1.0'))).toBe(false);
  });

  it('records an objection to direct marketing: every marketing purpose withdrawn, staff grants refused with 409', async () => {
    const admin = await crmSession(t);
    const news = await purpose(admin, 'Newsletter', { marketing: true, notices: [{ language: 'en', text: 'N' }] });
    const offers = await purpose(admin, 'Offers', { marketing: true, notices: [{ language: 'en', text: 'O' }] });
    const service = await purpose(admin, 'Service messages', { notices: [{ language: 'en', text: 'S' }] });
    const c = await contact(admin);
    const path = `/api/v1/contacts/${c.id}`;
    for (const p of [news, offers, service])
      expect((await admin.post(`${path}/consents`, { purposeId: p.id, action: 'grant', source: 'api' })).statusCode).toBe(201);

    const objected = await admin.post(`${path}/consents`, { action: 'object' });
    expect(objected.statusCode, objected.body).toBe(201);
    const written = objected.json<{ items: Item[] }>().items;
    expect(written[0]).toMatchObject({ action: 'object', purposeId: null, purposeName: null, source: 'staff' });
    expect(
      written
        .slice(1)
        .map((e) => [e.action, e.purposeId])
        .sort(),
    ).toEqual(
      [
        ['withdraw', news.id],
        ['withdraw', offers.id],
      ].sort(),
    );

    const seen = await consents(admin, path);
    expect(seen.objectedToMarketingAt).not.toBeNull();
    expect(seen.current.find((s) => s.purposeId === news.id)?.status).toBe('withdrawn');
    expect(seen.current.find((s) => s.purposeId === offers.id)?.status).toBe('withdrawn');
    expect(seen.current.find((s) => s.purposeId === service.id)?.status).toBe('granted');

    for (const source of ['staff', 'api', 'form', 'import']) {
      const again = await admin.post(`${path}/consents`, { purposeId: news.id, action: 'grant', source });
      if (source === 'form') {
        // A form is the person's own act: their new opt-in stands above an old objection.
        expect(again.statusCode, again.body).toBe(201);
        continue;
      }
      expect(again.statusCode).toBe(409);
      expect(again.json()).toMatchObject({ code: 'marketing_objection' });
    }
    // A non-marketing purpose is not touched by the objection.
    expect((await admin.post(`${path}/consents`, { purposeId: service.id, action: 'withdraw' })).statusCode).toBe(201);
  });

  it('answers the ledger rules and bad input with problem codes', async () => {
    const admin = await crmSession(t);
    const c = await contact(admin);
    const url = `/api/v1/contacts/${c.id}/consents`;
    const noNotice = await purpose(admin, 'Profiling');
    const retired = await purpose(admin, 'Old list', { notices: [{ language: 'en', text: 'old' }] });
    await t.handle.db.updateTable('purposes').set({ status: 'retired' }).where('id', '=', retired.id).execute();
    const other = await purpose(admin, 'Other', { notices: [{ language: 'en', text: 'other' }] });
    const withNotice = await purpose(admin, 'Events', { notices: [{ language: 'en', text: 'events' }] });

    const cases: Array<[object, number, string]> = [
      [{ purposeId: newId(), action: 'grant' }, 404, 'purpose_not_found'],
      [{ purposeId: noNotice.id, action: 'grant' }, 400, 'notice_required'],
      [{ purposeId: retired.id, action: 'grant' }, 409, 'purpose_retired'],
      [{ purposeId: withNotice.id, action: 'grant', noticeId: other.notices[0]!.id }, 404, 'notice_not_found'],
      [{ action: 'grant' }, 400, 'consent_invalid'],
      [{ action: 'withdraw' }, 400, 'consent_invalid'],
      [{ action: 'object', purposeId: withNotice.id }, 400, 'consent_invalid'],
      [{ action: 'withdraw', purposeId: withNotice.id, noticeId: withNotice.notices[0]!.id }, 400, 'consent_invalid'],
      [{ purposeId: withNotice.id }, 400, 'validation_failed'],
      [{ purposeId: withNotice.id, action: 'confirm' }, 400, 'validation_failed'],
      // The person's own acts (double opt-in) come only through the public pages.
      [{ purposeId: withNotice.id, action: 'grant', source: 'double_opt_in' }, 400, 'validation_failed'],
      [{ purposeId: 'not-a-uuid', action: 'grant' }, 400, 'validation_failed'],
      [{ purposeId: withNotice.id, action: 'grant', ip: '198.51.100.1' }, 400, 'validation_failed'],
    ];
    for (const [body, status, code] of cases) {
      const res = await admin.post(url, body);
      expect([JSON.stringify(body), res.statusCode, res.json().code]).toEqual([JSON.stringify(body), status, code]);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
    // A withdrawal of a retired purpose is still recorded: withdrawing is always possible.
    expect((await admin.post(url, { purposeId: retired.id, action: 'withdraw' })).statusCode).toBe(201);
    expect((await consents(admin, `/api/v1/contacts/${c.id}`)).items).toHaveLength(1);
    expect((await admin.get(`/api/v1/contacts/not-a-uuid/consents`)).statusCode).toBe(400);
    expect((await admin.get(`/api/v1/contacts/${newId()}/consents`)).json()).toMatchObject({ code: 'record_not_found' });
  });

  it('is another tenant’s business: its people and purposes are not found', async () => {
    const a = await crmSession(t);
    const b = await crmSession(t);
    const news = await purpose(a, 'Newsletter', { notices: [{ language: 'en', text: 'N' }] });
    const theirs = await purpose(b, 'Theirs', { notices: [{ language: 'en', text: 'T' }] });
    const c = await contact(a);
    const lead = (await a.post('/api/v1/leads', { firstName: 'Lea', lastName: 'Lead', emails: [] })).json<{ id: string }>();
    for (const path of [`/api/v1/contacts/${c.id}`, `/api/v1/leads/${lead.id}`]) {
      expect((await b.get(`${path}/consents`)).statusCode).toBe(404);
      const posted = await b.post(`${path}/consents`, { purposeId: news.id, action: 'grant' });
      expect(posted.statusCode).toBe(404);
      expect((await b.post(`${path}/consents`, { action: 'object' })).statusCode).toBe(404);
      // Their own purpose on our person: the purpose does not exist here.
      const foreign = await a.post(`${path}/consents`, { purposeId: theirs.id, action: 'grant' });
      expect(foreign.statusCode).toBe(404);
      expect(foreign.json().code).toBe('purpose_not_found');
    }
    expect(
      await t.handle.db.selectFrom('consent_events').select('id').where('tenant_id', 'in', [a.tt.tenant.id, b.tt.tenant.id]).execute(),
    ).toEqual([]);
  });

  it('needs read access to see consents and edit access to record them', async () => {
    const admin = await crmSession(t);
    const news = await purpose(admin, 'Newsletter', { notices: [{ language: 'en', text: 'N' }] });
    const profile = async (permissions: object) => {
      const res = await admin.post('/api/v1/profiles', { name: `P-${newId().slice(-12)}`, permissions });
      expect(res.statusCode, res.body).toBe(201);
      return res.json<{ id: string }>().id;
    };
    const shared = await t.app.inject({
      method: 'PUT',
      url: '/api/v1/sharing/defaults',
      headers: { authorization: `Bearer ${admin.token}` },
      payload: { contacts: 'public_read', leads: 'private' },
    });
    expect(shared.statusCode, shared.body).toBe(200);
    const role = (await admin.post('/api/v1/roles', { name: 'Rep' })).json<{ id: string }>().id;
    const rep = await memberSession(t, admin, {
      roleId: role,
      profileId: await profile({ contacts: { view: true, create: true, edit: true }, leads: { view: true, create: true, edit: true } }),
    });
    const viewer = await memberSession(t, admin, { roleId: role, profileId: await profile({ contacts: { view: true } }) });
    const nobody = await memberSession(t, admin, { roleId: role, profileId: await profile({ deals: { view: true } }) });

    const adminsContact = await contact(admin);
    const adminsLead = (await admin.post('/api/v1/leads', { firstName: 'Pri', lastName: 'Vate', emails: [] })).json<{ id: string }>();
    const repsContact = await contact(rep);
    const grant = { purposeId: news.id, action: 'grant' };

    // Public read: the rep sees the admin's contact and its consents, but may not change it.
    const seen = await rep.get(`/api/v1/contacts/${adminsContact.id}/consents`);
    expect(seen.statusCode).toBe(200);
    // Without the privacy module the rep still learns which purposes there are to record.
    expect((await rep.get('/api/v1/privacy/purposes')).statusCode).toBe(403);
    expect(seen.json<Consents>().purposes.map((p) => p.id)).toEqual([news.id]);
    const refused = await rep.post(`/api/v1/contacts/${adminsContact.id}/consents`, grant);
    expect(refused.statusCode).toBe(403);
    expect(refused.json().code).toBe('permission_denied');
    // Private: the admin's lead does not exist for the rep.
    expect((await rep.get(`/api/v1/leads/${adminsLead.id}/consents`)).statusCode).toBe(404);
    expect((await rep.post(`/api/v1/leads/${adminsLead.id}/consents`, grant)).statusCode).toBe(404);
    // Their own contact: both.
    expect((await rep.post(`/api/v1/contacts/${repsContact.id}/consents`, grant)).statusCode).toBe(201);
    // A profile that may view contacts but not edit them.
    expect((await viewer.get(`/api/v1/contacts/${repsContact.id}/consents`)).statusCode).toBe(200);
    expect((await viewer.post(`/api/v1/contacts/${repsContact.id}/consents`, { action: 'object' })).statusCode).toBe(403);
    // A profile without the contacts module at all.
    expect((await nobody.get(`/api/v1/contacts/${repsContact.id}/consents`)).statusCode).toBe(403);
    expect((await nobody.post(`/api/v1/contacts/${repsContact.id}/consents`, grant)).statusCode).toBe(403);

    const events = await t.handle.db
      .selectFrom('consent_events')
      .select(['person_id', 'actor_user_id'])
      .where('tenant_id', '=', admin.tt.tenant.id)
      .execute();
    expect(events).toEqual([{ person_id: repsContact.id, actor_user_id: rep.id }]);
  });

  it('takes API tokens by their scope: a read token reads, a write token records (as its user)', async () => {
    const admin = await crmSession(t);
    const news = await purpose(admin, 'Newsletter', { notices: [{ language: 'en', text: 'N' }] });
    const c = await contact(admin);
    const url = `/api/v1/contacts/${c.id}/consents`;
    const token = async (scopes: string[]) => {
      const res = await admin.post('/api/v1/me/tokens', { name: `t-${scopes.join('-')}`, scopes });
      expect(res.statusCode, res.body).toBe(201);
      return { authorization: `Bearer ${res.json<{ token: string }>().token}` };
    };
    const reader = await token(['read']);
    const writer = await token(['read', 'write']);
    expect((await t.app.inject({ url, headers: reader })).statusCode).toBe(200);
    const refused = await t.app.inject({
      method: 'POST',
      url,
      headers: reader,
      payload: { purposeId: news.id, action: 'grant', source: 'api' },
    });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().code).toBe('scope_missing');
    const written = await t.app.inject({
      method: 'POST',
      url,
      headers: writer,
      payload: { purposeId: news.id, action: 'grant', source: 'api' },
    });
    expect(written.statusCode, written.body).toBe(201);
    expect(written.json().items[0]).toMatchObject({ source: 'api', recordedBy: admin.tt.admin.id });
  });

  it('still records consents of a person whose processing is restricted: withdrawing and objecting are always possible', async () => {
    const admin = await crmSession(t);
    const news = await purpose(admin, 'Newsletter', { marketing: true, notices: [{ language: 'en', text: 'N' }] });
    const c = await contact(admin);
    const url = `/api/v1/contacts/${c.id}/consents`;
    expect((await admin.post(url, { purposeId: news.id, action: 'grant' })).statusCode).toBe(201);
    const restricted = await admin.post(`/api/v1/contacts/${c.id}/restriction`, { reason: 'accuracy contested' });
    expect(restricted.statusCode, restricted.body).toBe(200);
    expect((await admin.patch(`/api/v1/contacts/${c.id}`, { jobTitle: 'x' })).statusCode).toBe(423);
    // Art. 7(3): withdrawal at any time; Art. 21: objection; Art. 18(2): processing with the person's consent stays possible.
    expect((await admin.post(url, { purposeId: news.id, action: 'withdraw' })).statusCode).toBe(201);
    expect((await admin.post(url, { purposeId: news.id, action: 'grant', source: 'form' })).statusCode).toBe(201);
    expect((await admin.post(url, { action: 'object' })).statusCode).toBe(201);
    const seen = await consents(admin, `/api/v1/contacts/${c.id}`);
    expect(seen.items.map((e) => e.action)).toEqual(['withdraw', 'object', 'grant', 'withdraw', 'grant']);
  });

  it('is audited: reading consents as a read of the person, every event as a change, no personal data in details', async () => {
    const admin = await crmSession(t);
    const news = await purpose(admin, 'Newsletter', { marketing: true, notices: [{ language: 'en', text: 'N' }] });
    const c = await contact(admin);
    const path = `/api/v1/contacts/${c.id}`;
    await admin.post(`${path}/consents`, { purposeId: news.id, action: 'grant' });
    await admin.post(`${path}/consents`, { purposeId: news.id, action: 'withdraw' });
    await admin.post(`${path}/consents`, { purposeId: news.id, action: 'grant' });
    await admin.post(`${path}/consents`, { action: 'object' });
    await consents(admin, path);

    const subject = await t.handle.db.selectFrom('contacts').select('subject_id').where('id', '=', c.id).executeTakeFirstOrThrow();
    let entries = await auditEntries(admin, `contactId=${c.id}`);
    for (let i = 0; i < 20 && !entries.some((e) => e.action === 'consent.read'); i++) {
      await new Promise((r) => setTimeout(r, 50));
      entries = await auditEntries(admin, `contactId=${c.id}`);
    }
    const consentEntries = entries.filter((e) => e.action.startsWith('consent.')).reverse();
    expect(consentEntries.map((e) => e.action)).toEqual([
      'consent.granted',
      'consent.withdrawn',
      'consent.granted',
      'consent.objected',
      'consent.withdrawn',
      'consent.read',
    ]);
    for (const e of consentEntries) {
      expect(e).toMatchObject({ entity: 'contacts', entityId: c.id, subjectIds: [subject.subject_id] });
      expect(e.actor.userId).toBe(admin.tt.admin.id);
      expect(JSON.stringify(e.details)).not.toMatch(/cora|example\.test/i);
    }
    expect(consentEntries[0]!.details).toMatchObject({ purposeId: news.id, source: 'staff', noticeHash: sha256('N') });
    expect(consentEntries.at(-1)).toMatchObject({ fields: ['consents'], details: { events: 5 } });
  });

  it('carries a lead’s consents over to the contact it converts to, with no event changed', async () => {
    const admin = await crmSession(t);
    const news = await purpose(admin, 'Newsletter', { marketing: true, notices: [{ language: 'en', text: 'N' }] });
    const events = await purpose(admin, 'Events', { notices: [{ language: 'en', text: 'E' }] });
    const lead = (
      await admin.post('/api/v1/leads', { firstName: 'Lou', lastName: 'Convert', emails: ['lou@example.test'], company: 'Lou BV' })
    ).json<{
      id: string;
    }>();
    const leadPath = `/api/v1/leads/${lead.id}`;
    const granted = await admin.post(`${leadPath}/consents`, { purposeId: news.id, action: 'grant' });
    expect(granted.statusCode, granted.body).toBe(201);
    expect((await admin.post(`${leadPath}/consents`, { purposeId: events.id, action: 'grant', source: 'import' })).statusCode).toBe(201);
    const before = await t.handle.db
      .selectFrom('consent_events')
      .selectAll()
      .where('tenant_id', '=', admin.tt.tenant.id)
      .orderBy('seq')
      .execute();

    const converted = await admin.post(`${leadPath}/convert`, {});
    expect(converted.statusCode, converted.body).toBe(200);
    const contactId = converted.json<{ contactId: string }>().contactId;
    const contactPath = `/api/v1/contacts/${contactId}`;

    const seen = await consents(admin, contactPath);
    expect(seen.current.map((s) => [s.purposeName, s.status]).sort()).toEqual([
      ['Events', 'granted'],
      ['Newsletter', 'granted'],
    ]);
    expect(seen.items.map((e) => e.id)).toEqual(before.map((e) => e.id).reverse());
    expect(seen.items.every((e) => e.recordedOn.kind === 'leads' && e.recordedOn.id === lead.id)).toBe(true);
    const after = await t.handle.db
      .selectFrom('consent_events')
      .selectAll()
      .where('tenant_id', '=', admin.tt.tenant.id)
      .orderBy('seq')
      .execute();
    expect(after).toEqual(before);

    // One person, one ledger: a withdrawal on the contact is the lead's too.
    expect((await admin.post(`${contactPath}/consents`, { purposeId: news.id, action: 'withdraw' })).statusCode).toBe(201);
    const onLead = await consents(admin, leadPath);
    expect(onLead.current.find((s) => s.purposeId === news.id)?.status).toBe('withdrawn');
    expect(onLead.items[0]).toMatchObject({ action: 'withdraw', recordedOn: { kind: 'contacts', id: contactId } });
  });

  it('has no way to change or remove an event over HTTP', async () => {
    const admin = await crmSession(t);
    const news = await purpose(admin, 'Newsletter', { notices: [{ language: 'en', text: 'N' }] });
    const c = await contact(admin);
    const url = `/api/v1/contacts/${c.id}/consents`;
    const [event] = (await admin.post(url, { purposeId: news.id, action: 'grant' })).json<{ items: Item[] }>().items;
    const headers = { authorization: `Bearer ${admin.token}` };
    for (const method of ['PATCH', 'PUT', 'DELETE'] as const) {
      const onList = await t.app.inject({ method, url, headers, payload: { action: 'withdraw' } });
      expect(onList.statusCode).toBe(405);
      expect(onList.json().code).toBe('method_not_allowed');
      expect(onList.headers.allow).toBe('GET, HEAD, POST');
      const onEvent = await t.app.inject({ method, url: `${url}/${event!.id}`, headers, payload: { action: 'withdraw' } });
      expect(onEvent.statusCode).toBe(404);
      expect(onEvent.json().code).toBe('route_not_found');
    }
    const seen = await consents(admin, `/api/v1/contacts/${c.id}`);
    expect(seen.items).toEqual([expect.objectContaining({ id: event!.id, action: 'grant' })]);
    expect(seen.current[0]?.status).toBe('granted');
  });
});
