import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { inflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { crmSession, memberSession, type CrmSession } from '../../../test/crm.js';
import { useTestServer } from '../../../test/server.js';
import { compileAccessPackage } from './access-package.service.js';
import { packageZip } from './package-files.js';
import type { Authenticated } from '../../shared/actor.js';

// The access/portability package: everything about the person (fields, notes,
// consents with proof, who read their record), compiled with the person's key
// whatever the officer's own reach, as a streamed zip or one JSON document;
// refused for cases that do not call for it, for users without privacy
// export, and across tenants. The zip is read here by its central directory.

const t = useTestServer();
const address = (name = 'anneke') => `${name}-${randomBytes(4).toString('hex')}@example.test`;

/** The entries of a zip: names and contents, read through its central directory (no zip library). */
function unzip(zip: Buffer): Map<string, Buffer> {
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  expect(eocd).toBeGreaterThan(0);
  const count = zip.readUInt16LE(eocd + 10);
  let at = zip.readUInt32LE(eocd + 16);
  const files = new Map<string, Buffer>();
  for (let i = 0; i < count; i++) {
    expect(zip.readUInt32LE(at)).toBe(0x02014b50);
    const method = zip.readUInt16LE(at + 10);
    const compressed = zip.readUInt32LE(at + 20);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    const local = zip.readUInt32LE(at + 42);
    const name = zip.subarray(at + 46, at + 46 + nameLength).toString('utf8');
    const dataStart = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const data = zip.subarray(dataStart, dataStart + compressed);
    files.set(name, method === 8 ? inflateRawSync(data) : Buffer.from(data));
    at += 46 + nameLength + extraLength + commentLength;
  }
  return files;
}

interface Fixture {
  s: CrmSession;
  contactId: string;
  subjectId: string;
  email: string;
  requestId: string;
  purposeId: string;
  readerId: string;
}

/** A contact with a note and a consent, read by a sales rep; an access request about them, verified. */
async function fixture(type: 'access' | 'portability' = 'access'): Promise<Fixture> {
  const s = await crmSession(t);
  const email = address();
  const created = await s.post('/api/v1/contacts', {
    firstName: 'Anneke',
    lastName: 'de Vries',
    emails: [email],
    phones: ['+31 20 123 4567'],
    jobTitle: 'Bakker',
  });
  expect(created.statusCode, created.body).toBe(201);
  const { id: contactId, subjectId } = created.json<{ id: string; subjectId: string }>();
  expect((await s.post('/api/v1/notes', { body: 'Prefers <b>sourdough</b> & rye', contactId })).statusCode).toBe(201);
  const purpose = await s.post('/api/v1/privacy/purposes', {
    name: 'Bread newsletter',
    lawfulBasis: 'consent',
    dataCategories: ['name', 'e-mail address'],
    recipients: ['Mail service provider'],
    retentionDays: 730,
    marketing: true,
    notice: { language: 'en', text: 'A monthly letter about bread.' },
  });
  expect(purpose.statusCode, purpose.body).toBe(201);
  const purposeId = purpose.json<{ id: string }>().id;
  const granted = await s.post(`/api/v1/contacts/${contactId}/consents`, { purposeId, action: 'grant' });
  expect(granted.statusCode, granted.body).toBe(201);
  // A sales rep reads the record: the package must say so.
  const rep = await memberSession(t, s, { name: 'Rep' });
  expect((await rep.get(`/api/v1/contacts/${contactId}`)).statusCode).toBe(200);
  const opened = await s.post('/api/v1/privacy/requests', { type, contactId, channel: 'email' });
  expect(opened.statusCode, opened.body).toBe(201);
  const requestId = opened.json<{ id: string }>().id;
  expect((await s.post(`/api/v1/privacy/requests/${requestId}/verify`, { method: 'id_document' })).statusCode).toBe(200);
  return { s, contactId, subjectId, email, requestId, purposeId, readerId: rep.id };
}

function exportOf(s: CrmSession, requestId: string, accept?: string, query = '') {
  return t.app.inject({
    method: 'GET',
    url: `/api/v1/privacy/requests/${requestId}/export${query}`,
    headers: { authorization: `Bearer ${s.token}`, ...(accept ? { accept } : {}) },
  });
}

describe('the access package', () => {
  it('as JSON holds the person’s fields, the note, the consent with its proof and who read the record', async () => {
    const f = await fixture();
    const res = await exportOf(f.s, f.requestId, 'application/json');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const pkg = res.json();
    expect(pkg).toMatchObject({
      format: 'custodia-access-package/1',
      subjectId: f.subjectId,
      request: { id: f.requestId, type: 'access' },
      files: [],
    });
    expect(pkg.contacts).toEqual([
      expect.objectContaining({
        id: f.contactId,
        firstName: 'Anneke',
        lastName: 'de Vries',
        emails: [expect.objectContaining({ value: f.email })],
        jobTitle: 'Bakker',
      }),
    ]);
    expect(pkg.contacts[0].phones[0].value).toContain('20 123 4567');
    expect(pkg.notes).toEqual([expect.objectContaining({ body: 'Prefers <b>sourdough</b> & rye', contactId: f.contactId })]);
    expect(pkg.consents.current).toEqual([
      expect.objectContaining({ purposeId: f.purposeId, purposeName: 'Bread newsletter', status: 'granted' }),
    ]);
    expect(pkg.consents.events).toEqual([
      expect.objectContaining({
        purposeId: f.purposeId,
        action: 'grant',
        source: 'staff',
        noticeHash: expect.stringMatching(/^[0-9a-f]{64}$/),
      }),
    ]);
    expect(pkg.purposes).toEqual([
      expect.objectContaining({
        id: f.purposeId,
        lawfulBasis: 'consent',
        recipients: ['Mail service provider'],
        retentionDays: 730,
        appliesBecause: 'consent',
      }),
    ]);
    // Who accessed their data: the rep's read of the contact is there, without values.
    expect(pkg.accessLog).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          actorKind: 'user',
          actorUserId: f.readerId,
          action: 'contact.read',
          entity: 'contacts',
          entityId: f.contactId,
        }),
      ]),
    );
    expect(JSON.stringify(pkg.accessLog)).not.toContain(f.email);
  });

  it('as a zip streams summary.html, data.json and a CSV per record type, and its delivery is recorded', async () => {
    const f = await fixture('portability');
    // A cell a spreadsheet would run as a formula is defused.
    expect((await f.s.post('/api/v1/notes', { body: '=HYPERLINK("https://evil.example")', contactId: f.contactId })).statusCode).toBe(201);
    const res = await exportOf(f.s, f.requestId);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toBe('application/zip');
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename="access-package-R-[0-9A-F]{8}\.zip"$/);
    // Streamed: sent in chunks as it is written, no length known up front.
    expect(res.headers['content-length']).toBeUndefined();
    expect(res.headers['transfer-encoding']).toBe('chunked');
    const files = unzip(res.rawPayload);
    expect([...files.keys()]).toEqual([
      'summary.html',
      'data.json',
      'contacts.csv',
      'leads.csv',
      'organizations.csv',
      'deals.csv',
      'activities.csv',
      'notes.csv',
      'email-messages.csv',
      'consents.csv',
      'purposes.csv',
      'access-log.csv',
      'files/README.txt',
      'files/files.csv',
    ]);
    const data = JSON.parse(files.get('data.json')!.toString('utf8'));
    expect(data.notes.map((n: { body: string }) => n.body)).toContain('Prefers <b>sourdough</b> & rye');
    const summary = files.get('summary.html')!.toString('utf8');
    expect(summary).toContain('<html lang="en">');
    expect(summary).toContain('Prefers &lt;b&gt;sourdough&lt;/b&gt; &amp; rye');
    expect(summary).not.toContain('<b>sourdough');
    expect(summary).not.toContain('<script');
    expect(summary).toContain(f.email);
    const notesCsv = files.get('notes.csv')!.toString('utf8');
    expect(notesCsv.startsWith('\uFEFFid,body,contactId')).toBe(true);
    expect(notesCsv).toContain('Prefers <b>sourdough</b> & rye');
    expect(notesCsv).toContain(`"'=HYPERLINK(""https://evil.example"")"`);
    expect(files.get('consents.csv')!.toString('utf8')).toContain('Bread newsletter');
    expect(files.get('access-log.csv')!.toString('utf8')).toContain('contact.read');

    // Dutch on request.
    const nl = unzip((await exportOf(f.s, f.requestId, undefined, '?lang=nl')).rawPayload);
    expect(nl.get('summary.html')!.toString('utf8')).toContain('Je persoonsgegevens');

    const detail = (await f.s.get(`/api/v1/privacy/requests/${f.requestId}`)).json();
    const exported = detail.steps.filter((step: { action: string }) => step.action === 'exported');
    expect(exported).toHaveLength(2);
    expect(exported[0].details).toMatchObject({ format: 'zip', notes: 2, consentEvents: 1, contacts: 1 });
    const audit = await t.handle.db
      .selectFrom('audit_entries')
      .select(['subject_ids', 'details'])
      .where('tenant_id', '=', f.s.tt.tenant.id)
      .where('action', '=', 'privacy_request.exported')
      .execute();
    expect(audit).toHaveLength(2);
    expect(audit[0]!.subject_ids).toEqual([f.subjectId]);
    expect(audit[0]!.details).not.toContain(f.email);
  });

  it('holds their organization, deals, activities and logged e-mails, and the lead they were before', async () => {
    const s = await crmSession(t);
    const email = address('jan');
    const lead = await s.post('/api/v1/leads', { firstName: 'Jan', lastName: 'Bakker', emails: [email], company: 'Bakkerij Jan' });
    expect(lead.statusCode, lead.body).toBe(201);
    const converted = await s.post(`/api/v1/leads/${lead.json<{ id: string }>().id}/convert`, {
      deal: { title: 'Ovens', amount: 900000, currency: 'EUR' },
    });
    expect(converted.statusCode, converted.body).toBe(200);
    const { contactId } = converted.json<{ contactId: string }>();
    const deal = await s.post('/api/v1/deals', { title: 'Flour supply', amount: 125000, currency: 'EUR', contactIds: [contactId] });
    expect(deal.statusCode, deal.body).toBe(201);
    const activity = await s.post('/api/v1/activities', { type: 'call', subject: 'Call back', description: 'About the rye', contactId });
    expect(activity.statusCode, activity.body).toBe(201);
    const mail = await s.post('/api/v1/email-messages', {
      direction: 'inbound',
      from: email,
      to: ['sales@example.test'],
      subject: 'Question about flour',
      body: 'Do you deliver on Sundays?',
      contactId,
    });
    expect(mail.statusCode, mail.body).toBe(201);
    const opened = (await s.post('/api/v1/privacy/requests', { type: 'access', email })).json<{ id: string; contactId: string }>();
    expect(opened.contactId).toBe(contactId);
    await s.post(`/api/v1/privacy/requests/${opened.id}/verify`, { method: 'email_link' });
    await s.post(`/api/v1/privacy/requests/${opened.id}/start`, {});

    const pkg = (await exportOf(s, opened.id, 'application/json')).json();
    expect(pkg.contacts).toHaveLength(1);
    expect(pkg.leads).toEqual([expect.objectContaining({ firstName: 'Jan', company: 'Bakkerij Jan', status: 'converted' })]);
    expect(pkg.deals.map((d: { title: string }) => d.title).sort()).toEqual(['Flour supply', 'Ovens']);
    expect(pkg.deals.find((d: { title: string }) => d.title === 'Flour supply')).toMatchObject({ amount: 125000, currency: 'EUR' });
    expect(pkg.activities).toEqual([expect.objectContaining({ subject: 'Call back', description: 'About the rye', type: 'call' })]);
    expect(pkg.emailMessages).toEqual([
      expect.objectContaining({ from: email, subject: 'Question about flour', body: 'Do you deliver on Sundays?' }),
    ]);
    expect(pkg.organizations.map((o: { name: string }) => o.name)).toContain('Bakkerij Jan');
  });

  it('is compiled with the person’s key, not the officer’s reach, and returned as a stream', async () => {
    const f = await fixture();
    // The officer's profile sees no contacts or notes at all; the package still holds them.
    const profile = (
      await f.s.post('/api/v1/profiles', { name: 'DPO', permissions: { privacy: { view: true, edit: true, export: true } } })
    ).json<{ id: string }>();
    const dpo = await memberSession(t, f.s, { profileId: profile.id });
    expect((await dpo.get(`/api/v1/contacts/${f.contactId}`)).statusCode).not.toBe(200);
    const res = await exportOf(dpo, f.requestId, 'application/json');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().contacts[0].firstName).toBe('Anneke');
    expect(res.json().notes).toHaveLength(1);

    const actor = { tenantId: f.s.tt.tenant.id, user: { ...f.s.tt.admin, language: 'en' } } as unknown as Authenticated;
    const pkg = await compileAccessPackage(t.handle.db, t.keyring, actor, f.requestId);
    const stream = packageZip(pkg);
    expect(stream).toBeInstanceOf(Readable);
    let chunks = 0;
    for await (const _chunk of stream) chunks++;
    expect(chunks).toBeGreaterThan(1);
  });

  it('is refused for an unverified case, a type without a package and a case without a person (409)', async () => {
    const f = await fixture();
    const unverified = (await f.s.post('/api/v1/privacy/requests', { type: 'access', contactId: f.contactId })).json<{ id: string }>();
    const res = await exportOf(f.s, unverified.id, 'application/json');
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ code: 'package_not_ready' });

    const erasure = (await f.s.post('/api/v1/privacy/requests', { type: 'erasure', contactId: f.contactId })).json<{ id: string }>();
    await f.s.post(`/api/v1/privacy/requests/${erasure.id}/verify`, { method: 'other' });
    expect((await exportOf(f.s, erasure.id)).json()).toMatchObject({ code: 'package_not_applicable' });

    const nobody = (await f.s.post('/api/v1/privacy/requests', { type: 'access', email: address('nobody') })).json<{ id: string }>();
    await f.s.post(`/api/v1/privacy/requests/${nobody.id}/verify`, { method: 'other' });
    const none = await exportOf(f.s, nobody.id);
    expect(none.statusCode).toBe(409);
    expect(none.json()).toMatchObject({ code: 'package_no_person' });

    // Nothing was recorded as delivered.
    const steps = (await f.s.get(`/api/v1/privacy/requests/${unverified.id}`)).json().steps;
    expect(steps.map((x: { action: string }) => x.action)).toEqual(['received']);
  });

  it('needs privacy export (403) and stays within the tenant (404)', async () => {
    const f = await fixture();
    const profile = (await f.s.post('/api/v1/profiles', { name: 'Privacy reader', permissions: { privacy: { view: true } } })).json<{
      id: string;
    }>();
    const reader = await memberSession(t, f.s, { profileId: profile.id });
    const forbidden = await exportOf(reader, f.requestId);
    expect(forbidden.statusCode).toBe(403);

    const other = await crmSession(t);
    const elsewhere = await exportOf(other, f.requestId, 'application/json');
    expect(elsewhere.statusCode).toBe(404);
    expect(elsewhere.json()).toMatchObject({ code: 'request_not_found' });

    const bad = await exportOf(f.s, 'not-a-uuid');
    expect(bad.statusCode).toBe(400);
  });
});
