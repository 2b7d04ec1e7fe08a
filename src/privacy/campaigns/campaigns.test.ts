import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEntries, crmSession, memberSession, type CrmSession } from '../../../test/crm.js';
import { testConfig } from '../../../test/factories.js';
import { useTestServer } from '../../../test/server.js';
import { startTestSmtpServer, type ReceivedMail, type TestSmtpServer } from '../../../test/smtp.js';
import { systemActor } from '../../audit/recorder.js';
import { authenticate } from '../../identity/identity.service.js';
import { startMailSender, type MailSender } from '../../mail/mail.service.js';
import { newId } from '../../shared/ids.js';
import { grantedSubjects, recordConsentEvent } from '../ledger/consent.service.js';
import { readWithdrawalToken } from '../ledger/withdrawal-links.js';
import { sendCampaign } from './campaigns.service.js';
import { skipReason } from './eligibility.js';

// Consent is enforced where mail leaves: a campaign reaches only the people the
// ledger allows, each mail carries the person's withdrawal link and the RFC 8058
// headers, and everyone else is reported with the reason. Mail is checked at a
// real SMTP server, delivered by the outbox's own sender.

const t = useTestServer({ CUSTODIA_PUBLIC_URL: 'https://crm.example.test', CUSTODIA_CAMPAIGN_RATE_PER_MINUTE: '10000' });
let smtp: TestSmtpServer;
let sender: MailSender;

beforeAll(async () => {
  smtp = await startTestSmtpServer();
  const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
  sender = startMailSender({
    db: t.handle.db,
    config: testConfig({ SMTP_URL: smtp.url, CUSTODIA_MAIL_POLL_MS: '50', MAIL_FROM: 'Acme <news@acme.test>' }),
    log: quiet,
    keyring: t.keyring,
  });
});

afterAll(async () => {
  await sender?.stop();
  await smtp?.close();
});

interface Person {
  id: string;
  subjectId: string;
  email: string | null;
}

async function purpose(s: CrmSession, name: string, options: { marketing: boolean; basis?: 'consent' | 'contract' }): Promise<string> {
  const id = newId();
  await t.handle.db
    .insertInto('purposes')
    .values({
      tenant_id: s.tt.tenant.id,
      id,
      name,
      lawful_basis: options.basis ?? 'consent',
      retention_days: 365,
      marketing: options.marketing,
      data_categories: '["contact details"]',
    })
    .execute();
  const text = `${name}: we send news now and then.`;
  await t.handle.db
    .insertInto('privacy_notices')
    .values({
      tenant_id: s.tt.tenant.id,
      id: newId(),
      purpose_id: id,
      language: 'en',
      version: 1,
      text,
      sha256: createHash('sha256').update(text, 'utf8').digest('hex'),
    })
    .execute();
  return id;
}

let mailbox = 0;
async function person(
  s: CrmSession,
  firstName: string,
  options: { tags?: string[]; email?: boolean; kind?: 'contacts' | 'leads' } = {},
): Promise<Person> {
  const email = options.email === false ? null : `${firstName.toLowerCase()}.${++mailbox}.${s.tt.tenant.slug}@example.test`;
  const res = await s.post(`/api/v1/${options.kind ?? 'contacts'}`, {
    firstName,
    lastName: 'Tester',
    emails: email ? [email] : [],
    tags: options.tags ?? [],
  });
  expect(res.statusCode, res.body).toBe(201);
  const body = res.json<{ id: string; subjectId?: string }>();
  const row = await t.handle.db
    .selectFrom(options.kind ?? 'contacts')
    .select('subject_id')
    .where('id', '=', body.id)
    .executeTakeFirstOrThrow();
  return { id: body.id, subjectId: row.subject_id, email };
}

async function consent(s: CrmSession, p: Person, purposeId: string | null, action: 'grant' | 'withdraw' | 'object') {
  await recordConsentEvent(t.handle.db, t.keyring, {
    tenantId: s.tt.tenant.id,
    subjectId: p.subjectId,
    person: { table: 'contacts', id: p.id },
    purposeId,
    action,
    source: 'staff',
    actor: systemActor('test'),
  });
}

/** The message's header lines, unfolded (RFC 5322 §2.2.3). */
function headersOf(mail: ReceivedMail): Map<string, string> {
  const head = mail.raw.slice(0, mail.raw.indexOf('\r\n\r\n')).replace(/\r\n(?=[ \t])/g, '');
  return new Map(
    head.split('\r\n').map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
  );
}

const to = (addresses: Array<string | null>) => (m: ReceivedMail) => addresses.includes(m.to[0] ?? '');

describe('campaigns', () => {
  it('reaches only the two of five people who still consent, checked at the SMTP server, each with a working one-click withdrawal', async () => {
    const s = await crmSession(t);
    const news = await purpose(s, 'Newsletter', { marketing: true });
    const [ann, bob, cas, dirk, eva] = await Promise.all(
      ['Ann', 'Bob', 'Cas', 'Dirk', 'Eva'].map((name) => person(s, name, { tags: ['newsletter'] })),
    );
    for (const p of [ann!, bob!, cas!, dirk!, eva!]) await consent(s, p, news, 'grant');
    await consent(s, bob!, news, 'withdraw');
    await consent(s, cas!, news, 'withdraw');
    await consent(s, dirk!, null, 'object');

    const created = await s.post('/api/v1/campaigns', {
      name: 'Spring',
      purposeId: news,
      subject: 'Spring news for {{firstName}}',
      body: 'Hello {{firstName}},\n\nOur spring collection is here.',
      tag: 'newsletter',
    });
    expect(created.statusCode, created.body).toBe(201);
    const campaign = created.json<{ id: string; status: string; purposeName: string }>();
    expect(campaign).toMatchObject({ status: 'draft', purposeName: 'Newsletter' });

    // What the sender's confirmation shows, before anything is sent.
    const preview = await s.get(`/api/v1/campaigns/${campaign.id}/audience`);
    expect(preview.json()).toEqual({
      total: 5,
      eligible: 2,
      skipped: { no_consent: 2, objected: 1, no_email: 0, restricted: 0, not_visible: 0 },
    });
    expect(smtp.messages.filter(to([ann!.email, eva!.email]))).toEqual([]);

    const sent = await s.post(`/api/v1/campaigns/${campaign.id}/send`);
    expect(sent.statusCode, sent.body).toBe(200);
    const result = sent.json<{ queued: number; skipped: Array<{ contactId: string; reason: string }> }>();
    expect(result.queued).toBe(2);
    expect(result.skipped).toEqual(
      expect.arrayContaining([
        { contactId: bob!.id, reason: 'no_consent' },
        { contactId: cas!.id, reason: 'no_consent' },
        { contactId: dirk!.id, reason: 'objected' },
      ]),
    );
    expect(result.skipped).toHaveLength(3);

    // Delivered by the outbox's sender to exactly the two.
    await smtp.waitFor(1);
    await expect.poll(() => smtp.messages.filter(to([ann!.email, eva!.email])).length, { timeout: 10_000 }).toBe(2);
    const others = [bob, cas, dirk].map((p) => p!.email);
    const mails = smtp.messages.filter(to([ann!.email, eva!.email]));
    for (const [p, mail] of [ann!, eva!].map((p) => [p, mails.find(to([p.email]))!] as const)) {
      expect(mail.subject).toBe(`Spring news for ${p === ann ? 'Ann' : 'Eva'}`);
      expect(mail.text).toContain(`Hello ${p === ann ? 'Ann' : 'Eva'},\n\nOur spring collection is here.`);
      const headers = headersOf(mail);
      expect(headers.get('list-unsubscribe-post')).toBe('List-Unsubscribe=One-Click');
      const link = /^<(https?:\/\/[^>]+)>$/.exec(headers.get('list-unsubscribe') ?? '')?.[1];
      expect(link).toBeDefined();
      const url = new URL(link!);
      expect(url.origin).toBe('https://crm.example.test');
      expect(url.pathname).toBe(`/api/v1/public/${s.tt.tenant.slug}/unsubscribe`);
      expect(readWithdrawalToken(t.keyring, s.tt.tenant.id, url.searchParams.get('token')!)).toEqual({
        subjectId: p.subjectId,
        purposeId: news,
      });
      // The same personal link is in the footer.
      expect(mail.text).toContain(link);
    }
    // The one-click POST (RFC 8058) that a mail client sends withdraws Ann.
    const annLink = new URL(/^<([^>]+)>$/.exec(headersOf(mails.find(to([ann!.email]))!).get('list-unsubscribe')!)![1]!);
    const oneClick = await t.app.inject({
      method: 'POST',
      url: `${annLink.pathname}${annLink.search}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'List-Unsubscribe=One-Click',
    });
    expect(oneClick.statusCode, oneClick.body).toBeLessThan(400);
    expect(await grantedSubjects(t.handle.db, s.tt.tenant.id, news, [ann!.subjectId, eva!.subjectId])).toEqual(new Set([eva!.subjectId]));
    expect(smtp.messages.filter(to(others))).toEqual([]);

    // Every person's outcome is recorded, and the skip report is on the campaign.
    const detail = (await s.get(`/api/v1/campaigns/${campaign.id}`)).json();
    expect(detail).toMatchObject({ status: 'sent', queued: 2, skippedCount: 3 });
    expect(detail.recipients).toHaveLength(5);
    expect(
      detail.recipients
        .filter((r: { status: string }) => r.status === 'queued')
        .map((r: { contactId: string }) => r.contactId)
        .sort(),
    ).toEqual([ann!.id, eva!.id].sort());
    expect(detail.skipped).toEqual(expect.arrayContaining(result.skipped));
    const rows = await t.handle.db.selectFrom('campaign_recipients').selectAll().where('campaign_id', '=', campaign.id).execute();
    expect(rows.filter((r) => r.status === 'queued').every((r) => r.outbox_message_id !== null)).toBe(true);

    // Audited per person, without addresses.
    const annAudit = await auditEntries(s, `contactId=${ann!.id}`);
    const sentEntry = annAudit.find((e) => e.action === 'campaign.sent');
    expect(sentEntry).toMatchObject({ entityId: ann!.id });
    expect(JSON.stringify(sentEntry)).not.toContain('@example.test');
    expect((await auditEntries(s, `contactId=${dirk!.id}`)).find((e) => e.action === 'campaign.skipped')?.details).toMatchObject({
      reason: 'objected',
      campaignId: campaign.id,
    });

    // A campaign is sent once.
    const again = await s.post(`/api/v1/campaigns/${campaign.id}/send`);
    expect(again.statusCode).toBe(409);
    expect(again.json().code).toBe('campaign_sent');
  });

  it('mails a non-marketing contract purpose to everyone but who withdrew, and reports no address, unknown, restricted and never-consented people', async () => {
    const s = await crmSession(t);
    const service = await purpose(s, 'Service notices', { marketing: false, basis: 'contract' });
    const news = await purpose(s, 'Offers', { marketing: true });
    const fay = await person(s, 'Fay', { tags: ['customers'] });
    const gus = await person(s, 'Gus', { tags: ['customers'], email: false });
    const hal = await person(s, 'Hal', { tags: ['customers'] });
    const ivy = await person(s, 'Ivy', { tags: ['customers'], kind: 'leads' });
    const jan = await person(s, 'Jan', { tags: ['customers'] });
    await consent(s, hal, service, 'withdraw');
    const restricted = await s.post(`/api/v1/contacts/${jan.id}/restriction`, { reason: 'Contests the accuracy of the data' });
    expect(restricted.statusCode, restricted.body).toBe(200);
    const unknown = newId();

    const make = async (purposeId: string) =>
      (
        await s.post('/api/v1/campaigns', {
          name: 'Maintenance',
          purposeId,
          subject: 'Planned maintenance',
          body: 'Dear {{firstName}} {{lastName}},\n\nWe will be offline on Sunday.',
          language: 'nl',
          tag: 'customers',
          contactIds: [fay.id, unknown],
        })
      ).json<{ id: string }>().id;

    const contract = await s.post(`/api/v1/campaigns/${await make(service)}/send`);
    expect(contract.statusCode, contract.body).toBe(200);
    expect(contract.json()).toEqual({
      queued: 2,
      skipped: [
        { contactId: unknown, reason: 'not_visible' },
        { contactId: gus.id, reason: 'no_email' },
        { contactId: hal.id, reason: 'objected' },
        { contactId: jan.id, reason: 'restricted' },
      ],
    });
    await expect.poll(() => smtp.messages.filter(to([fay.email, ivy.email])).length, { timeout: 10_000 }).toBe(2);
    const fayMail = smtp.messages.find(to([fay.email]))!;
    expect(fayMail.text).toContain('Dear Fay Tester,');
    expect(fayMail.text).toContain('Wil je deze e-mails niet meer ontvangen?');

    // For a marketing purpose nobody here consented to: nobody is mailed.
    const marketing = (await s.post(`/api/v1/campaigns/${await make(news)}/send`)).json();
    expect(marketing.queued).toBe(0);
    // In audience order: the people named by id, then the tagged contacts, then the tagged leads.
    expect(marketing.skipped).toEqual([
      { contactId: fay.id, reason: 'no_consent' },
      { contactId: unknown, reason: 'not_visible' },
      { contactId: gus.id, reason: 'no_consent' },
      { contactId: hal.id, reason: 'no_consent' },
      { contactId: jan.id, reason: 'restricted' },
      { leadId: ivy.id, reason: 'no_consent' },
    ]);
  });

  it('staggers its mail to the configured rate per minute', async () => {
    const s = await crmSession(t);
    const news = await purpose(s, 'Newsletter', { marketing: true });
    const people = await Promise.all(['A', 'B', 'C', 'D', 'E'].map((n) => person(s, `Rate${n}`, { tags: ['rate'] })));
    for (const p of people) await consent(s, p, news, 'grant');
    const id = (await s.post('/api/v1/campaigns', { name: 'Rate', purposeId: news, subject: 'Hi', body: 'Hi', tag: 'rate' })).json().id;
    const actor = await authenticate(t.handle.db, { ...t.config, keyring: t.keyring }, s.token);
    const before = Date.now();
    const result = await sendCampaign(
      t.handle.db,
      t.keyring,
      { publicUrl: 'https://crm.example.test', campaigns: { ratePerMinute: 2 } },
      actor,
      id,
    );
    expect(result.queued).toBe(5);
    const rows = await t.handle.db
      .selectFrom('campaign_recipients')
      .innerJoin('mail_outbox', 'mail_outbox.id', 'campaign_recipients.outbox_message_id')
      .select(['campaign_recipients.position', 'mail_outbox.next_attempt_at', 'mail_outbox.created_at'])
      .where('campaign_recipients.campaign_id', '=', id)
      .orderBy('campaign_recipients.position')
      .execute();
    const minutes = rows.map((r) => Math.floor((r.next_attempt_at.getTime() - before) / 60_000));
    // The first two are due at once (and may be claimed by the sender already, which moves their time); the rest wait.
    expect(minutes.slice(2)).toEqual([1, 1, 2]);
  });

  it('refuses bad input (400), a retired purpose (409), a user without the campaigns permission (403) and another tenant (404)', async () => {
    const s = await crmSession(t);
    const news = await purpose(s, 'Newsletter', { marketing: true });
    const base = { name: 'X', purposeId: news, subject: 'Hi', body: 'Hello', tag: 'x' };
    const bad = async (payload: object, code: string) => {
      const res = await s.post('/api/v1/campaigns', payload);
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json().code).toBe(code);
    };
    await bad({ ...base, purposeId: 'not-a-uuid' }, 'validation_failed');
    await bad({ ...base, subject: 'x'.repeat(201) }, 'validation_failed');
    await bad({ ...base, body: 'x'.repeat(20_001) }, 'validation_failed');
    await bad({ ...base, extra: true }, 'validation_failed');
    await bad({ ...base, subject: 'Hi {{email}}' }, 'campaign_invalid');
    await bad({ ...base, tag: undefined }, 'campaign_invalid');
    await bad({ ...base, tag: undefined, contactIds: Array.from({ length: 10_001 }, () => newId()) }, 'validation_failed');
    expect((await s.post('/api/v1/campaigns', { ...base, purposeId: newId() })).statusCode).toBe(404);

    const draft = (await s.post('/api/v1/campaigns', base)).json().id;
    await t.handle.db.updateTable('purposes').set({ status: 'retired' }).where('id', '=', news).execute();
    const retired = await s.post(`/api/v1/campaigns/${draft}/send`);
    expect(retired.statusCode).toBe(409);
    expect(retired.json().code).toBe('purpose_retired');
    expect((await s.post('/api/v1/campaigns', base)).json().code).toBe('purpose_retired');
    expect((await s.get(`/api/v1/campaigns/${draft}`)).json()).toMatchObject({ status: 'draft', recipients: [] });

    const rep = await memberSession(t, s);
    for (const res of [
      await rep.get('/api/v1/campaigns'),
      await rep.get(`/api/v1/campaigns/${draft}`),
      await rep.get(`/api/v1/campaigns/${draft}/audience`),
      await rep.post('/api/v1/campaigns', base),
      await rep.post(`/api/v1/campaigns/${draft}/send`),
    ]) {
      expect(res.statusCode).toBe(403);
      expect(res.json().code).toBe('permission_denied');
    }

    const other = await crmSession(t);
    expect((await other.get(`/api/v1/campaigns/${draft}`)).statusCode).toBe(404);
    expect((await other.post(`/api/v1/campaigns/${draft}/send`)).json().code).toBe('campaign_not_found');
    expect((await other.get('/api/v1/campaigns')).json().items).toEqual([]);
    expect((await other.post('/api/v1/campaigns', { ...base })).statusCode).toBe(404);
  });

  it('lists campaigns newest first, a page at a time', async () => {
    const s = await crmSession(t);
    const news = await purpose(s, 'Newsletter', { marketing: true });
    const ids: string[] = [];
    for (const n of [1, 2, 3])
      ids.push((await s.post('/api/v1/campaigns', { name: `C${n}`, purposeId: news, subject: 'S', body: 'B', tag: 't' })).json().id);
    const first = (await s.get('/api/v1/campaigns?limit=2')).json();
    expect(first.items.map((c: { id: string }) => c.id)).toEqual([ids[2], ids[1]]);
    const second = (await s.get(`/api/v1/campaigns?limit=2&cursor=${first.nextCursor}`)).json();
    expect(second).toMatchObject({ items: [{ id: ids[0] }], nextCursor: null });
    expect((await s.get('/api/v1/campaigns?cursor=garbage')).statusCode).toBe(400);
  });
});

describe('campaign eligibility', () => {
  const marketing = { marketing: true, lawful_basis: 'consent' as const };
  const contract = { marketing: false, lawful_basis: 'contract' as const };
  const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 0, minute));
  it.each([
    [marketing, { status: 'granted', at: at(1), objectedToMarketingAt: null }, null],
    [marketing, { status: null, at: null, objectedToMarketingAt: null }, 'no_consent'],
    [marketing, { status: 'withdrawn', at: at(1), objectedToMarketingAt: null }, 'no_consent'],
    [marketing, { status: 'withdrawn', at: at(1), objectedToMarketingAt: at(1) }, 'objected'],
    [marketing, { status: 'granted', at: at(2), objectedToMarketingAt: at(1) }, null],
    [contract, { status: null, at: null, objectedToMarketingAt: at(1) }, null],
    [contract, { status: 'withdrawn', at: at(1), objectedToMarketingAt: null }, 'objected'],
    [{ marketing: false, lawful_basis: 'consent' as const }, { status: null, at: null, objectedToMarketingAt: null }, 'no_consent'],
  ] as const)('%j with %j → %s', (purpose, facts, reason) => {
    expect(skipReason(purpose, facts)).toBe(reason);
  });
});
