import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bearer } from '../../test/auth.js';
import { auditEntries, crmSession, memberSession, type CrmSession } from '../../test/crm.js';
import { useTestServer } from '../../test/server.js';
import { openObjectStore } from '../storage/open-store.js';
import * as repo from './backup-runs.repository.js';
import { tenantLease } from './backup-runs.service.js';
import { createBackup, type BackupContext } from './backup.service.js';

// GET/POST /api/v1/backups: a tenant's administrators see their tenant's
// backups and the instance's, never another tenant's, and start a backup of
// their own tenant — one at a time, a few an hour. Real backups, in a
// directory of this file's own.

const dir = mkdtempSync(path.join(tmpdir(), 'custodia-backup-routes-'));
const t = useTestServer({ CUSTODIA_BACKUP_DIR: dir, CUSTODIA_FILES_DIR: path.join(dir, 'files') });

interface Overview {
  items: Array<{
    id: string;
    scope: string;
    createdAt: string;
    bytes: number | null;
    rows: number | null;
    verifiedAt: string | null;
    status: string;
  }>;
  lastFailure: { at: string; code: string; message: string } | null;
  schedule: { enabled: boolean; expressions: string[]; nightly: string | null; nextAt: string | null };
  target: { kind: string };
}

async function overview(s: CrmSession): Promise<Overview> {
  const res = await s.get('/api/v1/backups');
  expect(res.statusCode, res.body).toBe(200);
  return res.json<Overview>();
}

/** Polls until no backup of the session's view is running. */
async function settled(s: CrmSession): Promise<Overview> {
  for (let i = 0; i < 200; i++) {
    const o = await overview(s);
    if (!o.items.some((item) => item.status === 'running')) return o;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the backup did not finish');
}

function context(): BackupContext {
  const store = openObjectStore(t.config.backups.target, t.config.s3);
  return {
    config: t.config,
    database: t.handle,
    keyring: t.keyring,
    store,
    filesStore: openObjectStore(t.config.files.store, t.config.s3),
  };
}

describe('backups API', () => {
  it('answers 401 without a sign-in', async () => {
    for (const method of ['GET', 'POST'] as const) {
      const res = await t.app.inject({ method, url: '/api/v1/backups' });
      expect(res.statusCode).toBe(401);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
  });

  it('answers 403 admin_required to a user who is not an administrator, and starts nothing', async () => {
    const admin = await crmSession(t);
    const member = await memberSession(t, admin);
    const list = await t.app.inject({ url: '/api/v1/backups', headers: bearer(member.token) });
    expect(list.statusCode).toBe(403);
    const start = await t.app.inject({ method: 'POST', url: '/api/v1/backups', headers: bearer(member.token) });
    expect(start.statusCode).toBe(403);
    expect(start.json()).toMatchObject({ code: 'admin_required' });
    expect(await t.handle.db.selectFrom('backup_runs').selectAll().where('tenant_id', '=', admin.tt.tenant.id).execute()).toEqual([]);
  });

  it('needs the admin scope on an API token, even an administrator’s', async () => {
    const admin = await crmSession(t);
    const created = await admin.post('/api/v1/me/tokens', { name: 'script', scopes: ['read', 'write'] });
    expect(created.statusCode, created.body).toBe(201);
    const token = created.json<{ token: string }>().token;
    for (const method of ['GET', 'POST'] as const) {
      const res = await t.app.inject({ method, url: '/api/v1/backups', headers: bearer(token) });
      expect(res.statusCode).toBe(403);
    }
    const scoped = (await admin.post('/api/v1/me/tokens', { name: 'ops', scopes: ['admin'] })).json<{ token: string }>().token;
    expect((await t.app.inject({ url: '/api/v1/backups', headers: bearer(scoped) })).statusCode).toBe(200);
  });

  it('shows the schedule and the kind of target, never its address', async () => {
    const admin = await crmSession(t);
    const o = await overview(admin);
    expect(o.schedule).toMatchObject({ enabled: true, expressions: ['0 7,12,17 * * *'], nightly: '0 2 * * *' });
    expect(Date.parse(o.schedule.nextAt!)).toBeGreaterThan(Date.now());
    expect(o.target).toEqual({ kind: 'dir' });
    expect(JSON.stringify(o)).not.toContain(dir);
  });

  it('starts a backup of the caller’s tenant: 202 with the run, listed while it runs, then the backup itself', async () => {
    const admin = await crmSession(t);
    const res = await admin.post('/api/v1/backups');
    expect(res.statusCode, res.body).toBe(202);
    const started = res.json<{ id: string; status: string }>();
    expect(started.status).toBe('running');
    // Until it is done, the run itself is listed under the id POST answered.
    const during = (await overview(admin)).items.find((i) => i.id === started.id);
    if (during) expect(during).toMatchObject({ scope: 'tenant', status: 'running', bytes: null, rows: null });
    const after = await settled(admin);
    expect(after.lastFailure).toBeNull();
    const mine = after.items.filter((i) => i.scope === 'tenant');
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ status: 'ok', verifiedAt: null });
    expect(mine[0]!.bytes).toBeGreaterThan(0);
    expect(mine[0]!.rows).toBeGreaterThan(0);
    const run = await t.handle.db.selectFrom('backup_runs').selectAll().where('id', '=', started.id).executeTakeFirstOrThrow();
    expect(run).toMatchObject({
      kind: 'tenant',
      tenant_id: admin.tt.tenant.id,
      status: 'ok',
      backup_id: mine[0]!.id,
      requested_by: admin.tt.admin.id,
    });
    const [audited] = await auditEntries(admin, 'action=backup.started');
    expect(audited).toMatchObject({
      entity: 'backup_runs',
      entityId: started.id,
      actor: expect.objectContaining({ userId: admin.tt.admin.id }),
    });
  });

  it('never lists another tenant’s backups; the instance’s backups are listed to every tenant’s admins', async () => {
    const a = await crmSession(t);
    const b = await crmSession(t);
    expect((await b.post('/api/v1/backups')).statusCode).toBe(202);
    await settled(b);
    const instance = await createBackup(context());
    const seenByA = await overview(a);
    const seenByB = await overview(b);
    const bBackups = seenByB.items.filter((i) => i.scope === 'tenant').map((i) => i.id);
    expect(bBackups).toHaveLength(1);
    for (const id of bBackups) expect(seenByA.items.map((i) => i.id)).not.toContain(id);
    expect(seenByA.items.filter((i) => i.scope === 'tenant')).toEqual([]);
    expect(seenByA.items.map((i) => i.id)).toContain(instance.id);
    expect(seenByB.items.map((i) => i.id)).toContain(instance.id);
    // A tenant made after it is not in it: the instance backup is not listed to its admins.
    const later = await crmSession(t);
    expect((await overview(later)).items.map((i) => i.id)).not.toContain(instance.id);
  });

  it('answers 409 backup_running while another node runs a backup of the tenant', async () => {
    const admin = await crmSession(t);
    expect(await repo.acquireLease(t.handle.db, tenantLease(admin.tt.tenant.id), 'other-node', 60_000)).toBe(true);
    const res = await admin.post('/api/v1/backups');
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ code: 'backup_running' });
    await repo.releaseLease(t.handle.db, tenantLease(admin.tt.tenant.id), 'other-node');
  });

  it('of two backups asked for at once on one node, one starts and the other is refused with 409', async () => {
    const admin = await crmSession(t);
    const answers = await Promise.all([admin.post('/api/v1/backups'), admin.post('/api/v1/backups')]);
    expect(answers.map((r) => r.statusCode).sort()).toEqual([202, 409]);
    await settled(admin);
    const runs = await t.handle.db.selectFrom('backup_runs').selectAll().where('tenant_id', '=', admin.tt.tenant.id).execute();
    expect(runs.map((r) => r.status)).toEqual(['ok']);
  });

  it('answers 429 with Retry-After after six backups of the tenant within the hour', async () => {
    const admin = await crmSession(t);
    const db = t.handle.db;
    const now = Date.now();
    for (let i = 0; i < 6; i++) {
      await repo.insertRun(db, {
        id: `0190a0a0-0000-7000-8000-${String(100 + i).padStart(12, '0')}`.slice(0, 36),
        kind: 'tenant',
        tenant_id: admin.tt.tenant.id,
        started_at: new Date(now - (50 - i) * 60_000),
        finished_at: new Date(now - (49 - i) * 60_000),
        status: 'ok',
      });
    }
    const res = await admin.post('/api/v1/backups');
    expect(res.statusCode).toBe(429);
    expect(res.json()).toMatchObject({ code: 'backup_rate_limited' });
    // The oldest of the six started 50 minutes ago: one can be started again in about 10 minutes.
    const retryAfter = Number(res.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(9 * 60);
    expect(retryAfter).toBeLessThanOrEqual(10 * 60);
  });

  it('shows the newest failure of the tenant or the instance, in Custodia’s words', async () => {
    const admin = await crmSession(t);
    const other = await crmSession(t);
    const db = t.handle.db;
    await repo.insertRun(db, {
      id: '0190a0a0-0000-7000-8000-00000000f001',
      kind: 'tenant',
      tenant_id: other.tt.tenant.id,
      started_at: new Date(Date.now() + 60_000),
      status: 'failed',
      error_code: 'backup_failed',
      error_message: 'another tenant’s failure',
    });
    await repo.insertRun(db, {
      id: '0190a0a0-0000-7000-8000-00000000f002',
      kind: 'tenant',
      tenant_id: admin.tt.tenant.id,
      started_at: new Date(),
      finished_at: new Date(),
      status: 'failed',
      error_code: 'backup_failed',
      error_message: 'the backup stopped with error code ENOSPC; the server log says where',
    });
    const o = await overview(admin);
    expect(o.lastFailure).toMatchObject({
      code: 'backup_failed',
      message: 'the backup stopped with error code ENOSPC; the server log says where',
    });
  });

  it('reports backup health in /metrics: failures by scope and reason, the last success and its size', async () => {
    const res = await t.app.inject({ url: '/metrics' });
    expect(res.statusCode).toBe(200);
    const text = res.body;
    const value = (line: string) => Number(new RegExp(`^${line.replace(/[{}]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1]);
    // Earlier scenarios: good tenant backups, one instance backup, two failed tenant runs.
    expect(value('custodia_backup_failures_total{scope="tenant",reason="failed"}')).toBe(2);
    expect(value('custodia_backup_failures_total{scope="tenant",reason="missed"}')).toBe(0);
    const lastSuccess = value('custodia_backup_last_success_timestamp_seconds{scope="tenant"}');
    expect(lastSuccess).toBeGreaterThan(Date.now() / 1000 - 600);
    expect(value('custodia_backup_last_bytes{scope="tenant"}')).toBeGreaterThan(0);
  });
});
