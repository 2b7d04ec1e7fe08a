import { createHash, randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bearer, signInAdmin } from '../../../test/auth.js';
import { createTestTenant, testConfig, type TestTenant } from '../../../test/factories.js';
import { useTestServer } from '../../../test/server.js';
import { startTestSmtpServer, type TestSmtpServer } from '../../../test/smtp.js';
import { createSmtpTransport, listOutbox, sendDueMail } from '../../mail/mail.service.js';
import { buildServer } from '../../server.js';
import { newId } from '../../shared/ids.js';
import { suspendTenant } from '../../tenants/tenants.service.js';
import { consentsOf } from '../ledger/consent.service.js';
import { withdrawalToken } from '../ledger/withdrawal-links.js';
import { PAGE_CSP } from './pages.js';
import { purgeSignups, subscribe } from './subscriptions.service.js';

// Public double opt-in end to end: sign up over HTTP, the confirmation mail
// over real SMTP, the link's page (GET changes nothing), the confirming POST
// (once), and the one-click withdrawal link; the limits that make the public
// endpoint safe to expose (honeypot, rate limits, 202 always) and the purge.

const PUBLIC_URL = 'https://crm.example.test';
const t = useTestServer({ CUSTODIA_PUBLIC_URL: PUBLIC_URL });
const FROM = 'Custodia <noreply@custodia.test>';
let smtp: TestSmtpServer;

beforeEach(async () => {
  smtp = await startTestSmtpServer();
});
afterEach(async () => {
  await smtp.close();
});

let ipCounter = 0;
/** Each scenario signs up from its own address, so the per-IP limit is only met where a test wants it. */
const freshIp = () => `198.51.100.${++ipCounter}`;
const uniqueEmail = (name = 'anna') => `${name}.${randomBytes(4).toString('hex')}@example.test`;

interface Setup {
  tt: TestTenant;
  purposeId: string;
  notice: { id: string; sha256: string; text: string };
}

async function setup(options: { lawfulBasis?: 'consent' | 'contract'; retired?: boolean } = {}): Promise<Setup> {
  const tt = await createTestTenant(t.handle.db, { name: 'Bakkerij Brood & Zo' });
  const purposeId = newId();
  await t.handle.db
    .insertInto('purposes')
    .values({
      tenant_id: tt.tenant.id,
      id: purposeId,
      name: 'Monthly newsletter',
      lawful_basis: options.lawfulBasis ?? 'consent',
      retention_days: 365,
      marketing: true,
      status: options.retired ? 'retired' : 'active',
    })
    .execute();
  const notice = async (language: 'en' | 'nl', text: string) => {
    const id = newId();
    const sha256 = createHash('sha256').update(text, 'utf8').digest('hex');
    await t.handle.db
      .insertInto('privacy_notices')
      .values({ tenant_id: tt.tenant.id, id, purpose_id: purposeId, language, version: 1, text, sha256 })
      .execute();
    return { id, sha256, text };
  };
  const en = await notice('en', 'We send one newsletter a month about our bread.\n\nWe keep your address until you withdraw.');
  await notice('nl', 'We sturen één nieuwsbrief per maand over ons brood.\n\nWe bewaren je adres tot je intrekt.');
  return { tt, purposeId, notice: en };
}

function signUp(slug: string, body: Record<string, unknown>, ip = freshIp()) {
  return t.app.inject({ method: 'POST', url: `/api/v1/public/${slug}/subscriptions`, payload: body, remoteAddress: ip });
}

function form(body: Record<string, string>): string {
  return new URLSearchParams(body).toString();
}

/** A request as a browser makes it: pages, failures included, are what it reads. */
const browse = (options: InjectOptions) =>
  t.app.inject({ ...options, headers: { accept: 'text/html,application/xhtml+xml', ...(options.headers as object | undefined) } });

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64) TestBrowser/1.0';

/** The confirmation link of the newest mail queued to this address, read from the outbox. */
async function linkFromOutbox(to: string): Promise<string> {
  const mails = (await listOutbox(t.handle.db, { keyring: t.keyring, limit: 1000 })).filter(
    (m) => m.to === to && m.template === 'consent_confirmation',
  );
  const link = /https:\/\/\S+\/subscriptions\/confirm\?token=[A-Za-z0-9_-]+/.exec(mails[0]?.text ?? '');
  if (!link) throw new Error('no confirmation link queued');
  return link[0];
}

async function mailsTo(to: string) {
  return (await listOutbox(t.handle.db, { keyring: t.keyring, limit: 1000 })).filter((m) => m.to === to);
}

const pathOf = (link: string) => link.replace(PUBLIC_URL, '');
const tokenOf = (link: string) => new URL(link).searchParams.get('token')!;

async function countRows(tenantId: string) {
  const count = async (table: 'leads' | 'contacts' | 'consent_events') =>
    Number(
      (
        await t.handle.db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .where('tenant_id', '=', tenantId)
          .executeTakeFirstOrThrow()
      ).n,
    );
  return { leads: await count('leads'), contacts: await count('contacts'), events: await count('consent_events') };
}

/** The page's markup with whitespace between and inside tags collapsed (the formatter lays the templates out). */
const compact = (body: string) =>
  body
    .replace(/\s+/g, ' ')
    .replace(/\s*\/>/g, '>')
    .replace(/>\s+</g, '><');

function expectPage(response: LightMyRequestResponse, status: number, lang: 'en' | 'nl', ...texts: string[]) {
  expect(response.statusCode, response.body).toBe(status);
  expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
  expect(response.headers['content-security-policy']).toBe(PAGE_CSP);
  expect(compact(response.body)).toContain(`<html lang="${lang}">`);
  expect(response.body.match(/<h1>/g)).toHaveLength(1);
  for (const text of texts) expect(compact(response.body)).toContain(text);
}

describe('public double opt-in', () => {
  it('round trip over SMTP: sign up, the link page changes nothing, one POST confirms with proof, a second changes nothing, one-click withdraws', async () => {
    const { tt, purposeId, notice } = await setup();
    const slug = tt.tenant.slug;
    const email = uniqueEmail();

    const accepted = await signUp(slug, { email, firstName: 'Anna', purposeId });
    expect(accepted.statusCode, accepted.body).toBe(202);
    expect(accepted.json()).toEqual({ status: 'accepted' });

    // The sign-up is stored sealed, with a hash of the token only.
    const [signup] = await t.handle.db.selectFrom('consent_signups').selectAll().where('tenant_id', '=', tt.tenant.id).execute();
    expect(signup).toMatchObject({ purpose_id: purposeId, notice_id: notice.id, language: 'en', confirmed_at: null });
    expect(signup!.token_hash).toHaveLength(32);
    expect(Buffer.from(signup!.email_enc!).includes(Buffer.from(email))).toBe(false);
    expect(Buffer.from(signup!.first_name_enc!).includes(Buffer.from('Anna'))).toBe(false);
    expect(signup!.expires_at.getTime() - signup!.created_at.getTime()).toBe(7 * 24 * 3600 * 1000);

    // The confirmation mail goes over real SMTP; its link is read from what arrived.
    const result = await sendDueMail(t.handle.db, createSmtpTransport(smtp.url), { from: FROM, keyring: t.keyring });
    expect(result.sent).toBeGreaterThanOrEqual(1);
    await smtp.waitFor(result.sent);
    const mail = smtp.messages.find((m) => m.to.includes(email))!;
    expect(mail.subject).toBe('Please confirm: Monthly newsletter from Bakkerij Brood & Zo');
    expect(mail.text).toContain('Hello Anna,');
    expect(mail.text).toContain('We send one newsletter a month about our bread.');
    expect(mail.text).toContain('expires in 7 days');
    const link = /https:\/\/crm\.example\.test\/api\/v1\/public\/[^/]+\/subscriptions\/confirm\?token=[A-Za-z0-9_-]{43}/.exec(
      mail.text,
    )?.[0];
    expect(link).toBeDefined();
    expect(mail.html).toContain(`href="${link}"`);
    const token = tokenOf(link!);
    expect(createHash('sha256').update(token).digest()).toEqual(Buffer.from(signup!.token_hash));

    // A mail scanner prefetching the link (twice) changes nothing.
    const before = await countRows(tt.tenant.id);
    for (let i = 0; i < 2; i++) {
      const page = await browse({ method: 'GET', url: pathOf(link!), headers: { 'user-agent': 'LinkScanner/2.0' } });
      expectPage(
        page,
        200,
        'en',
        'Confirm your sign-up',
        'Bakkerij Brood &amp; Zo',
        'Monthly newsletter',
        'We keep your address until you withdraw.',
      );
      expect(compact(page.body)).toContain(`<form method="post" action="/api/v1/public/${slug}/subscriptions/confirm">`);
      expect(compact(page.body)).toContain(`<input type="hidden" name="token" value="${token}">`);
      expect(compact(page.body)).toContain('<button type="submit">Confirm</button>');
    }
    expect(await countRows(tt.tenant.id)).toEqual(before);
    expect(before).toMatchObject({ leads: 0, events: 0 });
    const untouched = await t.handle.db
      .selectFrom('consent_signups')
      .select('confirmed_at')
      .where('id', '=', signup!.id)
      .executeTakeFirstOrThrow();
    expect(untouched.confirmed_at).toBeNull();

    // The page's button: one POST confirms.
    const confirmed = await browse({
      method: 'POST',
      url: `/api/v1/public/${slug}/subscriptions/confirm`,
      headers: { ...FORM, 'user-agent': BROWSER },
      payload: form({ token, lang: 'en' }),
      remoteAddress: '203.0.113.45',
    });
    expectPage(confirmed, 200, 'en', 'Thank you, you are signed up', 'Your consent to &quot;Monthly newsletter&quot; is recorded.');

    const leads = await t.handle.db.selectFrom('leads').selectAll().where('tenant_id', '=', tt.tenant.id).execute();
    expect(leads).toHaveLength(1);
    expect(leads[0]).toMatchObject({ source: 'web form', owner_id: tt.admin.id, lawful_basis: 'consent' });
    const consents = await consentsOf(t.handle.db, t.keyring, tt.tenant.id, leads[0]!.subject_id);
    expect(consents.current).toEqual([expect.objectContaining({ purposeId, status: 'granted', source: 'double_opt_in' })]);
    expect(consents.items).toHaveLength(1);
    expect(consents.items[0]).toMatchObject({
      action: 'confirm',
      source: 'double_opt_in',
      noticeId: notice.id,
      noticeHash: notice.sha256,
      ip: '203.0.113.45',
      userAgent: BROWSER,
      actorUserId: null,
      person: { table: 'leads', id: leads[0]!.id },
    });
    // The lead is readable by staff with the address the person gave.
    const admin = await signInAdmin(t.app, tt);
    const lead = await browse({ method: 'GET', url: `/api/v1/leads/${leads[0]!.id}`, headers: bearer(admin) });
    expect(lead.json()).toMatchObject({ firstName: 'Anna', emails: [expect.objectContaining({ value: email })], source: 'web form' });
    // Single use: the sign-up's sealed address and name are gone.
    const used = await t.handle.db.selectFrom('consent_signups').selectAll().where('id', '=', signup!.id).executeTakeFirstOrThrow();
    expect(used.confirmed_at).toBeInstanceOf(Date);
    expect(used.email_enc).toBeNull();
    expect(used.first_name_enc).toBeNull();

    // A second click (page or API client) changes nothing and says so.
    const afterConfirm = await countRows(tt.tenant.id);
    const again = await browse({
      method: 'POST',
      url: `/api/v1/public/${slug}/subscriptions/confirm`,
      headers: FORM,
      payload: form({ token }),
    });
    expectPage(again, 200, 'en', 'Already confirmed', 'Nothing was changed.');
    const againJson = await browse({
      method: 'POST',
      url: `/api/v1/public/${slug}/subscriptions/confirm`,
      headers: { accept: 'application/json' },
      payload: { token },
    });
    expect(againJson.statusCode).toBe(409);
    expect(againJson.headers['content-type']).toContain('application/problem+json');
    expect(againJson.json()).toMatchObject({ code: 'signup_already_confirmed' });
    const againPage = await browse({ method: 'GET', url: pathOf(link!) });
    expectPage(againPage, 200, 'en', 'Already confirmed');
    expect(compact(againPage.body)).not.toContain('<form');
    expect(await countRows(tt.tenant.id)).toEqual(afterConfirm);

    // The withdrawal link every mail for the purpose carries: GET shows a button and changes nothing…
    const withdrawal = withdrawalToken(t.keyring, tt.tenant.id, leads[0]!.subject_id, purposeId);
    const unsubscribeUrl = `/api/v1/public/${slug}/unsubscribe?token=${withdrawal}`;
    const withdrawPage = await browse({
      method: 'GET',
      url: unsubscribeUrl,
      headers: { 'accept-language': 'nl-NL,nl;q=0.9,en;q=0.5' },
    });
    expectPage(withdrawPage, 200, 'nl', 'Afmelden', 'Intrekken', 'Monthly newsletter');
    expect(compact(withdrawPage.body)).toContain(`action="/api/v1/public/${slug}/unsubscribe?token=${withdrawal}"`);
    expect(await countRows(tt.tenant.id)).toEqual(afterConfirm);

    // …and the mail client's RFC 8058 one-click POST withdraws at once.
    const oneClick = await browse({
      method: 'POST',
      url: unsubscribeUrl,
      headers: { ...FORM, 'user-agent': 'MailClient/1.0' },
      payload: 'List-Unsubscribe=One-Click',
      remoteAddress: '192.0.2.10',
    });
    expectPage(oneClick, 200, 'en', 'You are unsubscribed');
    const withdrawn = await consentsOf(t.handle.db, t.keyring, tt.tenant.id, leads[0]!.subject_id);
    expect(withdrawn.current).toEqual([expect.objectContaining({ purposeId, status: 'withdrawn', source: 'form' })]);
    expect(withdrawn.items[0]).toMatchObject({ action: 'withdraw', source: 'form', ip: '192.0.2.10', userAgent: 'MailClient/1.0' });

    // Withdrawn already: says so, writes nothing new.
    const twice = await browse({ method: 'POST', url: unsubscribeUrl, headers: { accept: 'application/json' } });
    expect(twice.statusCode).toBe(200);
    expect(twice.json()).toEqual({ status: 'already_withdrawn' });
    const twicePage = await browse({ method: 'GET', url: unsubscribeUrl });
    expectPage(twicePage, 200, 'en', 'You are already unsubscribed');
    expect((await consentsOf(t.handle.db, t.keyring, tt.tenant.id, leads[0]!.subject_id)).items).toHaveLength(2);
  });

  it('a one-click POST as multipart/form-data (RFC 8058 example) withdraws too; a forged withdrawal token writes nothing', async () => {
    const { tt, purposeId } = await setup();
    const email = uniqueEmail();
    await signUp(tt.tenant.slug, { email, purposeId });
    const token = tokenOf(await linkFromOutbox(email));
    await browse({ method: 'POST', url: `/api/v1/public/${tt.tenant.slug}/subscriptions/confirm`, payload: { token } });
    const [lead] = await t.handle.db.selectFrom('leads').select(['subject_id']).where('tenant_id', '=', tt.tenant.id).execute();
    const withdrawal = withdrawalToken(t.keyring, tt.tenant.id, lead!.subject_id, purposeId);

    const forged = (withdrawal[0] === 'A' ? 'B' : 'A') + withdrawal.slice(1);
    const events = (await countRows(tt.tenant.id)).events;
    for (const bad of [forged, 'nonsense', '']) {
      const page = await browse({ method: 'POST', url: `/api/v1/public/${tt.tenant.slug}/unsubscribe?token=${bad}` });
      expectPage(page, 410, 'en', 'This link does not work', 'Nothing was changed.');
    }
    const asJson = await browse({
      method: 'POST',
      url: `/api/v1/public/${tt.tenant.slug}/unsubscribe?token=${forged}`,
      headers: { accept: 'application/json' },
    });
    expect(asJson.statusCode).toBe(404);
    expect(asJson.json()).toMatchObject({ code: 'withdrawal_link_invalid' });
    // Another tenant's slug with a valid token: not this tenant's link.
    const other = await createTestTenant(t.handle.db);
    const elsewhere = await browse({ method: 'POST', url: `/api/v1/public/${other.tenant.slug}/unsubscribe?token=${withdrawal}` });
    expectPage(elsewhere, 410, 'en', 'This link does not work');
    expect((await countRows(tt.tenant.id)).events).toBe(events);

    const boundary = '----custodia-test';
    const multipart = await browse({
      method: 'POST',
      url: `/api/v1/public/${tt.tenant.slug}/unsubscribe?token=${withdrawal}`,
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
      payload: `--${boundary}\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n--${boundary}--\r\n`,
    });
    expectPage(multipart, 200, 'en', 'You are unsubscribed');
    const consents = await consentsOf(t.handle.db, t.keyring, tt.tenant.id, lead!.subject_id);
    expect(consents.current[0]?.status).toBe('withdrawn');
  });

  it('while a tenant is suspended nobody can sign up or confirm, but withdrawing still works', async () => {
    const { tt, purposeId } = await setup();
    const slug = tt.tenant.slug;
    const first = uniqueEmail();
    await signUp(slug, { email: first, purposeId });
    const token = tokenOf(await linkFromOutbox(first));
    await browse({ method: 'POST', url: `/api/v1/public/${slug}/subscriptions/confirm`, payload: { token } });
    const [lead] = await t.handle.db.selectFrom('leads').select('subject_id').where('tenant_id', '=', tt.tenant.id).execute();
    const pending = uniqueEmail();
    await signUp(slug, { email: pending, purposeId });
    const pendingToken = tokenOf(await linkFromOutbox(pending));

    await suspendTenant(t.handle.db, t.keyring, slug);
    const later = uniqueEmail();
    expect((await signUp(slug, { email: later, purposeId })).statusCode).toBe(202);
    expect(await mailsTo(later)).toEqual([]);
    const refused = await browse({
      method: 'POST',
      url: `/api/v1/public/${slug}/subscriptions/confirm`,
      headers: FORM,
      payload: form({ token: pendingToken }),
    });
    expectPage(refused, 410, 'en', 'This link does not work');
    expect(await countRows(tt.tenant.id)).toMatchObject({ leads: 1, events: 1 });

    const withdrawal = withdrawalToken(t.keyring, tt.tenant.id, lead!.subject_id, purposeId);
    const withdrawn = await browse({ method: 'POST', url: `/api/v1/public/${slug}/unsubscribe?token=${withdrawal}` });
    expectPage(withdrawn, 200, 'en', 'You are unsubscribed');
    expect((await consentsOf(t.handle.db, t.keyring, tt.tenant.id, lead!.subject_id)).current[0]?.status).toBe('withdrawn');
  });

  it('forged, unknown and expired confirmation tokens change nothing and say so politely', async () => {
    const { tt, purposeId } = await setup();
    const slug = tt.tenant.slug;
    const email = uniqueEmail();
    await signUp(slug, { email, purposeId });
    const link = await linkFromOutbox(email);
    const token = tokenOf(link);
    const before = await countRows(tt.tenant.id);

    const forged = (token[0] === 'A' ? 'B' : 'A') + token.slice(1);
    for (const bad of [forged, randomBytes(32).toString('base64url'), 'x', '']) {
      const page = await browse({ method: 'GET', url: `/api/v1/public/${slug}/subscriptions/confirm?token=${bad}` });
      expectPage(page, 410, 'en', 'This link does not work', 'Nothing was changed.');
      const post = await browse({
        method: 'POST',
        url: `/api/v1/public/${slug}/subscriptions/confirm`,
        headers: FORM,
        payload: form({ token: bad }),
      });
      expectPage(post, 410, 'en', 'This link does not work');
    }
    const json = await browse({
      method: 'POST',
      url: `/api/v1/public/${slug}/subscriptions/confirm`,
      headers: { accept: 'application/json' },
      payload: { token: forged },
    });
    expect(json.statusCode).toBe(404);
    expect(json.json()).toMatchObject({ code: 'signup_link_invalid' });

    // A client that does not read pages gets the failure as problem+json.
    const plain = await t.app.inject({ method: 'GET', url: `/api/v1/public/${slug}/subscriptions/confirm?token=${forged}` });
    expect(plain.statusCode).toBe(404);
    expect(plain.headers['content-type']).toContain('application/problem+json');
    expect(plain.json()).toMatchObject({ code: 'signup_link_invalid' });
    const noForm = await t.app.inject({ method: 'GET', url: `/api/v1/public/${slug}/subscribe?purpose=${newId()}` });
    expect(noForm.json()).toMatchObject({ code: 'signup_form_not_found' });

    // The real token under another tenant's slug is not that tenant's link.
    const other = await createTestTenant(t.handle.db);
    const crossTenant = await browse({
      method: 'POST',
      url: `/api/v1/public/${other.tenant.slug}/subscriptions/confirm`,
      payload: { token },
    });
    expectPage(crossTenant, 410, 'en', 'This link does not work');

    // Expired: the clock is moved past the link's end.
    await t.handle.db
      .updateTable('consent_signups')
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where('tenant_id', '=', tt.tenant.id)
      .execute();
    expectPage(await browse({ method: 'GET', url: pathOf(link) }), 410, 'en', 'This link has expired', 'Nothing was changed.');
    const late = await browse({
      method: 'POST',
      url: `/api/v1/public/${slug}/subscriptions/confirm`,
      headers: FORM,
      payload: form({ token }),
    });
    expectPage(late, 410, 'en', 'This link has expired');
    const lateJson = await browse({
      method: 'POST',
      url: `/api/v1/public/${slug}/subscriptions/confirm`,
      headers: { accept: 'application/json' },
      payload: { token },
    });
    expect(lateJson.json()).toMatchObject({ code: 'signup_link_expired' });

    expect(await countRows(tt.tenant.id)).toEqual(before);
    expect(before).toMatchObject({ leads: 0, events: 0 });
    const row = await t.handle.db
      .selectFrom('consent_signups')
      .select('confirmed_at')
      .where('tenant_id', '=', tt.tenant.id)
      .executeTakeFirstOrThrow();
    expect(row.confirmed_at).toBeNull();
  });

  it('attaches the consent to an existing contact (or lead) with that e-mail address, never a duplicate', async () => {
    const { tt, purposeId } = await setup();
    const admin = await signInAdmin(t.app, tt);
    const email = uniqueEmail('kees');
    const contact = (
      await browse({
        method: 'POST',
        url: '/api/v1/contacts',
        headers: bearer(admin),
        payload: { firstName: 'Kees', lastName: 'Jansen', emails: [email.toUpperCase()] },
      })
    ).json();
    await signUp(tt.tenant.slug, { email, firstName: 'K.', purposeId });
    const confirmed = await browse({
      method: 'POST',
      url: `/api/v1/public/${tt.tenant.slug}/subscriptions/confirm`,
      headers: { accept: 'application/json' },
      payload: { token: tokenOf(await linkFromOutbox(email)) },
    });
    expect(confirmed.json()).toEqual({ status: 'confirmed' });
    const rows = await countRows(tt.tenant.id);
    expect(rows).toMatchObject({ leads: 0, contacts: 1, events: 1 });
    const consents = await browse({ method: 'GET', url: `/api/v1/contacts/${contact.id}`, headers: bearer(admin) });
    expect(consents.json().firstName).toBe('Kees');
    const subject = await t.handle.db.selectFrom('contacts').select('subject_id').where('id', '=', contact.id).executeTakeFirstOrThrow();
    const ledger = await consentsOf(t.handle.db, t.keyring, tt.tenant.id, subject.subject_id);
    expect(ledger.items[0]).toMatchObject({ action: 'confirm', person: { table: 'contacts', id: contact.id } });

    // Two sign-ups of a new address confirmed at the same moment: one lead, two confirmations.
    const fresh = uniqueEmail('lotte');
    await signUp(tt.tenant.slug, { email: fresh, purposeId });
    await signUp(tt.tenant.slug, { email: fresh, purposeId });
    const mails = (await mailsTo(fresh)).map((m) => tokenOf(/https:\/\/\S+token=[A-Za-z0-9_-]+/.exec(m.text)![0]));
    expect(mails).toHaveLength(2);
    const answers = await Promise.all(
      mails.map((token) =>
        browse({
          method: 'POST',
          url: `/api/v1/public/${tt.tenant.slug}/subscriptions/confirm`,
          headers: { accept: 'application/json' },
          payload: { token },
        }),
      ),
    );
    expect(answers.map((a) => a.statusCode)).toEqual([200, 200]);
    const after = await countRows(tt.tenant.id);
    expect(after).toMatchObject({ leads: 1, contacts: 1, events: 3 });
    // A lead without a first name is named by the address's local part until staff change it.
    const lead = await t.handle.db.selectFrom('leads').select('id').where('tenant_id', '=', tt.tenant.id).executeTakeFirstOrThrow();
    const shown = await browse({ method: 'GET', url: `/api/v1/leads/${lead.id}`, headers: bearer(admin) });
    expect(shown.json().firstName).toBe(fresh.split('@')[0]);
  });

  it('concurrent clicks on one link confirm it once', async () => {
    const { tt, purposeId } = await setup();
    const email = uniqueEmail();
    await signUp(tt.tenant.slug, { email, purposeId });
    const token = tokenOf(await linkFromOutbox(email));
    const answers = await Promise.all(
      [1, 2, 3].map(() =>
        browse({
          method: 'POST',
          url: `/api/v1/public/${tt.tenant.slug}/subscriptions/confirm`,
          headers: { accept: 'application/json' },
          payload: { token },
        }),
      ),
    );
    expect(answers.map((a) => a.statusCode).sort()).toEqual([200, 409, 409]);
    expect(await countRows(tt.tenant.id)).toMatchObject({ leads: 1, events: 1 });
  });

  it('answers 202 with the same body whatever happens, and sends nothing for a honeypot, an unknown tenant or a purpose one cannot sign up for', async () => {
    const normal = await setup();
    const contract = await setup({ lawfulBasis: 'contract' });
    const retired = await setup({ retired: true });
    const email = uniqueEmail();
    const bodies = [
      [normal.tt.tenant.slug, { email, purposeId: normal.purposeId, website: 'http://spam.example' }],
      ['no-such-tenant', { email, purposeId: normal.purposeId }],
      [normal.tt.tenant.slug, { email, purposeId: newId() }],
      [contract.tt.tenant.slug, { email, purposeId: contract.purposeId }],
      [retired.tt.tenant.slug, { email, purposeId: retired.purposeId }],
      [normal.tt.tenant.slug, { email, purposeId: contract.purposeId }],
    ] as const;
    for (const [slug, body] of bodies) {
      const answer = await signUp(slug, body);
      expect(answer.statusCode).toBe(202);
      expect(answer.body).toBe('{"status":"accepted"}');
    }
    expect(await mailsTo(email)).toEqual([]);
    for (const s of [normal, contract, retired])
      expect(await t.handle.db.selectFrom('consent_signups').select('id').where('tenant_id', '=', s.tt.tenant.id).execute()).toEqual([]);

    // Input that is not a sign-up at all is a 400 (JSON) or a page saying so (a form).
    const bad = await signUp(normal.tt.tenant.slug, { email: 'not an address', purposeId: normal.purposeId });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ code: 'validation_failed' });
    const badForm = await browse({
      method: 'POST',
      url: `/api/v1/public/${normal.tt.tenant.slug}/subscriptions`,
      headers: { ...FORM, 'accept-language': 'nl' },
      payload: form({ email: 'nope', purposeId: normal.purposeId }),
    });
    expectPage(badForm, 400, 'nl', 'Controleer het formulier');
  });

  it('rate-limits per address and per IP in the database: over the limit nothing is sent, still 202; a new hour starts again', async () => {
    const { tt, purposeId } = await setup();
    const email = uniqueEmail();
    const ip = freshIp();
    for (let i = 0; i < 7; i++) {
      const answer = await signUp(tt.tenant.slug, { email, purposeId }, freshIp());
      expect(answer.statusCode).toBe(202);
    }
    expect(await mailsTo(email)).toHaveLength(5);
    expect(await t.handle.db.selectFrom('consent_signups').select('id').where('tenant_id', '=', tt.tenant.id).execute()).toHaveLength(5);
    // The table holds keyed digests, never the address.
    const keys = await t.handle.db.selectFrom('subscription_throttles').select('key').execute();
    expect(keys.every((k) => !Buffer.from(k.key).includes(Buffer.from(email)))).toBe(true);

    // Per IP, with a smaller limit through the settings.
    const settings = { publicUrl: PUBLIC_URL, subscriptions: { confirmDays: 7, perAddressPerHour: 5, perIpPerHour: 3 } };
    const input = (n: number) => ({ tenantSlug: tt.tenant.slug, email: uniqueEmail(`ip${n}`), purposeId, language: 'en' as const, ip });
    const now = new Date();
    const outcomes = [];
    for (let n = 0; n < 5; n++) outcomes.push(await subscribe(t.handle.db, t.keyring, settings, input(n), now));
    expect(outcomes).toEqual(['queued', 'queued', 'queued', 'throttled', 'throttled']);
    // An hour later the window starts again.
    expect(await subscribe(t.handle.db, t.keyring, settings, input(9), new Date(now.getTime() + 61 * 60_000))).toBe('queued');
  });

  it('the public sign-up form: Dutch, accessible, honeypot hidden, posting to the subscriptions endpoint; a form post answers a page', async () => {
    const { tt, purposeId } = await setup();
    const slug = tt.tenant.slug;
    const page = await browse({ method: 'GET', url: `/api/v1/public/${slug}/subscribe?purpose=${purposeId}&lang=nl` });
    expectPage(
      page,
      200,
      'nl',
      'Aanmelden: Monthly newsletter',
      'We sturen één nieuwsbrief per maand over ons brood.',
      'Waarmee je instemt',
    );
    expect(compact(page.body)).toContain(`<form method="post" action="/api/v1/public/${slug}/subscriptions">`);
    expect(compact(page.body)).toContain('<label for="email">E-mailadres</label>');
    expect(compact(page.body)).toContain('<input id="email" name="email" type="email" required autocomplete="email" maxlength="254">');
    expect(compact(page.body)).toMatch(/<div class="trap" aria-hidden="true">.*name="website" type="text" tabindex="-1"/);
    expect(compact(page.body)).toContain(`<input type="hidden" name="purposeId" value="${purposeId}">`);
    // The inline style is the one the policy's hash allows.
    const style = /<style>([\s\S]*?)<\/style>/.exec(page.body)![1]!;
    expect(PAGE_CSP).toContain(`'sha256-${createHash('sha256').update(style).digest('base64')}'`);
    expect(PAGE_CSP).toContain("form-action 'self'");

    const missing = await browse({ method: 'GET', url: `/api/v1/public/${slug}/subscribe?purpose=${newId()}` });
    expectPage(missing, 404, 'en', 'This sign-up form does not exist');
    expectPage(await browse({ method: 'GET', url: `/api/v1/public/${slug}/subscribe` }), 404, 'en');

    // The form's own post: a "check your inbox" page in Dutch, and the mail in Dutch.
    const email = uniqueEmail();
    const posted = await browse({
      method: 'POST',
      url: `/api/v1/public/${slug}/subscriptions`,
      headers: FORM,
      payload: form({ purposeId, lang: 'nl', email, firstName: '', website: '' }),
      remoteAddress: freshIp(),
    });
    expectPage(posted, 202, 'nl', 'Kijk in je mailbox', 'De link werkt 7 dagen.');
    const [mail] = await mailsTo(email);
    expect(mail).toMatchObject({ locale: 'nl', subject: 'Graag bevestigen: Monthly newsletter van Bakkerij Brood & Zo' });
    expect(mail!.text).toContain('Hallo,');
    expect(mail!.text).toContain('We sturen één nieuwsbrief per maand over ons brood.');
    // The link page speaks the sign-up's language, escapes values and names the tenant.
    const confirm = await browse({ method: 'GET', url: pathOf(await linkFromOutbox(email)) });
    expectPage(confirm, 200, 'nl', 'Bevestig je aanmelding', 'Bakkerij Brood &amp; Zo', 'Bevestigen');
    expect(compact(confirm.body)).not.toContain('Brood & Zo');
  });

  it('purges unconfirmed sign-ups after 30 days, used ones once expired, and old throttle counts', async () => {
    const { tt, purposeId } = await setup();
    const emails = [uniqueEmail('old'), uniqueEmail('recent'), uniqueEmail('used')];
    for (const email of emails) await signUp(tt.tenant.slug, { email, purposeId });
    const [oldToken, , usedToken] = await Promise.all(emails.map(async (e) => tokenOf(await linkFromOutbox(e))));
    await browse({ method: 'POST', url: `/api/v1/public/${tt.tenant.slug}/subscriptions/confirm`, payload: { token: usedToken } });
    const hash = (token: string) => createHash('sha256').update(token).digest();
    const days = (n: number) => new Date(Date.now() - n * 24 * 3600 * 1000);
    await t.handle.db
      .updateTable('consent_signups')
      .set({ created_at: days(31), expires_at: days(24) } as never)
      .where('token_hash', '=', hash(oldToken!))
      .execute();
    await t.handle.db
      .updateTable('consent_signups')
      .set({ expires_at: days(1) })
      .where('token_hash', '=', hash(usedToken!))
      .execute();
    await t.handle.db
      .insertInto('subscription_throttles')
      .values({ key: randomBytes(32), window_start: days(1), count: 3 })
      .execute();

    const purged = await purgeSignups(t.handle.db, t.keyring);
    expect(purged.unconfirmed).toBeGreaterThanOrEqual(1);
    expect(purged.used).toBeGreaterThanOrEqual(1);
    expect(purged.throttles).toBeGreaterThanOrEqual(1);
    const left = await t.handle.db.selectFrom('consent_signups').select('token_hash').where('tenant_id', '=', tt.tenant.id).execute();
    expect(left).toHaveLength(1);
    const audit = await t.handle.db
      .selectFrom('audit_entries')
      .select(['action', 'details'])
      .where('tenant_id', '=', tt.tenant.id)
      .where('action', '=', 'subscription.purged')
      .execute();
    expect(audit).toHaveLength(1);
    expect(JSON.parse(audit[0]!.details)).toMatchObject({ count: 1 });
    // The purged link now reads as unknown.
    const gone = await browse({ method: 'GET', url: `/api/v1/public/${tt.tenant.slug}/subscriptions/confirm?token=${oldToken}` });
    expectPage(gone, 410, 'en', 'This link does not work');
  });

  it('logs outcomes, never the address, the name or the token', async () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const app = await buildServer({
      config: testConfig({ LOG_LEVEL: 'info', CUSTODIA_PUBLIC_URL: PUBLIC_URL }),
      database: t.handle,
      keyring: t.keyring,
      logStream: stream,
    });
    await app.ready();
    try {
      const { tt, purposeId } = await setup();
      const email = uniqueEmail('secretive');
      const posted = await app.inject({
        method: 'POST',
        url: `/api/v1/public/${tt.tenant.slug}/subscriptions`,
        payload: { email, firstName: 'Geheimnaam', purposeId },
        remoteAddress: freshIp(),
      });
      expect(posted.statusCode).toBe(202);
      const link = await linkFromOutbox(email);
      await app.inject({ method: 'GET', url: pathOf(link) });
      await app.inject({
        method: 'POST',
        url: `/api/v1/public/${tt.tenant.slug}/subscriptions/confirm`,
        payload: { token: tokenOf(link) },
      });
    } finally {
      await app.close();
    }
    const log = lines.join('');
    expect(log).toContain('"outcome":"queued"');
    expect(log).toContain('"state":"confirmed"');
    expect(log).not.toMatch(/secretive|Geheimnaam|example\.test|token=/);
  });
});
