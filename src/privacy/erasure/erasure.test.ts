import { describe, expect, it } from 'vitest';
import { auditEntries, crmSession, memberSession, type CrmSession } from '../../../test/crm.js';
import { useTestServer } from '../../../test/server.js';

// Erasure (issue 17): the person is gone — their records and everything about
// them — their key is shredded so what stays (audit facts) is unreadable, and
// their addresses are suppressed so no way in brings them back.

const t = useTestServer();

async function person(s: CrmSession, email = `erase-${Math.random().toString(36).slice(2)}@example.test`) {
  const contact = (
    await s.post('/api/v1/contacts', { firstName: 'Erin', lastName: 'Erased', emails: [email], phones: ['+31 20 555 0199'], tags: ['vip'] })
  ).json();
  expect(contact.id).toBeDefined();
  expect((await s.post('/api/v1/notes', { contactId: contact.id, body: 'Erin asked about pricing' })).statusCode).toBe(201);
  expect(
    (await s.post('/api/v1/activities', { type: 'call', subject: 'Call', contactId: contact.id, description: 'Talked to Erin' }))
      .statusCode,
  ).toBe(201);
  const deal = (await s.post('/api/v1/deals', { title: 'Erin deal', amount: 10, currency: 'EUR', contactIds: [contact.id] })).json();
  expect(deal.id).toBeDefined();
  return { contact, email, deal };
}

async function rowsAbout(subjectId: string, tenantId: string) {
  const db = t.handle.db;
  const count = async (table: 'contacts' | 'leads' | 'notes' | 'activities' | 'email_messages' | 'consent_events') =>
    (await db.selectFrom(table).select('id').where('tenant_id', '=', tenantId).where('subject_id', '=', subjectId).execute()).length;
  return {
    contacts: await count('contacts'),
    leads: await count('leads'),
    notes: await count('notes'),
    activities: await count('activities'),
    consents: await count('consent_events'),
    key: (
      await db
        .selectFrom('subject_keys')
        .select('subject_id')
        .where('tenant_id', '=', tenantId)
        .where('subject_id', '=', subjectId)
        .execute()
    ).length,
  };
}

describe('erasure', () => {
  it('deletes the person and everything about them, shreds their key, keeps the audit facts unreadable', async () => {
    const s = await crmSession(t);
    const { contact, deal } = await person(s);
    expect((await s.get(`/api/v1/contacts/${contact.id}`)).statusCode).toBe(200);
    const subjectId = (await t.handle.db.selectFrom('contacts').select('subject_id').where('id', '=', contact.id).executeTakeFirstOrThrow())
      .subject_id;
    expect(await rowsAbout(subjectId, s.tt.tenant.id)).toMatchObject({ contacts: 1, notes: 1, activities: 1, key: 1 });

    const erased = await s.post(`/api/v1/contacts/${contact.id}/erase`, {});
    expect(erased.statusCode, erased.body).toBe(200);
    expect(erased.json()).toMatchObject({
      erased: true,
      suppressed: 2,
      deleted: { contacts: 1, notes: 1, activities: 1, deal_contacts: 1 },
    });

    expect((await s.get(`/api/v1/contacts/${contact.id}`)).statusCode).toBe(404);
    expect(await rowsAbout(subjectId, s.tt.tenant.id)).toEqual({ contacts: 0, leads: 0, notes: 0, activities: 0, consents: 0, key: 0 });
    expect((await s.get(`/api/v1/deals/${deal.id}`)).json().contactIds).toEqual([]);

    // The facts stay: who created and read the person, and who erased them; their values no longer open.
    const trail = await auditEntries(s, `entity=contacts&entityId=${contact.id}`);
    expect(trail.map((e) => e.action)).toEqual(expect.arrayContaining(['contact.created', 'contact.read', 'person.erased']));
    const created = trail.find((e) => e.action === 'contact.created')!;
    expect(created).toMatchObject({ changes: null, valuesErased: true });
    expect(JSON.stringify(trail)).not.toContain('Erin');
    // A second erasure finds nothing.
    expect((await s.post(`/api/v1/contacts/${contact.id}/erase`, {})).statusCode).toBe(404);
  });

  it('refuses re-creation by API, by adding the address to someone, by import and by lead conversion — until re-admitted with a lawful basis', async () => {
    const s = await crmSession(t);
    const { contact, email } = await person(s);
    // A lead made before the erasure with the same address cannot be converted after it.
    const lead = (await s.post('/api/v1/leads', { firstName: 'Same', lastName: 'Address', emails: [email] })).json();
    const other = (await s.post('/api/v1/contacts', { firstName: 'Other', lastName: 'Person', emails: ['other@example.test'] })).json();
    expect((await s.post(`/api/v1/contacts/${contact.id}/erase`, {})).statusCode).toBe(200);
    expect((await s.get('/api/v1/privacy/suppressions')).json()).toEqual({ emails: 1, phones: 1, total: 2 });

    const again = await s.post('/api/v1/contacts', { firstName: 'Erin', lastName: 'Back', emails: [email.toUpperCase()] });
    expect(again.statusCode).toBe(409);
    expect(again.json().code).toBe('suppressed');
    expect(again.body).not.toContain(email);
    const byPhone = await s.post('/api/v1/leads', { firstName: 'E', lastName: 'B', phones: ['020 555 0199'] });
    expect(byPhone.json().code).toBe('suppressed');
    const added = await s.patch(`/api/v1/contacts/${other.id}`, { emails: ['other@example.test', email], version: other.version });
    expect(added.json().code).toBe('suppressed');
    // The lead sharing the address keeps existing and can be edited, but not converted into a new contact.
    expect((await s.patch(`/api/v1/leads/${lead.id}`, { jobTitle: 'Buyer', version: lead.version })).statusCode).toBe(200);
    expect((await s.post(`/api/v1/leads/${lead.id}/convert`, {})).json().code).toBe('suppressed');

    const imported = await t.app.inject({
      method: 'POST',
      url: '/api/v1/imports/contacts?lawfulBasis=consent',
      headers: { authorization: `Bearer ${s.token}`, 'content-type': 'text/csv' },
      payload: `firstName,lastName,email\nErin,Imported,${email}\nNew,Person,new.person@example.test\n`,
    });
    expect(imported.statusCode, imported.body).toBe(200);
    expect(imported.json()).toMatchObject({
      created: 1,
      skipped: 1,
      warnings: [{ line: 2, field: 'emails', message: expect.stringMatching(/^suppressed:/) }],
    });

    const refused = await s.post('/api/v1/privacy/suppressions/readmit', { email, reason: 'asked to be a customer again' });
    expect(refused.statusCode).toBe(400);
    const readmitted = await s.post('/api/v1/privacy/suppressions/readmit', {
      email,
      lawfulBasis: 'contract',
      reason: 'signed a new contract',
    });
    expect(readmitted.json()).toEqual({ removed: 1 });
    expect((await s.post('/api/v1/contacts', { firstName: 'Erin', lastName: 'Back', emails: [email] })).statusCode).toBe(201);
    const trail = await auditEntries(s, 'action=suppression.readmitted');
    expect(trail[0]).toMatchObject({ details: { lawfulBasis: 'contract', removed: 1 } });
    expect(JSON.stringify(trail[0])).not.toContain(email);
  });

  it('the public sign-up form does nothing for an erased address, still answering 202', async () => {
    const s = await crmSession(t);
    const { contact, email } = await person(s);
    const purpose = await s.post('/api/v1/privacy/purposes', {
      name: 'Newsletter',
      lawfulBasis: 'consent',
      dataCategories: ['contact details'],
      retentionDays: 365,
      marketing: true,
      notice: { language: 'en', text: 'One newsletter a month.' },
    });
    expect(purpose.statusCode, purpose.body).toBe(201);
    // A sign-up still waiting for its confirmation when the person is erased goes with them.
    const pending = await t.app.inject({
      method: 'POST',
      url: `/api/v1/public/${s.tt.tenant.slug}/subscriptions`,
      payload: { email, purposeId: purpose.json().id },
    });
    expect(pending.statusCode).toBe(202);
    const signups = async () =>
      (await t.handle.db.selectFrom('consent_signups').select('id').where('tenant_id', '=', s.tt.tenant.id).execute()).length;
    expect(await signups()).toBe(1);
    const erased = await s.post(`/api/v1/contacts/${contact.id}/erase`, {});
    expect(erased.json()).toMatchObject({ deleted: { consent_signups: 1 } });
    expect(await signups()).toBe(0);
    const mails = async () =>
      (await t.handle.db.selectFrom('mail_outbox').select('id').where('tenant_id', '=', s.tt.tenant.id).execute()).length;
    const before = await mails();
    const signUp = (address: string) =>
      t.app.inject({
        method: 'POST',
        url: `/api/v1/public/${s.tt.tenant.slug}/subscriptions`,
        payload: { email: address, purposeId: purpose.json().id },
      });
    const refused = await signUp(email);
    expect(refused.statusCode).toBe(202);
    expect(await mails()).toBe(before);
    const accepted = await signUp('someone.new@example.test');
    expect(accepted.statusCode).toBe(202);
    expect(accepted.body).toBe(refused.body);
    expect(await mails()).toBe(before + 1);
    expect(await signups()).toBe(1);
  });

  it('erases a lead and the contact it became together, and one in the recycle bin', async () => {
    const s = await crmSession(t);
    const lead = (await s.post('/api/v1/leads', { firstName: 'Lea', lastName: 'Convert', emails: ['lea.convert@example.test'] })).json();
    const converted = (await s.post(`/api/v1/leads/${lead.id}/convert`, {})).json();
    const res = await s.post(`/api/v1/leads/${lead.id}/erase`, {});
    expect(res.json()).toMatchObject({ erased: true, deleted: { contacts: 1, leads: 1 } });
    expect((await s.get(`/api/v1/contacts/${converted.contactId}`)).statusCode).toBe(404);

    const binned = (await s.post('/api/v1/contacts', { firstName: 'Bin', lastName: 'Ned' })).json();
    expect((await s.del(`/api/v1/contacts/${binned.id}`)).statusCode).toBe(204);
    expect((await s.post(`/api/v1/contacts/${binned.id}/erase`, {})).json()).toMatchObject({ erased: true });
  });

  it('is refused while a legal hold covers the person, and done once it is released', async () => {
    const s = await crmSession(t);
    const { contact } = await person(s);
    const hold = await s.post('/api/v1/privacy/legal-holds', { contactId: contact.id, reason: 'pending claim about an invoice' });
    expect(hold.statusCode, hold.body).toBe(201);
    const refused = await s.post(`/api/v1/contacts/${contact.id}/erase`, {});
    expect(refused.statusCode).toBe(409);
    expect(refused.json().code).toBe('legal_hold');
    expect((await s.get(`/api/v1/contacts/${contact.id}`)).statusCode).toBe(200);
    const released = await s.post(`/api/v1/privacy/legal-holds/${hold.json().id}/release`, { reason: 'claim settled' });
    expect(released.statusCode, released.body).toBe(200);
    expect((await s.post(`/api/v1/contacts/${contact.id}/erase`, {})).statusCode).toBe(200);
  });

  it('is refused to users without the privacy permission and across tenants', async () => {
    const s = await crmSession(t);
    const other = await crmSession(t);
    const { contact } = await person(s);
    const member = await memberSession(t, s);
    const byMember = await member.post(`/api/v1/contacts/${contact.id}/erase`, {});
    expect(byMember.statusCode).toBe(403);
    expect((await member.get('/api/v1/privacy/suppressions')).statusCode).toBe(403);
    const byOther = await other.post(`/api/v1/contacts/${contact.id}/erase`, {});
    expect(byOther.statusCode).toBe(404);
    expect(byOther.json().code).toBe('person_not_found');
    expect((await s.get(`/api/v1/contacts/${contact.id}`)).statusCode).toBe(200);
    expect((await s.post('/api/v1/contacts/not-a-uuid/erase', {})).statusCode).toBe(400);
  });
});
