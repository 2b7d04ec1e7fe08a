import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { auditEntries, crmSession, type AuditEntry, type CrmSession } from '../../test/crm.js';
import { useTestServer } from '../../test/server.js';

// Values in the audit trail follow the visibility of the records: what a
// viewer's reach or profile withholds in a record is withheld in the trail
// too (the entry stays, as a fact); audit.allValues shows all, on record.

const t = useTestServer();

const hex = (n = 5) => randomBytes(n).toString('hex');

async function member(admin: CrmSession, profileId: string, roleId?: string) {
  const pw = `Pw-${hex(9)}`;
  const email = `u-${hex()}@example.test`;
  const user = await admin.post('/api/v1/users', { email, name: 'Member', password: pw, profileId, ...(roleId ? { roleId } : {}) });
  expect(user.statusCode, user.body).toBe(201);
  const signedIn = await t.app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { tenant: admin.tt.tenant.slug, email, password: pw },
  });
  expect(signedIn.statusCode, signedIn.body).toBe(200);
  const headers = { authorization: `Bearer ${signedIn.json().token as string}` };
  return { id: user.json().id as string, get: (url: string) => t.app.inject({ url, headers }) };
}

async function profile(admin: CrmSession, body: object): Promise<string> {
  const res = await admin.post('/api/v1/profiles', { name: `P-${hex(4)}`, ...body });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id as string;
}

/** Reps (peers, private contacts) whose profile has the audit module and hides phones; a contact of each, with a note. */
async function salesTeam() {
  const admin = await crmSession(t);
  const rep = (await admin.post('/api/v1/roles', { name: 'Sales rep' })).json().id as string;
  const shared = await t.app.inject({
    method: 'PUT',
    url: '/api/v1/sharing/defaults',
    headers: { authorization: `Bearer ${admin.token}` },
    payload: { contacts: 'private' },
  });
  expect(shared.statusCode, shared.body).toBe(200);
  const repProfile = await profile(admin, {
    permissions: {
      contacts: { view: true, create: true, edit: true },
      notes: { view: true, create: true },
      audit: { view: true, export: true },
    },
    fields: { contacts: { phones: 'hidden' } },
  });
  const ann = await member(admin, repProfile, rep);
  const bob = await member(admin, repProfile, rep);
  const marks = {
    annPhone: '+31 20 555 0101',
    bobName: `Bobclient${hex(3)}`,
    bobEmail: `bob-client-${hex()}@example.test`,
    bobNote: `Confided ${hex()}`,
    bobBirthday: '1961-07-19',
  };
  const annsContact = (
    await admin.post('/api/v1/contacts', {
      firstName: 'Client',
      lastName: 'OfAnn',
      emails: [`ann-client-${hex()}@example.test`],
      phones: [],
      ownerId: ann.id,
    })
  ).json();
  expect((await admin.patch(`/api/v1/contacts/${annsContact.id}`, { phones: [marks.annPhone], jobTitle: 'Buyer' })).statusCode).toBe(200);
  const created = await admin.post('/api/v1/contacts', {
    firstName: marks.bobName,
    lastName: 'Private',
    emails: [marks.bobEmail],
    phones: [],
    birthday: marks.bobBirthday,
    ownerId: bob.id,
  });
  expect(created.statusCode, created.body).toBe(201);
  const bobsContact = created.json();
  const note = await admin.post('/api/v1/notes', { body: marks.bobNote, contactId: bobsContact.id });
  expect(note.statusCode, note.body).toBe(201);
  return { admin, rep, ann, bob, annsContact, bobsContact, note: note.json(), marks };
}

describe('values in the audit trail follow the visibility of the records', () => {
  it('withholds a field the profile hides, in the list, by contactId and in the CSV export, and keeps the entry', async () => {
    const { ann, annsContact, marks } = await salesTeam();
    const digits = marks.annPhone.replace(/\D/g, '');

    const byContact = await ann.get(`/api/v1/audit?contactId=${annsContact.id}`);
    expect(byContact.statusCode, byContact.body).toBe(200);
    expect(byContact.body).not.toContain(digits.slice(-4));
    const update = (byContact.json().items as AuditEntry[]).find((e) => e.action === 'contact.updated')!;
    // The fact stays: who, what, which fields; the phone's values do not, and say so.
    expect(update).toMatchObject({
      entity: 'contacts',
      entityId: annsContact.id,
      fields: ['jobTitle', 'phones'],
      valuesWithheld: true,
      withheldFields: ['phones'],
    });
    expect(update.changes).toEqual({ jobTitle: { old: null, new: 'Buyer' } });

    const all = await ann.get('/api/v1/audit?limit=200');
    expect(all.statusCode).toBe(200);
    expect(all.body).not.toContain(digits.slice(-4));
    expect((all.json().items as AuditEntry[]).some((e) => e.id === update.id)).toBe(true);

    const csv = await ann.get(`/api/v1/audit/export.csv?entity=contacts&entityId=${annsContact.id}`);
    expect(csv.statusCode).toBe(200);
    expect(csv.body).toContain('contact.updated');
    expect(csv.body).toContain('Buyer');
    expect(csv.body).not.toContain(digits.slice(-4));
    const updatedLine = csv.body.split('\r\n').find((line) => line.includes(update.id))!;
    expect(updatedLine.endsWith(',phones')).toBe(true);
  });

  it('withholds the names, e-mails, birthday and note bodies of another rep’s private contact; the entries stay', async () => {
    const { ann, bob, bobsContact, note, marks } = await salesTeam();
    const secrets = [marks.bobName, marks.bobEmail, marks.bobNote, marks.bobBirthday];

    const all = await ann.get('/api/v1/audit?limit=200');
    expect(all.statusCode).toBe(200);
    for (const secret of secrets) expect(all.body, secret).not.toContain(secret);
    const items = all.json().items as AuditEntry[];
    const created = items.find((e) => e.action === 'contact.created' && e.entityId === bobsContact.id)!;
    expect(created).toMatchObject({ changes: null, valuesWithheld: true, subjectIds: [bobsContact.subjectId] });
    expect(created.withheldFields).toEqual(expect.arrayContaining(['firstName', 'emails', 'birthday']));
    const noted = items.find((e) => e.action === 'note.created' && e.entityId === note.id)!;
    expect(noted).toMatchObject({ changes: null, valuesWithheld: true, withheldFields: ['body'], fields: ['body'] });

    const csv = await ann.get(`/api/v1/audit/export.csv?subjectId=${bobsContact.subjectId}`);
    expect(csv.statusCode).toBe(200);
    for (const secret of secrets) expect(csv.body, secret).not.toContain(secret);
    expect(csv.body).toContain('note.created');
    expect(csv.body).toContain(',withheld,');
    // Her access log of his contact is no more open than the contact itself.
    expect((await ann.get(`/api/v1/audit?contactId=${bobsContact.id}`)).statusCode).toBe(404);

    // Bob, with the same profile, reaches his own contact: he sees its values (phones still hidden).
    const his = await bob.get(`/api/v1/audit?contactId=${bobsContact.id}`);
    expect(his.statusCode).toBe(200);
    const hisItems = his.json().items as AuditEntry[];
    expect(hisItems.find((e) => e.action === 'contact.created')!.changes).toMatchObject({ firstName: { new: marks.bobName } });
    expect(hisItems.find((e) => e.action === 'note.created')!.changes).toEqual({ body: { new: marks.bobNote } });
  });

  it('keeps a binned record its owner’s: its owner still reads the values of its entries, others still do not', async () => {
    const { admin, ann, bob, bobsContact, marks } = await salesTeam();
    expect((await admin.del(`/api/v1/contacts/${bobsContact.id}`)).statusCode).toBe(204);

    const his = await bob.get(`/api/v1/audit?subjectId=${bobsContact.subjectId}&limit=200`);
    expect(his.statusCode).toBe(200);
    const created = (his.json().items as AuditEntry[]).find((e) => e.action === 'contact.created')!;
    expect(created.changes).toMatchObject({ firstName: { new: marks.bobName } });

    const hers = await ann.get(`/api/v1/audit?subjectId=${bobsContact.subjectId}&limit=200`);
    expect(hers.statusCode).toBe(200);
    expect(hers.body).not.toContain(marks.bobName);
  });

  it('shows every value to a holder of audit.allValues and records each use as unrestricted', async () => {
    const { admin, rep, bobsContact, annsContact, marks } = await salesTeam();
    // A privacy officer who reaches no record at all.
    const officer = await member(
      admin,
      await profile(admin, { permissions: { audit: { view: true, export: true, allValues: true } } }),
      rep,
    );

    const all = await officer.get('/api/v1/audit?limit=200');
    expect(all.statusCode, all.body).toBe(200);
    for (const secret of [marks.bobName, marks.bobEmail, marks.bobNote, marks.annPhone]) expect(all.body, secret).toContain(secret);
    expect(all.body).not.toContain('valuesWithheld');
    const csv = await officer.get(`/api/v1/audit/export.csv?subjectId=${bobsContact.subjectId}`);
    expect(csv.body).toContain(marks.bobNote);

    const uses = await auditEntries(admin, `action=audit.values_read&actorId=${officer.id}`);
    expect(uses).toHaveLength(2);
    for (const use of uses) {
      expect(use.details).toMatchObject({ unrestricted: true });
      expect(use.details.beyondReach).toBeGreaterThan(0);
      expect(use.subjectIds).toContain(bobsContact.subjectId);
    }
    expect(uses.flatMap((u) => u.subjectIds)).toContain(annsContact.subjectId);

    // Administrators hold every permission, this one too: what they read is recorded the same way.
    expect((await auditEntries(admin, `subjectId=${bobsContact.subjectId}`)).some((e) => e.changes)).toBe(true);
    const adminUses = await auditEntries(admin, `action=audit.values_read&actorId=${admin.tt.admin.id}`);
    expect(adminUses.length).toBeGreaterThan(0);
    for (const use of adminUses) expect(use.details).toMatchObject({ unrestricted: true });
  });

  it('keeps audit.allValues off unless granted, on the audit module only, and in the API description', async () => {
    const admin = await crmSession(t);
    const profiles = (await admin.get('/api/v1/profiles')).json().items as Array<{
      name: string;
      permissions: Record<string, Record<string, boolean>>;
    }>;
    for (const p of profiles) expect(p.permissions.audit?.allValues ?? false, p.name).toBe(false);
    const auditor = await admin.post('/api/v1/profiles', { name: 'Auditor', permissions: { audit: { view: true } } });
    expect(auditor.json().permissions.audit).toMatchObject({ view: true, allValues: false });
    const misplaced = await admin.post('/api/v1/profiles', { name: 'Odd', permissions: { contacts: { view: true, allValues: true } } });
    expect(misplaced.statusCode).toBe(400);
    expect(misplaced.json().code).toBe('invalid_access');
    const granted = await admin.post('/api/v1/profiles', {
      name: 'Privacy officer',
      permissions: { audit: { view: true, allValues: true } },
    });
    expect(granted.json().permissions.audit).toMatchObject({ allValues: true });
    const doc = await t.app.inject({ url: '/api/openapi.json' });
    expect(doc.body).toContain('allValues');
  });

  it('gives a privacy officer of another tenant nothing of this tenant’s trail', async () => {
    const { bobsContact, marks } = await salesTeam();
    const other = await crmSession(t);
    const officer = await member(
      other,
      await profile(other, { permissions: { audit: { view: true, export: true, allValues: true }, contacts: { view: true } } }),
    );
    expect((await officer.get(`/api/v1/audit?contactId=${bobsContact.id}`)).statusCode).toBe(404);
    const bySubject = await officer.get(`/api/v1/audit?subjectId=${bobsContact.subjectId}`);
    expect(bySubject.statusCode).toBe(200);
    expect(bySubject.json().items).toEqual([]);
    const all = await officer.get('/api/v1/audit?limit=200');
    const csv = await officer.get('/api/v1/audit/export.csv');
    for (const body of [all.body, csv.body]) {
      expect(body).not.toContain(bobsContact.id);
      expect(body).not.toContain(marks.bobName);
    }
  });
});
