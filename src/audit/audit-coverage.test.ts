import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { auditEntries, crmSession, type AuditEntry, type CrmSession } from '../../test/crm.js';
import { useTestServer } from '../../test/server.js';
import { keyringOf } from '../../test/db.js';
import { purgeExpired } from '../crm/recycle-bin/recycle-bin.service.js';
import { reactivateTenant, suspendTenant } from '../tenants/tenants.service.js';

// What the trail records beyond contacts and leads: notes, logged e-mails and
// activities about a person (free text, so personal), and a tenant's lifecycle.

const t = useTestServer();

async function person(s: CrmSession) {
  const res = await s.post('/api/v1/contacts', {
    firstName: 'Femke',
    lastName: 'Bakker',
    emails: [`${randomBytes(4).toString('hex')}@example.test`],
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { id: string; subjectId: string };
}

const actionsOn = (list: AuditEntry[], entityId: string) =>
  list
    .filter((e) => e.entityId === entityId)
    .map((e) => e.action)
    .sort();

describe('recording notes, logged e-mails and activities about a person', () => {
  it('records a note created, read, listed, changed (old and new text) and deleted, naming the person', async () => {
    const s = await crmSession(t);
    const contact = await person(s);
    const note = (await s.post('/api/v1/notes', { body: 'Prefers calls after five', contactId: contact.id })).json();
    expect((await s.get(`/api/v1/notes/${note.id}`)).statusCode).toBe(200);
    expect((await s.get(`/api/v1/notes?contactId=${contact.id}`)).json().items).toHaveLength(1);
    expect((await s.patch(`/api/v1/notes/${note.id}`, { body: 'Prefers calls after six' })).statusCode).toBe(200);
    expect((await s.del(`/api/v1/notes/${note.id}`)).statusCode).toBe(204);

    const list = await auditEntries(s, `contactId=${contact.id}`);
    expect(actionsOn(list, note.id)).toEqual(['note.created', 'note.deleted', 'note.read', 'note.updated']);
    // Checking that the contact is visible opens nothing of it: no read of the contact is on record.
    expect(list.filter((e) => e.action === 'contact.read')).toEqual([]);
    expect(list.map((e) => e.action)).toContain('note.listed');
    for (const e of list.filter((x) => x.entity === 'notes')) {
      expect(e.subjectIds).toEqual([contact.subjectId]);
      expect(e.actor).toMatchObject({ kind: 'user', userId: s.tt.admin.id });
    }
    const update = list.find((e) => e.action === 'note.updated')!;
    expect(update.fields).toEqual(['body']);
    expect(update.changes).toEqual({ body: { old: 'Prefers calls after five', new: 'Prefers calls after six' } });
  });

  it('names no person for a note on an organization, which is company data', async () => {
    const s = await crmSession(t);
    const org = (await s.post('/api/v1/organizations', { name: 'Bakkerij BV' })).json();
    const note = (await s.post('/api/v1/notes', { body: 'Closed on Mondays', organizationId: org.id })).json();
    const list = await auditEntries(s, `entity=notes&entityId=${note.id}`);
    expect(list.map((e) => e.action)).toEqual(['note.created']);
    expect(list[0]!.subjectIds).toEqual([]);
  });

  it('records a logged e-mail logged, read, listed and deleted', async () => {
    const s = await crmSession(t);
    const contact = await person(s);
    const mail = await s.post('/api/v1/email-messages', {
      direction: 'inbound',
      from: 'femke@example.test',
      to: ['sales@example.test'],
      subject: 'Offer',
      body: 'Can you send the offer?',
      contactId: contact.id,
    });
    expect(mail.statusCode, mail.body).toBe(201);
    const id = mail.json().id as string;
    expect((await s.get(`/api/v1/email-messages/${id}`)).statusCode).toBe(200);
    expect((await s.get(`/api/v1/email-messages?contactId=${contact.id}`)).json().items).toHaveLength(1);
    expect((await s.del(`/api/v1/email-messages/${id}`)).statusCode).toBe(204);
    const list = await auditEntries(s, `contactId=${contact.id}`);
    expect(actionsOn(list, id)).toEqual(['email_message.deleted', 'email_message.logged', 'email_message.read']);
    expect(list.map((e) => e.action)).toContain('email_message.listed');
    expect(list.filter((e) => e.action === 'contact.read')).toEqual([]);
    expect(list.find((e) => e.action === 'email_message.read')!.fields).toEqual(['from', 'to', 'subject', 'body']);
  });

  it('records an activity about a person with its description changes, and nothing for a failed change', async () => {
    const s = await crmSession(t);
    const contact = await person(s);
    const activity = (
      await s.post('/api/v1/activities', { type: 'call', subject: 'Follow up', description: 'Ask about the budget', contactId: contact.id })
    ).json();
    expect((await s.get(`/api/v1/activities/${activity.id}`)).statusCode).toBe(200);
    expect((await s.patch(`/api/v1/activities/${activity.id}`, { description: 'Budget is 10k' })).statusCode).toBe(200);
    // A stale version changes nothing and leaves no entry.
    expect((await s.patch(`/api/v1/activities/${activity.id}`, { description: 'Never written', version: 1 })).statusCode).toBe(409);
    expect((await s.del(`/api/v1/activities/${activity.id}`)).statusCode).toBe(204);
    const list = await auditEntries(s, `contactId=${contact.id}`);
    expect(actionsOn(list, activity.id)).toEqual(['activity.created', 'activity.deleted', 'activity.read', 'activity.updated']);
    const update = list.find((e) => e.action === 'activity.updated')!;
    expect(update.changes).toMatchObject({ description: { old: 'Ask about the budget', new: 'Budget is 10k' } });
    expect(JSON.stringify(list)).not.toContain('Never written');
  });
});

describe('recording the recycle bin', () => {
  it('records the bin listing the people it names, a restore, and the purge by the admin and by the daily job', async () => {
    const s = await crmSession(t);
    const kept = await person(s);
    const purged = await person(s);
    const expired = await person(s);
    for (const p of [kept, purged, expired]) expect((await s.del(`/api/v1/contacts/${p.id}`)).statusCode).toBe(204);
    expect((await s.get('/api/v1/recycle-bin?module=contacts')).json().items).toHaveLength(3);
    expect((await s.post(`/api/v1/recycle-bin/contacts/${kept.id}/restore`)).statusCode).toBe(200);
    expect((await s.del(`/api/v1/recycle-bin/contacts/${purged.id}`)).statusCode).toBe(204);
    expect(await purgeExpired(t.handle.db, keyringOf(t.handle.db), new Date(Date.now() + 31 * 86_400_000))).toBeGreaterThanOrEqual(1);

    const listed = (await auditEntries(s, `contactId=${kept.id}`)).find((e) => e.action === 'recycle_bin.listed')!;
    expect(listed.subjectIds.sort()).toEqual([kept.subjectId, purged.subjectId, expired.subjectId].sort());
    expect(listed.fields).toEqual(['firstName', 'lastName']);
    expect((await auditEntries(s, `contactId=${kept.id}`)).map((e) => e.action)).toContain('contact.restored');
    const byAdmin = (await auditEntries(s, `entity=contacts&entityId=${purged.id}`)).find((e) => e.action === 'contact.purged')!;
    expect(byAdmin.actor).toMatchObject({ kind: 'user', userId: s.tt.admin.id });
    const byJob = (await auditEntries(s, `entity=contacts&entityId=${expired.id}`)).find((e) => e.action === 'contact.purged')!;
    expect(byJob.actor.kind).toBe('system');
    expect(byJob.subjectIds).toEqual([expired.subjectId]);
  });
});

describe('recording a tenant’s lifecycle', () => {
  it('records the tenant created, suspended and reactivated', async () => {
    const s = await crmSession(t);
    await suspendTenant(t.handle.db, t.keyring, s.tt.tenant.slug);
    await reactivateTenant(t.handle.db, t.keyring, s.tt.tenant.slug);
    // The admin's session ended with the suspension; sign in again to read the trail.
    const login = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { tenant: s.tt.tenant.slug, email: s.tt.adminEmail, password: s.tt.adminPassword },
    });
    const headers = { authorization: `Bearer ${login.json().token as string}` };
    const res = await t.app.inject({ url: '/api/v1/audit?limit=200&action=tenant.*', headers });
    expect(res.statusCode, res.body).toBe(200);
    const list = res.json().items as AuditEntry[];
    expect(list.map((e) => e.action).sort()).toEqual(['tenant.created', 'tenant.reactivated', 'tenant.suspended']);
    for (const e of list) expect(e.actor.kind).toBe('system');
  });
});

describe('disclosing values through the CSV export', () => {
  it('records which people the export showed old and new values of', async () => {
    const s = await crmSession(t);
    const contact = await person(s);
    expect((await s.patch(`/api/v1/contacts/${contact.id}`, { jobTitle: 'Baker' })).statusCode).toBe(200);
    const csv = await s.get(`/api/v1/audit/export.csv?contactId=${contact.id}`);
    expect(csv.statusCode).toBe(200);
    expect(csv.body).toContain('Baker');
    const rows = await t.handle.db
      .selectFrom('audit_entries')
      .select(['subject_ids'])
      .where('tenant_id', '=', s.tt.tenant.id)
      .where('action', '=', 'audit.values_read')
      .execute();
    expect(rows.map((r) => r.subject_ids)).toEqual([[contact.subjectId]]);
  });
});

describe('refusing bad input to the trail', () => {
  const cursorOf = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

  it('refuses forged cursors, an inverted time range and a retention change by a non-administrator', async () => {
    const s = await crmSession(t);
    for (const forged of [
      cursorOf({ id: '-'.repeat(36), key: '2026-01-01T00:00:00.000Z', sort: 'audit' }), // not a UUID
      cursorOf({ id: '01a20888-1f96-7739-ac78-e0ac3c94e797', key: 'yesterday', sort: 'audit' }), // not a time
      cursorOf({ id: '01a20888-1f96-7739-ac78-e0ac3c94e797', key: '2026-01-01T00:00:00.000Z', sort: 'createdAt' }), // another list's
    ]) {
      const res = await s.get(`/api/v1/audit?cursor=${forged}`);
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json().code).toBe('invalid_cursor');
    }
    const inverted = await s.get('/api/v1/audit?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z');
    expect(inverted.statusCode).toBe(400);
    expect(inverted.json().code).toBe('invalid_filter');

    const password = `Pw-${randomBytes(9).toString('hex')}`;
    const email = `u-${randomBytes(5).toString('hex')}@example.test`;
    expect((await s.post('/api/v1/users', { email, name: 'Rep', password })).statusCode).toBe(201);
    const login = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { tenant: s.tt.tenant.slug, email, password } });
    const put = await t.app.inject({
      method: 'PUT',
      url: '/api/v1/audit/settings',
      headers: { authorization: `Bearer ${login.json().token as string}` },
      payload: { retentionDays: 30 },
    });
    expect(put.statusCode).toBe(403);
    expect(put.json().code).toBe('admin_required');
    expect((await s.get('/api/v1/audit/settings')).json().retentionDays).toBe(2192);
  });
});
