import { createHash, randomBytes } from 'node:crypto';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { crmSession, memberSession, type CrmSession } from '../../../test/crm.js';
import { useTestServer } from '../../../test/server.js';
import { startTestSmtpServer, type TestSmtpServer } from '../../../test/smtp.js';
import { addSuppressions } from '../../crm/common/suppression.js';
import { createSmtpTransport, listOutbox, sendDueMail } from '../../mail/mail.service.js';
import { PAGE_CSP } from '../public/pages.js';
import { dueDateFor } from '../requests/due-date.js';
import { purgePublicRequestLinks } from './public-requests.service.js';

// The public request form end to end: file a request over HTTP, the
// verification mail over real SMTP, the link's page (GET changes nothing), the
// confirming POST (once) that opens a verified case linked to the person, and
// the receipt with the due date; replayed, forged and expired links, the
// honeypot and the rate limit (202 always, no mail).

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
const freshIp = () => `198.51.100.${++ipCounter}`;
const uniqueEmail = (name = 'anneke') => `${name}.${randomBytes(4).toString('hex')}@example.test`;
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64) TestBrowser/1.0';

const browse = (options: InjectOptions) =>
  t.app.inject({ ...options, headers: { accept: 'text/html,application/xhtml+xml', ...(options.headers as object | undefined) } });

function file(slug: string, body: Record<string, unknown>, ip = freshIp()) {
  return t.app.inject({ method: 'POST', url: `/api/v1/public/${slug}/requests`, payload: body, remoteAddress: ip });
}

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
  for (const text of texts) expect(compact(response.body)).toContain(text);
}

async function mailsTo(to: string) {
  return (await listOutbox(t.handle.db, { keyring: t.keyring, limit: 1000 })).filter((m) => m.to === to);
}

async function linkFor(to: string): Promise<string> {
  const mail = (await mailsTo(to)).find((m) => m.template === 'privacy_request_verify');
  const link = /https:\/\/\S+\/requests\/verify\?token=[A-Za-z0-9_-]+/.exec(mail?.text ?? '');
  if (!link) throw new Error('no verification link queued');
  return link[0];
}

const pathOf = (link: string) => link.replace(PUBLIC_URL, '');
const tokenOf = (link: string) => new URL(link).searchParams.get('token')!;

async function casesOf(tenantId: string) {
  return t.handle.db.selectFrom('privacy_requests').selectAll().where('tenant_id', '=', tenantId).execute();
}

async function contact(s: CrmSession, email: string) {
  const res = await s.post('/api/v1/contacts', { firstName: 'Anneke', lastName: 'de Vries', emails: [email] });
  expect(res.statusCode, res.body).toBe(201);
  return res.json<{ id: string; subjectId: string }>();
}

describe('the public request form', () => {
  it('round trip over SMTP: file, the link page changes nothing, POST opens a verified case linked to the person, a receipt with the due date', async () => {
    const s = await crmSession(t);
    const slug = s.tt.tenant.slug;
    const email = uniqueEmail();
    const person = await contact(s, email);

    // The form, in Dutch.
    const form = await browse({ method: 'GET', url: `/api/v1/public/${slug}/requests/new?lang=nl` });
    expectPage(form, 200, 'nl', 'Een verzoek over je persoonsgegevens', `<form method="post" action="/api/v1/public/${slug}/requests">`);
    expect(compact(form.body)).toContain('<select id="type" name="type" required>');
    expect(compact(form.body)).toContain('<option value="access">Inzage in de persoonsgegevens');

    const accepted = await file(slug, { email: email.toUpperCase(), type: 'access' });
    expect(accepted.statusCode, accepted.body).toBe(202);
    expect(accepted.json()).toEqual({ status: 'accepted' });
    const [link] = await t.handle.db.selectFrom('public_request_links').selectAll().where('tenant_id', '=', s.tt.tenant.id).execute();
    expect(link).toMatchObject({ type: 'access', language: 'en', used_at: null });
    expect(Buffer.from(link!.email_enc!).includes(Buffer.from(email))).toBe(false);

    const sent = await sendDueMail(t.handle.db, createSmtpTransport(smtp.url), { from: FROM, keyring: t.keyring });
    await smtp.waitFor(sent.sent);
    const mail = smtp.messages.find((m) => m.to.includes(email))!;
    expect(mail.subject).toBe(`Please confirm your request to ${s.tt.tenant.name}`);
    expect(mail.text).toContain('access to your personal data');
    const url = /https:\/\/crm\.example\.test\/api\/v1\/public\/[^/]+\/requests\/verify\?token=[A-Za-z0-9_-]{43}/.exec(mail.text)?.[0];
    expect(url).toBeDefined();
    const token = tokenOf(url!);
    expect(createHash('sha256').update(token).digest()).toEqual(Buffer.from(link!.token_hash));

    // A scanner opening the link (twice) opens no case.
    for (let i = 0; i < 2; i++) {
      const page = await browse({ method: 'GET', url: pathOf(url!) });
      expectPage(page, 200, 'en', 'Confirm your request', 'See the personal data you hold about me');
      expect(compact(page.body)).toContain(`<input type="hidden" name="token" value="${token}">`);
    }
    expect(await casesOf(s.tt.tenant.id)).toHaveLength(0);

    const confirmed = await browse({
      method: 'POST',
      url: `/api/v1/public/${slug}/requests/verify`,
      headers: { ...FORM, 'user-agent': BROWSER },
      payload: new URLSearchParams({ token, lang: 'en' }).toString(),
      remoteAddress: '203.0.113.45',
    });
    const [opened] = await casesOf(s.tt.tenant.id);
    expect(opened).toMatchObject({
      type: 'access',
      status: 'verified',
      channel: 'web_form',
      person_table: 'contacts',
      person_id: person.id,
      subject_id: person.subjectId,
      verification_method: 'email_link',
      verified_by: null,
      created_by: null,
    });
    const due = dueDateFor(opened!.received_at);
    expect(opened!.due_date).toBe(due);
    const reference = `R-${opened!.id.replace(/-/g, '').slice(-8).toUpperCase()}`;
    expectPage(confirmed, 200, 'en', 'Thank you, your request is filed', reference, due);

    // Staff see the case with its steps and the address it came from.
    const detail = (await s.get(`/api/v1/privacy/requests/${opened!.id}`)).json();
    expect(detail).toMatchObject({ email: email, contactId: person.id, verification: { method: 'email_link', by: null } });
    expect(detail.steps.map((x: { action: string }) => x.action)).toEqual(['received', 'verified']);

    // The receipt, over SMTP, with the reference and due date.
    const more = await sendDueMail(t.handle.db, createSmtpTransport(smtp.url), { from: FROM, keyring: t.keyring });
    await smtp.waitFor(sent.sent + more.sent);
    const receipt = smtp.messages.find((m) => m.to.includes(email) && m.subject.includes(reference))!;
    expect(receipt.subject).toBe(`We received your request (${reference})`);
    expect(receipt.text).toContain(`We answer by ${due} at the latest`);

    // Single use: a second POST changes nothing; the browser is told politely, an API client gets 409.
    const again = await browse({ method: 'POST', url: `/api/v1/public/${slug}/requests/verify`, headers: FORM, payload: `token=${token}` });
    expectPage(again, 200, 'en', 'Already confirmed', 'Nothing was changed');
    const api = await t.app.inject({ method: 'POST', url: `/api/v1/public/${slug}/requests/verify`, payload: { token } });
    expect(api.statusCode).toBe(409);
    expect(api.json()).toMatchObject({ code: 'request_link_used' });
    expect(await casesOf(s.tt.tenant.id)).toHaveLength(1);
    const used = await t.handle.db.selectFrom('public_request_links').selectAll().where('id', '=', link!.id).executeTakeFirstOrThrow();
    expect(used).toMatchObject({ email_enc: null, request_id: opened!.id });
  });

  it('opens an unlinked case when nobody (or more than one person) has the address; JSON clients get the reference', async () => {
    const s = await crmSession(t);
    const email = uniqueEmail('stranger');
    expect((await file(s.tt.tenant.slug, { email, type: 'erasure', lang: 'nl' })).statusCode).toBe(202);
    const link = await linkFor(email);
    expect((await mailsTo(email))[0]).toMatchObject({ locale: 'nl' });
    const res = await t.app.inject({
      method: 'POST',
      url: pathOf(link).split('?')[0]!,
      headers: { accept: 'application/json' },
      payload: { token: tokenOf(link) },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ status: 'opened', reference: expect.stringMatching(/^R-/), dueAt: expect.any(String) });
    const [opened] = await casesOf(s.tt.tenant.id);
    expect(opened).toMatchObject({ type: 'erasure', status: 'verified', person_id: null, subject_id: null });
    const receipt = (await mailsTo(email)).find((m) => m.template === 'privacy_request_receipt')!;
    expect(receipt.subject).toContain('We hebben je verzoek ontvangen');
  });

  it('forged, expired and other tenants’ links change nothing', async () => {
    const s = await crmSession(t);
    const other = await crmSession(t);
    const slug = s.tt.tenant.slug;
    const email = uniqueEmail();
    await file(slug, { email, type: 'access' });
    const link = await linkFor(email);
    const token = tokenOf(link);

    const forged = await browse({
      method: 'POST',
      url: `/api/v1/public/${slug}/requests/verify`,
      headers: FORM,
      payload: `token=${'A'.repeat(43)}`,
    });
    expectPage(forged, 410, 'en', 'This link does not work', 'Nothing was changed');
    const forgedGet = await t.app.inject({ method: 'GET', url: `/api/v1/public/${slug}/requests/verify?token=abc` });
    expect(forgedGet.statusCode).toBe(404);
    expect(forgedGet.json()).toMatchObject({ code: 'request_link_invalid' });
    // The token is bound to its tenant.
    const elsewhere = await browse({
      method: 'POST',
      url: `/api/v1/public/${other.tt.tenant.slug}/requests/verify`,
      headers: FORM,
      payload: `token=${token}`,
    });
    expect(elsewhere.statusCode).toBe(410);

    await t.handle.db
      .updateTable('public_request_links')
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where('tenant_id', '=', s.tt.tenant.id)
      .execute();
    const expired = await browse({
      method: 'POST',
      url: `/api/v1/public/${slug}/requests/verify`,
      headers: FORM,
      payload: `token=${token}`,
    });
    expectPage(expired, 410, 'en', 'This link has expired');
    const expiredGet = await browse({ method: 'GET', url: pathOf(link) });
    expectPage(expiredGet, 410, 'en', 'This link has expired');
    expect(await casesOf(s.tt.tenant.id)).toHaveLength(0);
    expect(await casesOf(other.tt.tenant.id)).toHaveLength(0);

    // Old links are purged after 30 days.
    await sql`update public_request_links set created_at = now() - interval '31 days' where tenant_id = ${s.tt.tenant.id}`.execute(
      t.handle.db,
    );
    expect(await purgePublicRequestLinks(t.handle.db)).toBeGreaterThanOrEqual(1);
  });

  it('answers 202 and mails nothing for the honeypot, over the limit, an unknown tenant or an erased person’s address', async () => {
    const s = await crmSession(t);
    const slug = s.tt.tenant.slug;

    const bot = uniqueEmail('bot');
    expect((await file(slug, { email: bot, type: 'access', website: 'https://spam.example' })).statusCode).toBe(202);
    expect(await mailsTo(bot)).toHaveLength(0);

    const eager = uniqueEmail('eager');
    for (let i = 0; i < 7; i++) expect((await file(slug, { email: eager, type: 'access' })).statusCode).toBe(202);
    expect(await mailsTo(eager)).toHaveLength(5);

    const lost = uniqueEmail('lost');
    expect((await file('no-such-tenant', { email: lost, type: 'access' })).statusCode).toBe(202);
    expect(await mailsTo(lost)).toHaveLength(0);

    const erased = uniqueEmail('erased');
    await addSuppressions(t.handle.db, t.keyring, s.tt.tenant.id, { emails: [erased], phones: [] });
    expect((await file(slug, { email: erased, type: 'erasure' })).statusCode).toBe(202);
    expect(await mailsTo(erased)).toHaveLength(0);
    const fact = await t.handle.db
      .selectFrom('audit_entries')
      .select('details')
      .where('tenant_id', '=', s.tt.tenant.id)
      .where('action', '=', 'privacy_request.public_suppressed')
      .execute();
    expect(fact).toHaveLength(1);
    expect(fact[0]!.details).not.toContain(erased);

    // Bad input: a form post gets a page, an API client a problem.
    const bad = await file(slug, { email: 'not an address', type: 'access' });
    expect(bad.statusCode).toBe(400);
    const badType = await file(slug, { email: uniqueEmail(), type: 'everything' });
    expect(badType.statusCode).toBe(400);
    const badForm = await browse({ method: 'POST', url: `/api/v1/public/${slug}/requests`, headers: FORM, payload: 'email=x' });
    expectPage(badForm, 400, 'en', 'Please check the form');
    const unknown = await browse({ method: 'GET', url: '/api/v1/public/no-such-tenant/requests/new' });
    expectPage(unknown, 404, 'en', 'This request form does not exist');
    expect(await casesOf(s.tt.tenant.id)).toHaveLength(0);
  });

  it('tells staff with privacy view where the form is; others get 403', async () => {
    const s = await crmSession(t);
    const res = await s.get('/api/v1/privacy/requests/public-form');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ path: `/api/v1/public/${s.tt.tenant.slug}/requests/new` });
    const rep = await memberSession(t, s);
    expect((await rep.get('/api/v1/privacy/requests/public-form')).statusCode).toBe(403);
  });
});
