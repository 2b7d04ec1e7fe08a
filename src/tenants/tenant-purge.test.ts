import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { bearer, signInAdmin } from '../../test/auth.js';
import { createTestTenant, testConfig, type TestTenant } from '../../test/factories.js';
import { useTestServer } from '../../test/server.js';
import { purgePlan, purgeTenant, tenantsDueForPurge } from './tenant-purge.js';
import { terminateTenant } from './tenants.service.js';

// Tenant purge (issue 17): a terminated tenant's keys and every one of its rows
// go, in every table that has a tenant_id, and nothing of any other tenant.

const t = useTestServer();
const config = () => ({ ...testConfig(), keyring: t.keyring });

/** A tenant with people, a converted lead (contacts and leads refer to each other), a deal, notes, activities, a role tree and audit entries. */
async function populated(): Promise<TestTenant> {
  const tt = await createTestTenant(t.handle.db);
  const token = await signInAdmin(t.app, tt);
  const post = async (url: string, payload: object) => {
    const r = await t.app.inject({ method: 'POST', url: `/api/v1${url}`, headers: bearer(token), payload });
    expect(r.statusCode, `${url}: ${r.body}`).toBeLessThan(300);
    return r.json();
  };
  const contact = await post('/contacts', { firstName: 'Purge', lastName: 'Me', emails: ['purge.me@example.test'] });
  await post('/notes', { contactId: contact.id, body: 'a note' });
  const lead = await post('/leads', { firstName: 'Lee', lastName: 'Lead', company: 'Purged BV' });
  await post(`/leads/${lead.id}/convert`, { deal: { amount: 1000, currency: 'EUR' } });
  await post('/activities', { type: 'task', subject: 'Call back', contactId: contact.id });
  const parent = await post('/roles', {
    name: 'Sales lead',
    parentId: (await t.app.inject({ url: '/api/v1/roles', headers: bearer(token) })).json().items[0].id,
  });
  await post('/roles', { name: 'Sales rep', parentId: parent.id });
  // The consent ledger refuses deletes outside an erasure or purge (migration 0015).
  const purposeId = randomUUID();
  await t.handle.db
    .insertInto('purposes')
    .values({ tenant_id: tt.tenant.id, id: purposeId, name: 'Newsletter', lawful_basis: 'contract', retention_days: 30 })
    .execute();
  const subject = await t.handle.db.selectFrom('contacts').select('subject_id').where('id', '=', contact.id).executeTakeFirstOrThrow();
  await t.handle.db
    .insertInto('consent_events')
    .values({
      tenant_id: tt.tenant.id,
      id: randomUUID(),
      subject_id: subject.subject_id,
      person_table: 'contacts',
      person_id: contact.id,
      purpose_id: purposeId,
      action: 'grant',
      source: 'staff',
    })
    .execute();
  return tt;
}

async function tenantTables(): Promise<string[]> {
  const r = await sql<{ table_name: string }>`select table_name from information_schema.columns
    where table_schema = current_schema() and column_name = 'tenant_id'`.execute(t.handle.db);
  return r.rows.map((x) => x.table_name);
}

async function rowsOf(tenantId: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of await tenantTables()) {
    const r = await sql<{ n: string }>`select count(*) as n from ${sql.table(table)} where tenant_id = ${tenantId}`.execute(t.handle.db);
    const n = Number(r.rows[0]?.n);
    if (n > 0) counts[table] = n;
  }
  return counts;
}

describe('tenant purge', () => {
  it('leaves no row of the purged tenant in any table, and every row of another', async () => {
    const doomed = await populated();
    const other = await populated();
    const otherBefore = await rowsOf(other.tenant.id);
    const before = await rowsOf(doomed.tenant.id);
    expect(Object.keys(before)).toEqual(
      expect.arrayContaining(['contacts', 'leads', 'deals', 'notes', 'activities', 'roles', 'audit_entries', 'consent_events']),
    );

    await terminateTenant(t.handle.db, config(), doomed.tenant.slug);
    const dry = await purgeTenant(t.handle.db, t.keyring, doomed.tenant.slug, { now: true, dryRun: true });
    expect(dry.dryRun).toBe(true);
    expect(dry.deleted.contacts).toBe(before.contacts);
    expect(await rowsOf(doomed.tenant.id)).toMatchObject({ contacts: before.contacts, leads: before.leads });

    const report = await purgeTenant(t.handle.db, t.keyring, doomed.tenant.slug, { now: true });
    expect(report.rows).toBeGreaterThan(10);
    expect(report.deleted.contacts).toBe(before.contacts);
    expect(await rowsOf(doomed.tenant.id)).toEqual({});
    expect(await t.handle.db.selectFrom('tenants').select('id').where('id', '=', doomed.tenant.id).execute()).toEqual([]);

    expect(await rowsOf(other.tenant.id)).toEqual(otherBefore);
    const token = await signInAdmin(t.app, other);
    const list = await t.app.inject({ url: '/api/v1/contacts', headers: bearer(token) });
    expect(list.json().items.map((c: { lastName: string }) => c.lastName)).toContain('Me');
  });

  it('refuses a tenant that is not terminated, and one whose deletion date has not come without --now', async () => {
    const tt = await createTestTenant(t.handle.db);
    await expect(purgeTenant(t.handle.db, t.keyring, tt.tenant.slug, { now: true })).rejects.toMatchObject({
      code: 'tenant_invalid_transition',
    });
    await terminateTenant(t.handle.db, config(), tt.tenant.slug);
    await expect(purgeTenant(t.handle.db, t.keyring, tt.tenant.slug)).rejects.toMatchObject({ code: 'tenant_invalid_transition' });
    expect(await tenantsDueForPurge(t.handle.db)).not.toContain(tt.tenant.slug);
    const later = new Date(Date.now() + 31 * 86_400_000);
    expect(await tenantsDueForPurge(t.handle.db, later)).toContain(tt.tenant.slug);
    expect((await purgeTenant(t.handle.db, t.keyring, tt.tenant.slug, { at: later })).rows).toBeGreaterThan(0);
    await expect(purgeTenant(t.handle.db, t.keyring, tt.tenant.slug, { now: true })).rejects.toMatchObject({ code: 'tenant_not_found' });
  });

  it('orders tables children first, clears nullable references that form a cycle, empties self-referencing tables at once', () => {
    const plan = purgePlan(
      ['tenants_child', 'a', 'b', 'roles'],
      [
        { child: 'tenants_child', parent: 'a', columns: ['a_id'], nullable: false },
        { child: 'a', parent: 'b', columns: ['b_id'], nullable: true },
        { child: 'b', parent: 'a', columns: ['a_id'], nullable: false },
        { child: 'roles', parent: 'roles', columns: ['parent_id'], nullable: true },
      ],
    );
    expect(plan.order.indexOf('tenants_child')).toBeLessThan(plan.order.indexOf('a'));
    expect(plan.order.indexOf('b')).toBeLessThan(plan.order.indexOf('a'));
    expect(plan.clear.map((k) => `${k.child}.${k.columns[0]}`)).toEqual(['a.b_id']);
    expect(plan.whole).toEqual(['roles']);
    expect(() =>
      purgePlan(
        ['x', 'y'],
        [
          { child: 'x', parent: 'y', columns: ['y_id'], nullable: false },
          { child: 'y', parent: 'x', columns: ['x_id'], nullable: false },
        ],
      ),
    ).toThrow(/required/);
  });
});
