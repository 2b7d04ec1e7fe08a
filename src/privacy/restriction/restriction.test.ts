import { describe, expect, it } from 'vitest';
import { auditEntries, crmSession, memberSession, type CrmSession } from '../../../test/crm.js';
import { useTestServer } from '../../../test/server.js';

// Restriction of processing (issue 17): the data stays, every operation that
// would process it answers 423 processing_restricted and is audited, exports
// leave the person out, and lifting is a recorded decision.

const t = useTestServer();

function expectLocked(res: { statusCode: number; json(): { code?: string } }) {
  expect(res.statusCode).toBe(423);
  expect(res.json().code).toBe('processing_restricted');
}

async function restricted(s: CrmSession) {
  const email = `held-${Math.random().toString(36).slice(2)}@example.test`;
  const contact = (await s.post('/api/v1/contacts', { firstName: 'Rita', lastName: 'Restricted', emails: [email] })).json();
  const res = await s.post(`/api/v1/contacts/${contact.id}/restriction`, { reason: 'contests accuracy (Art. 18(1)(a))' });
  expect(res.statusCode, res.body).toBe(200);
  expect(res.json()).toMatchObject({ restricted: true });
  return { contact, email };
}

describe('restriction', () => {
  it('shows on the record and blocks edits, deletion, exports and import updates, each attempt audited', async () => {
    const s = await crmSession(t);
    const { contact, email } = await restricted(s);
    const read = (await s.get(`/api/v1/contacts/${contact.id}`)).json();
    expect(read).toMatchObject({ restricted: true, lastName: 'Restricted' });

    expectLocked(await s.patch(`/api/v1/contacts/${contact.id}`, { jobTitle: 'Boss', version: read.version }));
    expectLocked(await s.del(`/api/v1/contacts/${contact.id}`));
    expect((await s.get(`/api/v1/contacts/${contact.id}`)).json()).toMatchObject({ version: read.version, jobTitle: null });

    const free = (await s.post('/api/v1/contacts', { firstName: 'Fred', lastName: 'Free' })).json();
    const csv = (await s.get('/api/v1/exports/contacts.csv')).body;
    expect(csv).toContain('Free');
    expect(csv).not.toContain('Restricted');
    expect(free.restricted).toBe(false);

    const imported = await t.app.inject({
      method: 'POST',
      url: '/api/v1/imports/contacts?lawfulBasis=consent&duplicates=update',
      headers: { authorization: `Bearer ${s.token}`, 'content-type': 'text/csv' },
      payload: `firstName,lastName,email\nRita,Changed,${email}\n`,
    });
    expect(imported.json()).toMatchObject({
      updated: 0,
      skipped: 1,
      warnings: [{ line: 2, message: expect.stringMatching(/^processing_restricted:/) }],
    });
    expect((await s.get(`/api/v1/contacts/${contact.id}`)).json().lastName).toBe('Restricted');

    const blocked = await auditEntries(s, 'action=person.restriction_blocked');
    expect(blocked.map((e) => e.details?.operation).sort()).toEqual(['delete', 'edit']);
    expect(blocked.every((e) => e.entityId === contact.id)).toBe(true);
  });

  it('blocks notes and activities about a restricted person, not about others', async () => {
    const s = await crmSession(t);
    const contact = (await s.post('/api/v1/contacts', { firstName: 'Nadia', lastName: 'Noted' })).json();
    const note = (await s.post('/api/v1/notes', { contactId: contact.id, body: 'before the restriction' })).json();
    const activity = (await s.post('/api/v1/activities', { type: 'task', subject: 'Call', contactId: contact.id })).json();
    expect((await s.post(`/api/v1/contacts/${contact.id}/restriction`, { reason: 'accuracy contested' })).statusCode).toBe(200);

    expectLocked(await s.post('/api/v1/notes', { contactId: contact.id, body: 'after' }));
    expectLocked(await s.patch(`/api/v1/notes/${note.id}`, { body: 'changed', version: note.version }));
    expectLocked(await s.del(`/api/v1/notes/${note.id}`));
    expectLocked(await s.post('/api/v1/activities', { type: 'call', subject: 'Again', contactId: contact.id }));
    expectLocked(await s.patch(`/api/v1/activities/${activity.id}`, { subject: 'Changed', version: activity.version }));
    expectLocked(await s.del(`/api/v1/activities/${activity.id}`));
    expect((await s.get(`/api/v1/notes/${note.id}`)).json().body).toBe('before the restriction');

    const other = (await s.post('/api/v1/contacts', { firstName: 'Free', lastName: 'Person' })).json();
    expect((await s.post('/api/v1/notes', { contactId: other.id, body: 'fine' })).statusCode).toBe(201);
    const blocked = await auditEntries(s, 'action=person.restriction_blocked');
    expect(blocked).toHaveLength(6);
    const subject = (await t.handle.db.selectFrom('contacts').select('subject_id').where('id', '=', contact.id).executeTakeFirstOrThrow())
      .subject_id;
    expect(blocked.every((e) => e.subjectIds?.includes(subject))).toBe(true);
  });

  it('blocks converting a restricted lead, and lifting is a recorded decision after which edits work', async () => {
    const s = await crmSession(t);
    const lead = (await s.post('/api/v1/leads', { firstName: 'Lou', lastName: 'Held' })).json();
    expect((await s.post(`/api/v1/leads/${lead.id}/restriction`, { reason: 'objection pending' })).statusCode).toBe(200);
    expectLocked(await s.post(`/api/v1/leads/${lead.id}/convert`, {}));
    const again = await s.post(`/api/v1/leads/${lead.id}/restriction`, { reason: 'twice' });
    expect(again.statusCode).toBe(409);
    expect(again.json().code).toBe('restriction_unchanged');
    expect((await s.post(`/api/v1/leads/${lead.id}/restriction/lift`, {})).statusCode).toBe(400);
    const lifted = await s.post(`/api/v1/leads/${lead.id}/restriction/lift`, { reason: 'objection decided: legitimate grounds override' });
    expect(lifted.json()).toEqual({ restricted: false, since: null });
    expect((await s.post(`/api/v1/leads/${lead.id}/convert`, {})).statusCode).toBe(200);
    const trail = await auditEntries(s, `entity=leads&entityId=${lead.id}`);
    expect(trail.map((e) => e.action)).toEqual(
      expect.arrayContaining(['person.restricted', 'person.restriction_lifted', 'person.restriction_blocked']),
    );
    const liftedEntry = trail.find((e) => e.action === 'person.restriction_lifted')!;
    expect(liftedEntry.changes).toMatchObject({ reason: 'objection decided: legitimate grounds override' });
  });

  it('is decided only by the privacy permission, within the tenant', async () => {
    const s = await crmSession(t);
    const other = await crmSession(t);
    const contact = (await s.post('/api/v1/contacts', { firstName: 'Nora', lastName: 'Normal' })).json();
    const member = await memberSession(t, s);
    expect((await member.post(`/api/v1/contacts/${contact.id}/restriction`, { reason: 'not mine to say' })).statusCode).toBe(403);
    const cross = await other.post(`/api/v1/contacts/${contact.id}/restriction`, { reason: 'other tenant' });
    expect(cross.statusCode).toBe(404);
    expect((await s.get(`/api/v1/contacts/${contact.id}`)).json().restricted).toBe(false);
  });
});
