import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { crmSession, memberSession } from '../../test/crm.js';
import { useTestServer } from '../../test/server.js';

// POST /api/v1/audit/verify: the chain check of `custodia audit verify`, for the web app's admin screen.

const t = useTestServer();

async function tenantWithHistory() {
  const s = await crmSession(t);
  const created = await s.post('/api/v1/contacts', { firstName: 'Ada', lastName: 'Lovelace', emails: ['ada@example.test'] });
  expect(created.statusCode, created.body).toBe(201);
  for (let i = 0; i < 3; i++) expect((await s.get(`/api/v1/contacts/${created.json<{ id: string }>().id}`)).statusCode).toBe(200);
  return s;
}

describe('verifying the audit trail over the API', () => {
  it('answers ok with the entries checked for an intact chain', async () => {
    const s = await tenantWithHistory();
    const res = await s.post('/api/v1/audit/verify');
    expect(res.statusCode, res.body).toBe(200);
    const report = res.json();
    expect(report).toMatchObject({ tenantId: s.tt.tenant.id, ok: true, problems: [], checkpoint: 'not_given' });
    expect(report.entries).toBeGreaterThanOrEqual(5);
    expect(report.head.size).toBe(report.entries);
  });

  it('names the first altered entry, and only in the tenant it belongs to', async () => {
    const s = await tenantWithHistory();
    const other = await tenantWithHistory();
    expect((await s.post('/api/v1/audit/verify')).json().ok).toBe(true);
    const rows = await sql<{ id: string; seq: number }>`
      select id, seq from audit_entries where tenant_id = ${s.tt.tenant.id} order by seq`.execute(t.handle.db);
    const victim = rows.rows[2]!;
    await sql`update audit_entries set at = at + interval '1 second' where tenant_id = ${s.tt.tenant.id} and id = ${victim.id}`.execute(
      t.handle.db,
    );

    const report = (await s.post('/api/v1/audit/verify')).json();
    expect(report.ok).toBe(false);
    expect(report.problems[0]).toMatchObject({ position: victim.seq, id: victim.id });
    expect((await other.post('/api/v1/audit/verify')).json()).toMatchObject({ ok: true, problems: [] });
  });

  it('is for administrators only, and needs a sign-in', async () => {
    const s = await tenantWithHistory();
    const rep = await memberSession(t, s);
    const refused = await rep.post('/api/v1/audit/verify');
    expect(refused.statusCode).toBe(403);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    expect(refused.json().code).toBe('admin_required');
    const anonymous = await t.app.inject({ method: 'POST', url: '/api/v1/audit/verify' });
    expect(anonymous.statusCode).toBe(401);
  });
});
