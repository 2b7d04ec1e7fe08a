import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { auditEntries, crmSession, memberSession, type CrmSession } from '../../../test/crm.js';
import { useTestServer } from '../../../test/server.js';
import { runRetentionJob } from './retention.service.js';

// Retention (issue 17): rules erase the people they have expired, legal holds
// and restrictions keep them, a dry run changes nothing, every run is recorded.

const t = useTestServer();
const DAY = 86_400_000;
const daysAgo = (days: number) => new Date(Date.now() - days * DAY);

async function lead(s: CrmSession, lastName: string) {
  const res = await s.post('/api/v1/leads', { firstName: 'Rita', lastName, emails: [`${lastName.toLowerCase()}@example.test`] });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { id: string };
}

async function contact(s: CrmSession, lastName: string) {
  const res = await s.post('/api/v1/contacts', { firstName: 'Rob', lastName, emails: [`${lastName.toLowerCase()}@example.test`] });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { id: string };
}

/** Makes a record look untouched for `days` days. */
async function age(table: 'contacts' | 'leads', id: string, days: number) {
  await sql`update ${sql.table(table)} set created_at = ${daysAgo(days)}, updated_at = ${daysAgo(days)} where id = ${id}`.execute(
    t.handle.db,
  );
}

async function exists(table: 'contacts' | 'leads', id: string) {
  return (await t.handle.db.selectFrom(table).select('id').where('id', '=', id).executeTakeFirst()) !== undefined;
}

async function run(s: CrmSession, dryRun: boolean) {
  const res = await s.post('/api/v1/privacy/retention/run', { dryRun });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

describe('retention', () => {
  it('erases an expired lead and keeps one under legal hold; a dry run changes nothing and reports the same', async () => {
    const s = await crmSession(t);
    const preset = await s.post('/api/v1/privacy/retention-rules/presets/two-years');
    expect(preset.statusCode, preset.body).toBe(200);
    const rules = preset.json().items as Array<{ id: string; module: string }>;
    expect(rules.map((r) => r)).toEqual([
      expect.objectContaining({ module: 'contacts', afterDays: 730, basedOn: 'last_activity', action: 'erase' }),
      expect.objectContaining({ module: 'leads', afterDays: 730, basedOn: 'last_activity', action: 'erase' }),
    ]);
    // The preset again adds nothing.
    expect((await s.post('/api/v1/privacy/retention-rules/presets/two-years')).json().items).toHaveLength(2);
    const leadRule = rules.find((r) => r.module === 'leads')!;

    const expired = await lead(s, 'Expired');
    const held = await lead(s, 'Held');
    const recent = await lead(s, 'Recent');
    const noted = await lead(s, 'Noted');
    for (const l of [expired, held, noted]) await age('leads', l.id, 800);
    // A note a month ago is contact with the person: the 2 years count from there.
    expect((await s.post('/api/v1/notes', { leadId: noted.id, body: 'Called back about the offer' })).statusCode).toBe(201);
    await sql`update notes set created_at = ${daysAgo(30)} where lead_id = ${noted.id}`.execute(t.handle.db);

    const hold = await s.post('/api/v1/privacy/legal-holds', { leadId: held.id, reason: 'Pending claim of Rita Held, case 2027/14' });
    expect(hold.statusCode, hold.body).toBe(201);
    expect(hold.json()).toMatchObject({
      personTable: 'leads',
      personId: held.id,
      active: true,
      reason: 'Pending claim of Rita Held, case 2027/14',
    });

    const dry = await run(s, true);
    expect(dry).toMatchObject({ dryRun: true, erased: 1, anonymized: 0, held: 1, failed: 0 });
    expect(dry.candidates).toEqual(
      expect.arrayContaining([
        { table: 'leads', id: expired.id, ruleId: leadRule.id, action: 'erase', held: false, heldBy: null },
        { table: 'leads', id: held.id, ruleId: leadRule.id, action: 'erase', held: true, heldBy: 'legal_hold' },
      ]),
    );
    expect(dry.candidates).toHaveLength(2);
    for (const l of [expired, held, recent, noted]) expect(await exists('leads', l.id)).toBe(true);

    const real = await run(s, false);
    expect(real).toMatchObject({ dryRun: false, erased: 1, held: 1, failed: 0 });
    expect(real.candidates).toEqual(dry.candidates);
    expect(real.perRule).toContainEqual({
      ruleId: leadRule.id,
      module: 'leads',
      action: 'erase',
      erased: 1,
      anonymized: 0,
      held: 1,
      failed: 0,
    });
    expect(await exists('leads', expired.id)).toBe(false);
    expect((await s.get(`/api/v1/leads/${expired.id}`)).statusCode).toBe(404);
    for (const l of [held, recent, noted]) expect(await exists('leads', l.id)).toBe(true);
    // Nothing left to do: the next run erases nobody.
    expect(await run(s, false)).toMatchObject({ erased: 0, held: 1 });

    const runs = (await s.get('/api/v1/privacy/retention/runs')).json().items;
    expect(runs.map((r: { dryRun: boolean; erased: number; status: string; by: string }) => [r.dryRun, r.erased, r.status, r.by])).toEqual([
      [false, 0, 'done', 'user'],
      [false, 1, 'done', 'user'],
      [true, 1, 'done', 'user'],
    ]);

    // The erasure names its rule; the run its counts; the hold's reason is nowhere in clear.
    const erasedEntries = await auditEntries(s, `action=person.erased`);
    expect(erasedEntries).toHaveLength(1);
    expect(erasedEntries[0]).toMatchObject({
      entityId: expired.id,
      details: expect.objectContaining({ reason: `retention rule ${leadRule.id}` }),
    });
    const runEntries = await auditEntries(s, 'action=retention.run');
    expect(runEntries.map((e) => e.details?.dryRun)).toEqual([false, false, true]);
    const holdEntries = await auditEntries(s, 'action=legal_hold.placed');
    expect(holdEntries.map((e) => e.entityId)).toEqual([hold.json().id]);
    expect(holdEntries[0]!.details).toEqual({ personTable: 'leads', personId: held.id });
    for (const table of ['legal_holds', 'audit_entries']) {
      const stored = await sql<{
        text: string;
      }>`select string_agg(r::text, ' ') as text from ${sql.table(table)} r where tenant_id = ${s.tt.tenant.id}`.execute(t.handle.db);
      expect(stored.rows[0]!.text).not.toContain('claim of');
    }

    // Released, the hold no longer keeps the person.
    const released = await s.post(`/api/v1/privacy/legal-holds/${hold.json().id}/release`, { reason: 'Claim settled' });
    expect(released.statusCode, released.body).toBe(200);
    expect(released.json()).toMatchObject({ active: false, releaseReason: 'Claim settled', releasedBy: s.tt.admin.id });
    const again = await s.post(`/api/v1/privacy/legal-holds/${hold.json().id}/release`, { reason: 'Twice' });
    expect(again.statusCode).toBe(409);
    expect(again.json().code).toBe('legal_hold_released');
    expect(await run(s, false)).toMatchObject({ erased: 1, held: 0 });
    expect(await exists('leads', held.id)).toBe(false);
    // The hold's record stays; its reasons died with the person's key.
    expect((await s.get('/api/v1/privacy/legal-holds')).json().items[0]).toMatchObject({
      personId: held.id,
      reason: null,
      releaseReason: null,
    });
  });

  it('keeps a restricted person and a lead whose converted contact is under hold, and anonymizes the people of old closed deals', async () => {
    const s = await crmSession(t);
    for (const body of [
      { module: 'contacts', afterDays: 365, basedOn: 'updated', action: 'erase' },
      { module: 'leads', afterDays: 365, basedOn: 'created', action: 'erase' },
    ])
      expect((await s.post('/api/v1/privacy/retention-rules', body)).statusCode).toBe(201);

    const restricted = await contact(s, 'Restricted');
    expect((await s.post(`/api/v1/contacts/${restricted.id}/restriction`, { reason: 'Contests accuracy' })).statusCode).toBe(200);
    await age('contacts', restricted.id, 400);

    // A converted lead and its contact are one person: a hold on the contact keeps the lead too.
    const converting = await lead(s, 'Converted');
    const converted = await s.post(`/api/v1/leads/${converting.id}/convert`, {});
    expect(converted.statusCode, converted.body).toBe(200);
    const contactId = converted.json().contactId as string;
    await age('leads', converting.id, 400);
    await age('contacts', contactId, 400);
    expect((await s.post('/api/v1/privacy/legal-holds', { contactId, reason: 'Litigation hold' })).statusCode).toBe(201);
    // An old lead whose contact is recent is one person still in touch: not expired.
    const oldLead = await lead(s, 'Stillactive');
    const stillActive = await s.post(`/api/v1/leads/${oldLead.id}/convert`, {});
    expect(stillActive.statusCode, stillActive.body).toBe(200);
    await age('leads', oldLead.id, 400);

    const report = await run(s, false);
    expect(report).toMatchObject({ erased: 0, held: 2 });
    expect(report.candidates).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: restricted.id, held: true, heldBy: 'restriction' }),
        expect.objectContaining({ held: true, heldBy: 'legal_hold' }),
      ]),
    );
    expect(report.candidates.map((c: { id: string }) => c.id)).not.toContain(oldLead.id);
    for (const [table, id] of [
      ['contacts', restricted.id],
      ['contacts', contactId],
      ['leads', converting.id],
      ['leads', oldLead.id],
      ['contacts', stillActive.json().contactId as string],
    ] as const)
      expect(await exists(table, id)).toBe(true);

    // Deals: the people of deals closed long ago go, the deal stays; someone also on an open deal stays.
    const t2 = await crmSession(t);
    const rule = await t2.post('/api/v1/privacy/retention-rules', {
      module: 'deals',
      afterDays: 2555,
      basedOn: 'closed',
      action: 'anonymize',
    });
    expect(rule.statusCode, rule.body).toBe(201);
    const buyer = await contact(t2, 'Buyer');
    const active = await contact(t2, 'Active');
    const old = (
      await t2.post('/api/v1/deals', { title: 'Old order', amount: 100, currency: 'EUR', contactIds: [buyer.id, active.id] })
    ).json();
    const open = (await t2.post('/api/v1/deals', { title: 'New order', amount: 100, currency: 'EUR', contactIds: [active.id] })).json();
    expect(open.id).toBeDefined();
    await sql`update deals set status = 'won', closed_at = ${daysAgo(3000)} where id = ${old.id}`.execute(t.handle.db);
    for (const c of [buyer, active]) await age('contacts', c.id, 3000);

    const dealRun = await run(t2, false);
    expect(dealRun).toMatchObject({ erased: 0, anonymized: 1, held: 0 });
    expect(dealRun.candidates).toEqual([
      { table: 'contacts', id: buyer.id, ruleId: rule.json().id, action: 'anonymize', held: false, heldBy: null },
    ]);
    expect(await exists('contacts', buyer.id)).toBe(false);
    expect(await exists('contacts', active.id)).toBe(true);
    const deal = (await t2.get(`/api/v1/deals/${old.id}`)).json();
    expect(deal).toMatchObject({ title: 'Old order', status: 'won' });
    expect(deal.contactIds ?? deal.contacts?.map((c: { id: string }) => c.id)).toEqual([active.id]);
  });

  it('a legal hold on a deal keeps every person linked to it, until released', async () => {
    const s = await crmSession(t);
    const held = await contact(s, 'Dealheld');
    const free = await contact(s, 'Dealfree');
    const deal = (await s.post('/api/v1/deals', { title: 'Disputed contract', amount: 1, currency: 'EUR', contactIds: [held.id] })).json();
    await age('contacts', held.id, 800);
    await age('contacts', free.id, 800);
    expect(
      (await s.post('/api/v1/privacy/retention-rules', { module: 'contacts', afterDays: 730, basedOn: 'created', action: 'erase' }))
        .statusCode,
    ).toBe(201);
    const hold = await s.post('/api/v1/privacy/legal-holds', { dealId: deal.id, reason: 'claim about the contract' });
    expect(hold.statusCode, hold.body).toBe(201);
    expect(hold.json()).toMatchObject({ personTable: 'deals', personId: deal.id, reason: 'claim about the contract', active: true });
    expect((await s.post('/api/v1/privacy/legal-holds', { dealId: deal.id, contactId: held.id, reason: 'both' })).json().code).toBe(
      'legal_hold_invalid',
    );

    const report = await run(s, false);
    expect(report.held).toBeGreaterThanOrEqual(1);
    expect(await exists('contacts', held.id)).toBe(true);
    expect(await exists('contacts', free.id)).toBe(false);

    expect((await s.post(`/api/v1/privacy/legal-holds/${hold.json().id}/release`, { reason: 'settled' })).statusCode).toBe(200);
    await run(s, false);
    expect(await exists('contacts', held.id)).toBe(false);
  });

  it('validates rules with codes, edits and removes them, and refuses a second run at the same time', async () => {
    const s = await crmSession(t);
    const refuse = async (body: object, code: string) => {
      const res = await s.post('/api/v1/privacy/retention-rules', body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json().code).toBe(code);
    };
    await refuse({ module: 'leads', afterDays: 730, basedOn: 'last_activity', action: 'anonymize' }, 'retention_action_unsupported');
    await refuse({ module: 'deals', afterDays: 730, basedOn: 'closed', action: 'erase' }, 'retention_action_unsupported');
    await refuse({ module: 'deals', afterDays: 730, basedOn: 'last_activity', action: 'anonymize' }, 'retention_rule_invalid');
    await refuse({ module: 'contacts', afterDays: 730, basedOn: 'closed', action: 'erase' }, 'retention_rule_invalid');
    await refuse({ module: 'contacts', afterDays: 0, basedOn: 'created', action: 'erase' }, 'validation_failed');
    await refuse({ module: 'contacts', afterDays: 36_501, basedOn: 'created', action: 'erase' }, 'validation_failed');
    await refuse({ module: 'notes', afterDays: 30, basedOn: 'created', action: 'erase' }, 'validation_failed');

    const created = (
      await s.post('/api/v1/privacy/retention-rules', { module: 'leads', afterDays: 90, basedOn: 'created', action: 'erase' })
    ).json();
    const patched = await s.patch(`/api/v1/privacy/retention-rules/${created.id}`, { afterDays: 120, basedOn: 'last_activity' });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json()).toMatchObject({ afterDays: 120, basedOn: 'last_activity', module: 'leads' });
    const badPatch = await s.patch(`/api/v1/privacy/retention-rules/${created.id}`, { action: 'anonymize' });
    expect(badPatch.json().code).toBe('retention_action_unsupported');
    expect((await s.del(`/api/v1/privacy/retention-rules/${created.id}`)).statusCode).toBe(204);
    expect((await s.get('/api/v1/privacy/retention-rules')).json().items).toEqual([]);
    expect((await s.del(`/api/v1/privacy/retention-rules/${created.id}`)).json().code).toBe('retention_rule_not_found');
    const audit = await auditEntries(s, `entity=retention_rules&entityId=${created.id}`);
    expect(audit.map((e) => e.action).sort()).toEqual(['retention_rule.created', 'retention_rule.deleted', 'retention_rule.updated']);

    const l = await lead(s, 'Both');
    const c = await contact(s, 'Both');
    const both = await s.post('/api/v1/privacy/legal-holds', { leadId: l.id, contactId: c.id, reason: 'x' });
    expect(both.json().code).toBe('legal_hold_invalid');
    expect((await s.post('/api/v1/privacy/legal-holds', { reason: 'x' })).json().code).toBe('legal_hold_invalid');
    expect((await s.post('/api/v1/privacy/legal-holds', { leadId: l.id, reason: ' ' })).json().code).toBe('reason_required');

    // Another node's run in progress: refused with 409 (a stale one would be taken over).
    await sql`insert into retention_runs (tenant_id, id, dry_run, status) values (${s.tt.tenant.id}, gen_random_uuid(), false, 'running')`.execute(
      t.handle.db,
    );
    const busy = await s.post('/api/v1/privacy/retention/run', { dryRun: false });
    expect(busy.statusCode).toBe(409);
    expect(busy.json().code).toBe('retention_run_in_progress');
    expect((await s.post('/api/v1/privacy/retention/run', { dryRun: true })).statusCode).toBe(200);
    await sql`update retention_runs set started_at = ${daysAgo(1)} where tenant_id = ${s.tt.tenant.id} and status = 'running'`.execute(
      t.handle.db,
    );
    expect((await s.post('/api/v1/privacy/retention/run', { dryRun: false })).statusCode).toBe(200);
  });

  it('refuses other tenants (404) and users without the privacy permission (403)', async () => {
    const s = await crmSession(t);
    const rule = (
      await s.post('/api/v1/privacy/retention-rules', { module: 'leads', afterDays: 30, basedOn: 'created', action: 'erase' })
    ).json();
    const mine = await lead(s, 'Mine');
    await age('leads', mine.id, 60);
    const hold = (await s.post('/api/v1/privacy/legal-holds', { leadId: mine.id, reason: 'Audit by the tax office' })).json();

    const other = await crmSession(t);
    expect((await other.patch(`/api/v1/privacy/retention-rules/${rule.id}`, { afterDays: 10 })).statusCode).toBe(404);
    expect((await other.del(`/api/v1/privacy/retention-rules/${rule.id}`)).statusCode).toBe(404);
    const release = await other.post(`/api/v1/privacy/legal-holds/${hold.id}/release`, { reason: 'x' });
    expect(release.statusCode).toBe(404);
    expect(release.json().code).toBe('legal_hold_not_found');
    const foreignHold = await other.post('/api/v1/privacy/legal-holds', { leadId: mine.id, reason: 'x' });
    expect(foreignHold.statusCode).toBe(404);
    expect(foreignHold.json().code).toBe('person_not_found');
    expect((await other.get('/api/v1/privacy/retention-rules')).json().items).toEqual([]);
    expect((await other.get('/api/v1/privacy/legal-holds')).json().items).toEqual([]);
    // Another tenant's rules never reach this tenant's people.
    await other.post('/api/v1/privacy/retention-rules', { module: 'leads', afterDays: 1, basedOn: 'created', action: 'erase' });
    expect(await run(other, false)).toMatchObject({ erased: 0, held: 0 });
    expect(await exists('leads', mine.id)).toBe(true);

    const member = await memberSession(t, s);
    expect((await member.get('/api/v1/privacy/retention-rules')).statusCode).toBe(403);
    expect((await member.get('/api/v1/privacy/legal-holds')).statusCode).toBe(403);
    expect((await member.get('/api/v1/privacy/retention/runs')).statusCode).toBe(403);
    expect((await member.post('/api/v1/privacy/retention-rules/presets/two-years')).statusCode).toBe(403);
    expect((await member.post('/api/v1/privacy/retention/run', { dryRun: true })).statusCode).toBe(403);
    expect((await member.post('/api/v1/privacy/legal-holds', { leadId: mine.id, reason: 'x' })).statusCode).toBe(403);
    expect((await member.post(`/api/v1/privacy/legal-holds/${hold.id}/release`, { reason: 'x' })).statusCode).toBe(403);
  });

  it('runs daily for every active tenant with rules, as the system, once per interval', async () => {
    const s = await crmSession(t);
    await s.post('/api/v1/privacy/retention-rules', { module: 'leads', afterDays: 30, basedOn: 'created', action: 'erase' });
    const old = await lead(s, 'Daily');
    await age('leads', old.id, 60);

    const first = await runRetentionJob(t.handle.db, t.keyring, { minGapMs: 20 * 3_600_000 });
    expect(first).toContainEqual({ tenantId: s.tt.tenant.id, erased: 1, anonymized: 0, held: 0, failed: 0 });
    expect(await exists('leads', old.id)).toBe(false);
    const second = await runRetentionJob(t.handle.db, t.keyring, { minGapMs: 20 * 3_600_000 });
    expect(second.map((r) => r.tenantId)).not.toContain(s.tt.tenant.id);

    const runs = (await s.get('/api/v1/privacy/retention/runs')).json().items;
    expect(runs).toEqual([expect.objectContaining({ by: 'system', userId: null, erased: 1, dryRun: false })]);
    const erased = await auditEntries(s, 'action=person.erased');
    expect(erased[0]).toMatchObject({ actor: expect.objectContaining({ kind: 'system', label: 'retention' }) });
  });
});

describe('retention per purpose', () => {
  async function purpose(s: CrmSession, name: string) {
    const id = crypto.randomUUID();
    await t.handle.db
      .insertInto('purposes')
      .values({ tenant_id: s.tt.tenant.id, id, name, lawful_basis: 'consent', retention_days: 365 })
      .execute();
    return id;
  }

  /** The ledger refuses UPDATE: events with an old `at` are inserted as such, in ledger order. */
  async function consent(s: CrmSession, table: 'contacts' | 'leads', personId: string, purposeId: string, action: string, days: number) {
    const { subject_id } = await t.handle.db.selectFrom(table).select('subject_id').where('id', '=', personId).executeTakeFirstOrThrow();
    await sql`insert into consent_events (tenant_id, id, subject_id, person_table, person_id, purpose_id, action, source, at)
      values (${s.tt.tenant.id}, gen_random_uuid(), ${subject_id}, ${table}, ${personId}, ${purposeId}, ${action}, 'staff', ${daysAgo(days)})`.execute(
      t.handle.db,
    );
  }

  it('erases who withdrew consent for the purpose long enough ago; keeps a recent withdrawal and anyone still granting a purpose', async () => {
    const s = await crmSession(t);
    const newsletter = await purpose(s, 'Newsletter');
    const events = await purpose(s, 'Events');
    const rule = await s.post('/api/v1/privacy/retention-rules', {
      module: 'leads',
      afterDays: 30,
      basedOn: 'consent_withdrawn',
      action: 'erase',
      purposeId: newsletter,
    });
    expect(rule.statusCode, rule.body).toBe(201);
    expect(rule.json()).toMatchObject({ basedOn: 'consent_withdrawn', purposeId: newsletter });
    const contactRule = await s.post('/api/v1/privacy/retention-rules', {
      module: 'contacts',
      afterDays: 730,
      basedOn: 'last_activity',
      action: 'erase',
      purposeId: events,
    });
    expect(contactRule.statusCode, contactRule.body).toBe(201);
    expect((await s.get('/api/v1/privacy/retention-rules')).json().items.map((r: { purposeId: string }) => r.purposeId)).toEqual([
      newsletter,
      events,
    ]);

    const withdrew = await lead(s, 'Withdrew');
    const recently = await lead(s, 'Recently');
    const otherGrant = await lead(s, 'OtherGrant');
    const regranted = await lead(s, 'Regranted');
    const noConsent = await lead(s, 'NoConsent');
    for (const l of [withdrew, recently, otherGrant, regranted, noConsent]) await age('leads', l.id, 800);
    for (const l of [withdrew, recently, otherGrant, regranted]) await consent(s, 'leads', l.id, newsletter, 'grant', 100);
    await consent(s, 'leads', withdrew.id, newsletter, 'withdraw', 60);
    await consent(s, 'leads', recently.id, newsletter, 'withdraw', 5);
    await consent(s, 'leads', otherGrant.id, newsletter, 'withdraw', 60);
    await consent(s, 'leads', otherGrant.id, events, 'grant', 50);
    await consent(s, 'leads', regranted.id, newsletter, 'withdraw', 60);
    await consent(s, 'leads', regranted.id, newsletter, 'grant', 40);

    // The contacts rule with a purpose: only people with an event for it, by their last activity.
    const eventGuest = await contact(s, 'EventGuest');
    const stranger = await contact(s, 'Stranger');
    for (const c of [eventGuest, stranger]) await age('contacts', c.id, 800);
    await consent(s, 'contacts', eventGuest.id, events, 'withdraw', 800);

    const dry = await run(s, true);
    expect(dry).toMatchObject({ erased: 2, held: 0, failed: 0 });
    expect(dry.candidates.map((c: { id: string }) => c.id).sort()).toEqual([withdrew.id, eventGuest.id].sort());

    expect(await run(s, false)).toMatchObject({ erased: 2, failed: 0 });
    expect(await exists('leads', withdrew.id)).toBe(false);
    expect(await exists('contacts', eventGuest.id)).toBe(false);
    for (const l of [recently, otherGrant, regranted, noConsent]) expect(await exists('leads', l.id)).toBe(true);
    expect(await exists('contacts', stranger.id)).toBe(true);

    const created = await auditEntries(s, `entity=retention_rules&action=retention_rule.created&entityId=${rule.json().id}`);
    expect(created[0]?.details).toMatchObject({ basedOn: 'consent_withdrawn', purposeId: newsletter });
  });

  it('validates the purpose of a rule with codes', async () => {
    const s = await crmSession(t);
    const other = await crmSession(t);
    const newsletter = await purpose(s, 'Newsletter');
    const foreign = await purpose(other, 'Newsletter');
    const post = (body: object) => s.post('/api/v1/privacy/retention-rules', body);
    const noPurpose = await post({ module: 'leads', afterDays: 30, basedOn: 'consent_withdrawn', action: 'erase' });
    expect(noPurpose.statusCode).toBe(400);
    expect(noPurpose.json().code).toBe('retention_purpose_required');
    const deals = await post({ module: 'deals', afterDays: 30, basedOn: 'closed', action: 'anonymize', purposeId: newsletter });
    expect(deals.statusCode).toBe(400);
    expect(deals.json().code).toBe('retention_purpose_unsupported');
    for (const purposeId of [crypto.randomUUID(), foreign]) {
      const unknown = await post({ module: 'leads', afterDays: 30, basedOn: 'created', action: 'erase', purposeId });
      expect(unknown.statusCode).toBe(404);
      expect(unknown.json().code).toBe('purpose_not_found');
    }
    expect((await post({ module: 'leads', afterDays: 30, basedOn: 'created', action: 'erase', purposeId: 'x' })).statusCode).toBe(400);

    const created = await post({ module: 'leads', afterDays: 30, basedOn: 'consent_withdrawn', action: 'erase', purposeId: newsletter });
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json().id as string;
    const cleared = await s.patch(`/api/v1/privacy/retention-rules/${id}`, { purposeId: null });
    expect(cleared.statusCode).toBe(400);
    expect(cleared.json().code).toBe('retention_purpose_required');
    expect((await s.patch(`/api/v1/privacy/retention-rules/${id}`, { purposeId: foreign })).json().code).toBe('purpose_not_found');
    const patched = await s.patch(`/api/v1/privacy/retention-rules/${id}`, { basedOn: 'created', purposeId: null });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json()).toMatchObject({ basedOn: 'created', purposeId: null });
    const updated = await auditEntries(s, `entity=retention_rules&action=retention_rule.updated&entityId=${id}`);
    expect(updated[0]?.details).toMatchObject({ purposeId: null, previousPurposeId: newsletter });
  });
});
