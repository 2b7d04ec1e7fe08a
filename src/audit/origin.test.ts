import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer } from '../../test/auth.js';
import { openTestDatabase, pgliteTemplate, registerKeyring, testDbKind } from '../../test/db.js';
import { createTestTenant, testConfig, type TestTenant } from '../../test/factories.js';
import { openPglite, type DatabaseHandle } from '../db/database.js';
import { buildServer } from '../server.js';
import { FieldDecryptionError } from '../keys/field-crypto.js';
import { Keyring } from '../keys/keyring.js';
import { initializeKeys } from '../keys/keys.service.js';
import { eraseSubject } from '../key-lifecycle/shredding.js';
import { LocalMasterKey } from '../keys/master-key-provider.js';
import { entryMac, LEGACY_ENCODING_FORMAT, type EntryContent } from './chain.js';
import { openOrigins, sealOrigin } from './origin.js';
import { sealAll } from './sealer.js';
import { listSecurityEvents, sealLegacyOrigins } from './security-events.js';
import { verifyTenant } from './verify.js';

// Addresses and a user agent no other test uses, so finding them means this file stored them.
const IPV4 = '198.51.100.173';
const IPV6 = '2001:db8:4d2:77::1c';
const BROWSER = 'OriginProbe/7.3 (quokka-zebra; rv:42)';
const SCRIPT = 'TokenScript/2.9 (okapi-narwhal)';

interface Setup {
  handle: DatabaseHandle;
  keyring: Keyring;
  app: FastifyInstance;
  /** PGlite: the data dir on disk. */
  dataDir?: string;
  /** PostgreSQL: this file's own database. */
  url?: string;
  dispose(): Promise<void>;
}

/** This file's database: on PGlite a data dir on disk (to search its files), on PostgreSQL a database of its own. */
async function openSetup(): Promise<Setup> {
  let handle: DatabaseHandle;
  let keyring: Keyring;
  let dataDir: string | undefined;
  let url: string | undefined;
  let dispose: () => Promise<void>;
  if (testDbKind() === 'pglite') {
    dataDir = await mkdtemp(join(tmpdir(), 'custodia-origins-'));
    handle = await openPglite({ dataDir, loadDataDir: await pgliteTemplate() });
    keyring = new Keyring(new LocalMasterKey(randomBytes(32), 'test master key'));
    await initializeKeys(handle.db, keyring);
    registerKeyring(handle.db, keyring);
    const dir = dataDir;
    dispose = async () => {
      await handle.close().catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    };
  } else {
    const opened = await openTestDatabase();
    ({ handle, keyring, url } = opened);
    dispose = opened.dispose;
  }
  const app = await buildServer({ config: testConfig(), database: handle, keyring, logger: false });
  await app.ready();
  return { handle, keyring, app, ...(dataDir ? { dataDir } : {}), ...(url ? { url } : {}), dispose };
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

/** The needles as they could lie on disk or in a dump: text, and hex (how pg_dump writes bytea). */
function forms(needle: string): Buffer[] {
  return [Buffer.from(needle), Buffer.from(Buffer.from(needle).toString('hex'))];
}

describe('where requests come from, at rest', () => {
  let s: Setup;
  let tt: TestTenant;
  beforeAll(async () => {
    s = await openSetup();
    tt = await createTestTenant(s.handle.db);
  });
  afterAll(async () => {
    await s?.app.close();
    await s?.dispose();
  });

  const from = (remoteAddress: string, userAgent: string, headers: Record<string, string> = {}) => ({
    remoteAddress,
    headers: { 'user-agent': userAgent, ...headers },
  });

  it('is readable to the people allowed, and neither IP nor user agent is in the data dir or a dump', async () => {
    const { app } = s;
    const signIn = (password: string, email = tt.adminEmail) =>
      app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { tenant: tt.tenant.slug, email, password },
        ...from(IPV4, BROWSER),
      });
    expect((await signIn('not the password')).statusCode).toBe(401);
    expect((await signIn('not the password', `nobody@${tt.tenant.slug}.test`)).statusCode).toBe(401);
    const session = (await signIn(tt.adminPassword)).json<{ token: string }>().token;
    const asAdmin = (headers: Record<string, string> = {}) => from(IPV4, BROWSER, { ...bearer(session), ...headers });

    const created = await app.inject({
      method: 'POST',
      url: '/api/v1/contacts',
      payload: { firstName: 'Origin', lastName: 'Probe', emails: ['origin.probe@example.test'], phones: [] },
      ...asAdmin(),
    });
    expect(created.statusCode).toBe(201);
    const contactId = created.json<{ id: string }>().id;
    expect((await app.inject({ url: `/api/v1/contacts/${contactId}`, ...asAdmin() })).statusCode).toBe(200);

    // An API token, used from another address and client.
    const token = (
      await app.inject({ method: 'POST', url: '/api/v1/me/tokens', payload: { name: 'sync', scopes: ['read'] }, ...asAdmin() })
    ).json<{ token: string }>().token;
    expect((await app.inject({ url: `/api/v1/contacts/${contactId}`, ...from(IPV6, SCRIPT, bearer(token)) })).statusCode).toBe(200);

    // Shown, decrypted, to whom may see them: the user's sessions, the admin's security events and audit trail.
    const sessions = (await app.inject({ url: '/api/v1/me/sessions', ...asAdmin() })).json<{
      items: Array<{ ip: string; userAgent: string }>;
    }>().items;
    expect(sessions).toEqual([expect.objectContaining({ ip: IPV4, userAgent: BROWSER })]);
    const events = (await app.inject({ url: '/api/v1/security-events', ...asAdmin() })).json<{
      items: Array<{ type: string; ip: string | null }>;
    }>().items;
    expect(events.filter((e) => e.type === 'sign_in.failed').map((e) => e.ip)).toEqual([IPV4, IPV4]);
    const audit = (await app.inject({ url: `/api/v1/audit?contactId=${contactId}`, ...asAdmin() })).json<{
      items: Array<{ action: string; actor: { kind: string }; ip?: string | null; userAgent?: string | null }>;
    }>().items;
    expect(audit.find((e) => e.action === 'contact.created')).toMatchObject({ ip: IPV4, userAgent: BROWSER });
    expect(audit.find((e) => e.action === 'contact.read' && e.actor.kind === 'token')).toMatchObject({ ip: IPV6, userAgent: SCRIPT });

    // The trail with sealed origins is sealed and verifies.
    await sealAll(s.handle.db, s.keyring);
    const report = await verifyTenant(s.handle.db, s.keyring, tt.tenant.id);
    expect(report.problems).toEqual([]);
    expect(report.entries).toBeGreaterThan(5);

    await app.close();
    const needles = [IPV4, IPV6, BROWSER, SCRIPT];
    if (s.dataDir) {
      await s.handle.close();
      const files = await filesUnder(s.dataDir);
      const found: string[] = [];
      let slugSeen = false;
      for (const file of files) {
        const bytes = await readFile(file);
        for (const needle of needles) if (forms(needle).some((f) => bytes.includes(f))) found.push(`${needle} in ${file}`);
        if (bytes.includes(Buffer.from(tt.tenant.slug))) slugSeen = true;
      }
      // The search does see what is stored in clear: the tenant's slug.
      expect(slugSeen).toBe(true);
      expect(found).toEqual([]);
    } else {
      const { stdout } = await promisify(execFile)('pg_dump', ['--no-owner', s.url!], { maxBuffer: 256 * 1024 * 1024 });
      const dump = Buffer.from(stdout);
      expect(dump.includes(Buffer.from(tt.tenant.slug))).toBe(true);
      expect(needles.filter((needle) => forms(needle).some((f) => dump.includes(f)))).toEqual([]);
    }
  });
});

describe('sealed origins', () => {
  let s: Setup;
  const from = (remoteAddress: string, userAgent: string) => ({ remoteAddress, headers: { 'user-agent': userAgent } });
  beforeAll(async () => {
    s = await openSetup();
  });
  afterAll(async () => {
    await s?.app.close();
    await s?.dispose();
  });

  async function subjectOf(tt: TestTenant): Promise<string> {
    const row = await s.handle.db
      .selectFrom('users')
      .select('subject_id')
      .where('tenant_id', '=', tt.tenant.id)
      .where('id', '=', tt.admin.id)
      .executeTakeFirstOrThrow();
    return row.subject_id!;
  }

  it('are shredded with the user whose requests they were; anonymous ones stay with the tenant', async () => {
    const tt = await createTestTenant(s.handle.db);
    const subjectId = await subjectOf(tt);
    const place = (rowId: string) => ({ tenantId: tt.tenant.id, table: 'security_events', rowId });
    const mine = {
      id: 'a0000000-0000-4000-8000-000000000001',
      ...(await sealOrigin(s.handle.db, s.keyring, place('a0000000-0000-4000-8000-000000000001'), subjectId, {
        ip: IPV4,
        userAgent: BROWSER,
      }))!,
    };
    const anonymous = {
      id: 'a0000000-0000-4000-8000-000000000002',
      ...(await sealOrigin(s.handle.db, s.keyring, place('a0000000-0000-4000-8000-000000000002'), null, { ip: IPV4, userAgent: null }))!,
    };
    expect(mine.origin_subject_id).toBe(subjectId);
    expect(anonymous.origin_subject_id).not.toBe(subjectId);
    expect(await openOrigins(s.handle.db, s.keyring, tt.tenant.id, 'security_events', [mine, anonymous])).toEqual(
      new Map([
        [mine.id, { ip: IPV4, userAgent: BROWSER }],
        [anonymous.id, { ip: IPV4, userAgent: null }],
      ]),
    );

    await eraseSubject(s.handle.db, s.keyring, tt.tenant.id, subjectId);
    const after = await openOrigins(s.handle.db, s.keyring, tt.tenant.id, 'security_events', [mine, anonymous]);
    expect(after.has(mine.id)).toBe(false);
    expect(after.get(anonymous.id)).toEqual({ ip: IPV4, userAgent: null });
  });

  it('open only in their own tenant, table and row', async () => {
    const a = await createTestTenant(s.handle.db);
    const b = await createTestTenant(s.handle.db);
    const rowId = 'b0000000-0000-4000-8000-000000000001';
    const sealed = (await sealOrigin(s.handle.db, s.keyring, { tenantId: a.tenant.id, table: 'sessions', rowId }, await subjectOf(a), {
      ip: IPV6,
      userAgent: SCRIPT,
    }))!;
    // Another tenant has no such subject: nothing opens.
    expect((await openOrigins(s.handle.db, s.keyring, b.tenant.id, 'sessions', [{ id: rowId, ...sealed }])).size).toBe(0);
    // Copied to another row or table, the ciphertext does not decrypt.
    await expect(
      openOrigins(s.handle.db, s.keyring, a.tenant.id, 'sessions', [{ id: 'b0000000-0000-4000-8000-000000000002', ...sealed }]),
    ).rejects.toThrow(FieldDecryptionError);
    await expect(openOrigins(s.handle.db, s.keyring, a.tenant.id, 'audit_entries', [{ id: rowId, ...sealed }])).rejects.toThrow(
      FieldDecryptionError,
    );
  });

  it('are never stored in clear, even in an audit entry written through SQL', async () => {
    const tt = await createTestTenant(s.handle.db);
    // Format-3 entries cannot carry a plaintext origin: the table refuses it.
    await expect(
      sql`insert into audit_entries (tenant_id, id, at, actor_kind, action, encoding_format, ip) values (${tt.tenant.id}, ${'c0000000-0000-4000-8000-000000000001'}, now(), 'anonymous', 'sign_in.failed', 3, ${IPV4})`.execute(
        s.handle.db,
      ),
    ).rejects.toThrow(/audit_entries_origin_sealed/);
  });

  it('of security events written in clear before migration 0013 are sealed at start', async () => {
    const tt = await createTestTenant(s.handle.db);
    const id = 'd0000000-0000-4000-8000-000000000001';
    await sql`insert into security_events (tenant_id, id, type, user_id, ip, user_agent)
      values (${tt.tenant.id}, ${id}, 'sign_out', ${tt.admin.id}, ${IPV4}, ${BROWSER})`.execute(s.handle.db);
    expect(await sealLegacyOrigins(s.handle.db, s.keyring)).toBeGreaterThanOrEqual(1);
    const row = await s.handle.db
      .selectFrom('security_events')
      .selectAll()
      .where('tenant_id', '=', tt.tenant.id)
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect([row.ip, row.user_agent]).toEqual([null, null]);
    expect(row.origin_subject_id).toBe(await subjectOf(tt));
    expect((await listSecurityEvents(s.handle.db, s.keyring, tt.tenant.id)).find((e) => e.id === id)?.ip).toBe(IPV4);
    expect(await sealLegacyOrigins(s.handle.db, s.keyring)).toBe(0);
  });

  it('leave audit entries sealed before them as they were: a trail of both formats verifies', async () => {
    const tt = await createTestTenant(s.handle.db);
    // An entry as the recorder wrote it before 0013: format 2, its origin in clear and covered by its MAC.
    const old: EntryContent = {
      tenantId: tt.tenant.id,
      id: 'e0000000-0000-4000-8000-000000000001',
      atMicros: (Date.now() - 60_000) * 1000,
      actorKind: 'anonymous',
      actorUserId: null,
      actorTokenId: null,
      actorLabel: null,
      action: 'sign_in.failed',
      entity: null,
      entityId: null,
      subjectIds: [],
      fields: [],
      requestId: 'req-old',
      format: LEGACY_ENCODING_FORMAT,
      originSubjectId: null,
      originEnc: null,
      ip: IPV4,
      userAgent: BROWSER,
      details: '{}',
      valuesSubjectId: null,
      valuesEnc: null,
    };
    await sql`insert into audit_entries (tenant_id, id, at, actor_kind, action, request_id, encoding_format, ip, user_agent, details, mac)
      values (${old.tenantId}, ${old.id}, timestamptz 'epoch' + ${old.atMicros}::int8 * interval '1 microsecond', 'anonymous', 'sign_in.failed',
              'req-old', 2, ${IPV4}, ${BROWSER}, '{}', ${entryMac(s.keyring, tt.tenant.id, old)})`.execute(s.handle.db);
    // and one written now, sealed.
    expect(
      (
        await s.app.inject({
          method: 'POST',
          url: '/api/v1/auth/login',
          payload: { tenant: tt.tenant.slug, email: tt.adminEmail, password: 'wrong' },
          ...from(IPV6, SCRIPT),
        })
      ).statusCode,
    ).toBe(401);
    await sealAll(s.handle.db, s.keyring);
    const report = await verifyTenant(s.handle.db, s.keyring, tt.tenant.id);
    expect(report.problems).toEqual([]);
    const formats = await s.handle.db
      .selectFrom('audit_entries')
      .select(['encoding_format', 'ip'])
      .where('tenant_id', '=', tt.tenant.id)
      .where('action', '=', 'sign_in.failed')
      .orderBy('seq')
      .execute();
    expect(formats).toEqual([
      { encoding_format: 2, ip: IPV4 },
      { encoding_format: 3, ip: null },
    ]);

    // Changing an old entry's plaintext origin is tampering like any other.
    await sql`update audit_entries set ip = '192.0.2.1' where tenant_id = ${tt.tenant.id} and id = ${old.id}`.execute(s.handle.db);
    const tampered = await verifyTenant(s.handle.db, s.keyring, tt.tenant.id);
    expect(tampered.problems[0]?.id).toBe(old.id);
  });
});
