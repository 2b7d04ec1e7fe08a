import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { promisify } from 'node:util';
import { access, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { sql } from 'kysely';
import { manifestSignature } from './backup-format.js';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { databaseUrl } from '../../test/global-setup.postgres.js';
import { multipartBody } from '../files/multipart.test-helpers.js';
import { buildServer } from '../server.js';
import { verifyTenant } from '../audit/verify.js';
import { terminateTenant } from '../tenants/tenants.service.js';
import { Keyring } from '../keys/keyring.js';
import { LocalMasterKey } from '../keys/master-key-provider.js';
import { DirectoryStore } from '../storage/dir-store.js';
import { readObject, type ObjectStore } from '../storage/object-store.js';
import { openObjectStore } from '../storage/open-store.js';
import { S3Store } from '../storage/s3-store.js';
import { startLocalS3, type LocalS3 } from '../../test/s3.js';
import { crmSession, type CrmSession } from '../../test/crm.js';
import { openBareTestDatabase, registerKeyring } from '../../test/db.js';
import { signInAdmin } from '../../test/auth.js';
import { useTestServer } from '../../test/server.js';
import type { DatabaseHandle } from '../db/database.js';
import {
  createBackup,
  listBackups,
  restoreBackup,
  verifyBackup,
  backupKeys,
  shipTombstones,
  deleteBackup,
  type BackupContext,
} from './backup.service.js';

// Backups of a running instance and of one tenant: what they hold, that they
// restore (whole into an empty database, one tenant into the running
// instance) and that nobody erased after a backup comes back from it.

const filesDir = mkdtempSync(path.join(tmpdir(), 'custodia-backup-files-'));
const t = useTestServer({ CUSTODIA_FILES_DIR: filesDir });
let dir: string;
let s3: LocalS3;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'custodia-backup-'));
  s3 = await startLocalS3();
});
afterAll(async () => {
  await s3?.close();
  await rm(dir, { recursive: true, force: true });
  await rm(filesDir, { recursive: true, force: true });
});

/** Reads an object, changes its bytes, puts it back: the same on every store. */
async function tamper(store: ObjectStore, key: string, change: (bytes: Buffer) => Buffer): Promise<void> {
  const bytes = change(await readObject(store, key));
  await store.put(key, Readable.from([bytes]));
}

const run = promisify(execFile);

function marker(label: string): string {
  return `Zq${label}${randomBytes(4).toString('hex')}`;
}

async function person(s: CrmSession, name: string): Promise<string> {
  const res = await s.post('/api/v1/contacts', {
    firstName: name,
    lastName: `${name}Last`,
    emails: [`${name.toLowerCase()}@example.test`],
  });
  expect(res.statusCode, res.body).toBe(201);
  const id = res.json().id as string;
  expect((await s.post('/api/v1/notes', { contactId: id, body: `${name} note` })).statusCode).toBe(201);
  return id;
}

async function filesUnder(root: string): Promise<Buffer> {
  await access(root).catch(() => mkdir(root, { recursive: true }));
  const parts: Buffer[] = [];
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) parts.push(await readFile(path.join(entry.parentPath, entry.name)));
  }
  return Buffer.concat(parts);
}

/** Every byte of a database: the embedded data dir, or a pg_dump of the server database. */
async function databaseBytes(handle: DatabaseHandle): Promise<Buffer> {
  if (handle.dumpDataDir) return gunzipSync(Buffer.from(await (await handle.dumpDataDir()).arrayBuffer()));
  const name = (await sql<{ name: string }>`select current_database() as name`.execute(handle.db)).rows[0]!.name;
  const url = databaseUrl(inject('postgresUrl'), name);
  const { stdout } = await run('pg_dump', ['--data-only', '--no-owner', url!], { maxBuffer: 512 * 1024 * 1024, encoding: 'buffer' });
  return stdout;
}

/** A fresh, migrated database and the same master key: where a whole instance is restored to. */
async function freshTarget(
  ctx: BackupContext,
): Promise<{ handle: DatabaseHandle; keyring: Keyring; ctx: BackupContext; dispose(): Promise<void> }> {
  const bare = await openBareTestDatabase();
  const keyring = new Keyring(new LocalMasterKey(Buffer.from(t.masterKey, 'base64'), 'test master key'));
  registerKeyring(bare.handle.db, keyring);
  return { handle: bare.handle, keyring, ctx: { ...ctx, database: bare.handle, keyring }, dispose: bare.dispose };
}

describe.each(['dir', 's3'] as const)('backups on a %s target', (kind) => {
  let ctx: BackupContext;
  let root: string;
  beforeAll(() => {
    root = kind === 'dir' ? path.join(dir, 'target') : s3.directory;
    ctx = {
      config: t.config,
      database: t.handle,
      keyring: t.keyring,
      store: kind === 'dir' ? new DirectoryStore(root) : new S3Store(s3.settings, s3.bucket, 'custodia'),
      filesStore: openObjectStore(t.config.files.store, t.config.s3),
    };
  });

  describe('a whole-instance backup', () => {
    it('restores into an empty database without the person erased after it, and the audit trail still verifies', async () => {
      const s = await crmSession(t);
      const a = marker('Alice');
      const b = marker('Bob');
      const aId = await person(s, a);
      const bId = await person(s, b);
      const closing = await crmSession(t);
      await person(closing, marker('Closing'));

      const backup = await createBackup(ctx);
      expect(backup.id).toMatch(/^\d{8}T\d{6}Z-[0-9a-f]{6}$/);
      expect(backup.keyBackupId).toBeDefined();
      expect((await listBackups(ctx)).map((x) => x.id)).toContain(backup.id);
      expect(await verifyBackup(ctx, backup.id, { full: true })).toMatchObject({ ok: true, full: true, restoredRows: expect.any(Number) });

      expect((await s.post(`/api/v1/contacts/${aId}/erase`, {})).statusCode).toBe(200);
      // A tenant terminated after the backup: its keys are destroyed, and it must not come back either.
      await terminateTenant(t.handle.db, { ...t.config, keyring: t.keyring }, closing.tt.tenant.slug);
      // The server ships tombstones periodically and at shutdown (H2's job); the key backup predates the erasure.
      expect((await shipTombstones(ctx)).shipped).toBeGreaterThanOrEqual(1);

      // Neither person's plaintext is anywhere in the backup target.
      const stored = await filesUnder(root);
      expect(stored.includes(Buffer.from(a))).toBe(false);
      expect(stored.includes(Buffer.from(b))).toBe(false);
      expect(stored.includes(Buffer.from('"scope": "instance"'))).toBe(true); // the search is real: it reads the manifest

      const target = await freshTarget(ctx);
      try {
        const report = await restoreBackup(target.ctx, backup.id);
        expect(report.scope).toBe('instance');
        expect(report.tenantSlugs).toContain(s.tt.tenant.slug);
        expect(report.tenantSlugs).not.toContain(closing.tt.tenant.slug);
        expect(report.erasedReapplied).toBeGreaterThanOrEqual(1);

        const app = await buildServer({ config: t.config, database: target.handle, keyring: target.keyring, logger: false });
        try {
          const token = await signInAdmin(app, s.tt);
          const headers = { authorization: `Bearer ${token}` };
          const readB = await app.inject({ url: `/api/v1/contacts/${bId}`, headers });
          expect(readB.statusCode, readB.body).toBe(200);
          expect(readB.json().firstName).toBe(b);
          expect((await app.inject({ url: `/api/v1/contacts/${aId}`, headers })).statusCode).toBe(404);
          const list = await app.inject({ url: `/api/v1/contacts?limit=100`, headers });
          expect(list.body.includes(a)).toBe(false);
        } finally {
          await app.close();
        }
        const trail = await verifyTenant(target.handle.db, target.keyring, s.tt.tenant.id);
        expect(trail.ok, JSON.stringify(trail.problems)).toBe(true);

        // A byte search of the restored database: the slug is there in clear, neither person's name is.
        const bytes = await databaseBytes(target.handle);
        expect(bytes.includes(Buffer.from(s.tt.tenant.slug))).toBe(true);
        expect(bytes.includes(Buffer.from(a))).toBe(false);
        expect(bytes.includes(Buffer.from(b))).toBe(false);
      } finally {
        await target.dispose();
      }
    }, 120_000); // a full verify restores into a scratch database: a fresh one takes seconds to make

    it('is refused by restore into a database that has tenants', async () => {
      await crmSession(t);
      const backup = await createBackup(ctx);
      await expect(restoreBackup(ctx, backup.id)).rejects.toMatchObject({ code: 'backup_target_not_empty' });
    });
  });

  describe('a corrupt backup', () => {
    const tableKey = (id: string) => `backups/${id}/tables/contacts.bin`;

    it('with one flipped byte is refused by verify and by restore, naming the object', async () => {
      const s = await crmSession(t);
      await person(s, marker('Flip'));
      const backup = await createBackup(ctx, { tenantSlug: s.tt.tenant.slug });
      await tamper(ctx.store, tableKey(backup.id), (bytes) => {
        bytes[Math.floor(bytes.length / 2)]! ^= 0x01;
        return bytes;
      });
      const report = await verifyBackup(ctx, backup.id);
      expect(report.ok).toBe(false);
      expect(report.problem).toContain('contacts.bin');
      expect(report.problem).toContain('SHA-256');
      const before = await t.handle.db.selectFrom('contacts').select('id').where('tenant_id', '=', s.tt.tenant.id).execute();
      await expect(restoreBackup(ctx, backup.id, { tenantSlug: s.tt.tenant.slug })).rejects.toMatchObject({ code: 'backup_corrupt' });
      expect(await t.handle.db.selectFrom('contacts').select('id').where('tenant_id', '=', s.tt.tenant.id).execute()).toEqual(before);
    });

    it('truncated is refused by verify', async () => {
      const s = await crmSession(t);
      await person(s, marker('Trunc'));
      const backup = await createBackup(ctx, { tenantSlug: s.tt.tenant.slug });
      await tamper(ctx.store, tableKey(backup.id), (bytes) => bytes.subarray(0, bytes.length - 10));
      const report = await verifyBackup(ctx, backup.id);
      expect(report).toMatchObject({ ok: false });
      expect(report.problem).toContain('truncated');
    });

    it('with a changed manifest is refused', async () => {
      const s = await crmSession(t);
      const backup = await createBackup(ctx, { tenantSlug: s.tt.tenant.slug });
      await tamper(ctx.store, `backups/${backup.id}/manifest.json`, (bytes) => {
        const manifest = JSON.parse(bytes.toString('utf8'));
        manifest.tables[0].rows += 1;
        return Buffer.from(JSON.stringify(manifest));
      });
      expect((await verifyBackup(ctx, backup.id)).problem).toContain('signature');
    });
  });

  describe('a backup that fails half-way', () => {
    it('leaves none of its objects behind', async () => {
      const s = await crmSession(t);
      await person(s, marker('Half'));
      const keys = async () => {
        const out: string[] = [];
        for await (const o of ctx.store.list('backups/')) out.push(o.key);
        return out;
      };
      const before = await keys();
      const failing: ObjectStore = {
        description: ctx.store.description,
        list: (prefix) => ctx.store.list(prefix),
        head: (key) => ctx.store.head(key),
        get: (key, range) => ctx.store.get(key, range),
        delete: (key) => ctx.store.delete(key),
        put: async (key, body) => {
          if (key.endsWith('/tables/notes.bin')) {
            body.destroy();
            throw new Error('disk full');
          }
          return ctx.store.put(key, body);
        },
      };
      await expect(createBackup({ ...ctx, store: failing }, { tenantSlug: s.tt.tenant.slug })).rejects.toThrow('disk full');
      expect(await keys()).toEqual(before);
    });
  });

  describe('a backup from a newer Custodia', () => {
    it('is refused by restore, naming the migration it needs', async () => {
      const s = await crmSession(t);
      const backup = await createBackup(ctx, { tenantSlug: s.tt.tenant.slug });
      const key = `backups/${backup.id}/manifest.json`;
      const manifest = JSON.parse((await readObject(ctx.store, key)).toString('utf8'));
      const dataKey = await t.keyring.master.unwrap(Buffer.from(manifest.wrappedDataKey, 'base64'), `backup|${backup.id}`);
      manifest.migration = '9999_from_the_future';
      manifest.signature = manifestSignature(dataKey, manifest);
      await ctx.store.put(key, Readable.from([Buffer.from(JSON.stringify(manifest))]));
      expect((await verifyBackup(ctx, backup.id)).ok).toBe(true);
      await expect(restoreBackup(ctx, backup.id, { tenantSlug: s.tt.tenant.slug })).rejects.toMatchObject({
        code: 'backup_too_new',
        message: expect.stringContaining('9999_from_the_future'),
      });
    });
  });

  describe('the master key', () => {
    it('that did not make the backup is refused, naming both key ids', async () => {
      const s = await crmSession(t);
      const backup = await createBackup(ctx, { tenantSlug: s.tt.tenant.slug });
      const other = new Keyring(new LocalMasterKey(randomBytes(32), 'another key'));
      const report = await verifyBackup({ ...ctx, keyring: other }, backup.id);
      expect(report.ok).toBe(false);
      expect(report.problem).toContain(t.keyring.master.keyId);
      expect(report.problem).toContain(other.master.keyId);
      await expect(restoreBackup({ ...ctx, keyring: other }, backup.id)).rejects.toMatchObject({ code: 'backup_master_key_mismatch' });
    });
  });

  describe('a tenant restore', () => {
    it('replaces that tenant’s rows, leaves another tenant untouched and does not bring back a person erased since', async () => {
      const s = await crmSession(t);
      const other = await crmSession(t);
      const a = marker('Ann');
      const b = marker('Ben');
      const aId = await person(s, a);
      const bId = await person(s, b);
      const otherId = await person(other, marker('Other'));
      const backup = await createBackup(ctx, { tenantSlug: s.tt.tenant.slug });

      expect((await s.post(`/api/v1/contacts/${aId}/erase`, {})).statusCode).toBe(200);
      // Changes after the backup: B renamed, a new contact; the other tenant changes too.
      expect((await s.patch(`/api/v1/contacts/${bId}`, { firstName: 'Renamed' })).statusCode).toBe(200);
      const newId = await person(s, marker('New'));
      const otherNewId = await person(other, marker('OtherNew'));
      const otherBefore = await other.get('/api/v1/contacts?limit=100');

      const report = await restoreBackup(ctx, backup.id, { tenantSlug: s.tt.tenant.slug });
      expect(report.scope).toBe('tenant');
      // The admin's session outlives the restore (the cache aside): sessions are set aside and put back for users still there.
      const sessions = await t.handle.db.selectFrom('sessions').select('id').where('tenant_id', '=', s.tt.tenant.id).execute();
      expect(sessions.length).toBeGreaterThan(0);

      expect((await s.get(`/api/v1/contacts/${aId}`)).statusCode).toBe(404);
      const readB = await s.get(`/api/v1/contacts/${bId}`);
      expect(readB.statusCode).toBe(200);
      expect(readB.json().firstName).toBe(b);
      expect((await s.get(`/api/v1/contacts/${newId}`)).statusCode).toBe(404);
      expect((await other.get(`/api/v1/contacts/${otherId}`)).statusCode).toBe(200);
      expect((await other.get(`/api/v1/contacts/${otherNewId}`)).statusCode).toBe(200);
      expect((await other.get('/api/v1/contacts?limit=100')).body).toBe(otherBefore.body);
      const trail = await verifyTenant(t.handle.db, t.keyring, s.tt.tenant.id);
      expect(trail.ok, JSON.stringify(trail.problems)).toBe(true);
    });
  });

  describe('a tenant round trip', () => {
    it('brings back every record type of the tenant exactly as it was, and its audit trail verifies', async () => {
      const s = await crmSession(t);
      const ok = async (res: Promise<{ statusCode: number; body: string; json(): unknown }>) => {
        const r = await res;
        expect(r.statusCode, r.body).toBeLessThan(300);
        return r.json() as { id: string; [k: string]: unknown };
      };
      const org = await ok(s.post('/api/v1/organizations', { name: `Org ${marker('O')}` }));
      const contact = await ok(
        s.post('/api/v1/contacts', {
          firstName: marker('C'),
          lastName: 'Person',
          emails: ['c@example.test'],
          phones: ['+31 20 1234567'],
          organizationId: org.id,
        }),
      );
      const lead = await ok(
        s.post('/api/v1/leads', { firstName: marker('L'), lastName: 'Lead', emails: ['l@example.test'], company: 'Lead BV' }),
      );
      await ok(s.post(`/api/v1/leads/${lead.id}/convert`, {}));
      await ok(s.post('/api/v1/leads', { firstName: marker('L2'), lastName: 'Open', emails: ['l2@example.test'] }));
      await ok(s.post('/api/v1/custom-fields', { module: 'deals', key: 'seats', label: 'Seats', type: 'number' }));
      const deal = await ok(s.post('/api/v1/deals', { title: 'Big deal', amount: 1250, currency: 'EUR', organizationId: org.id }));
      await ok(s.post('/api/v1/activities', { type: 'meeting', subject: 'Kick-off', dueAt: '2026-12-24T10:00:00Z' }));
      await ok(s.post('/api/v1/notes', { body: 'about the deal', dealId: deal.id }));
      await ok(s.post('/api/v1/notes', { body: 'about the contact', contactId: contact.id }));
      await ok(
        s.post('/api/v1/email-messages', {
          direction: 'outbound',
          from: 'Sam <sam@seller.example>',
          to: ['c@example.test'],
          subject: 'Quote',
          body: 'Hello',
          sentAt: '2025-03-01T09:30:00Z',
          contactId: contact.id,
        }),
      );
      const purpose = await ok(
        s.post('/api/v1/privacy/purposes', {
          name: 'Newsletter',
          lawfulBasis: 'consent',
          dataCategories: ['e-mail address'],
          retentionDays: 730,
          marketing: true,
          notice: { language: 'en', text: 'A monthly letter.' },
        }),
      );
      await ok(s.post(`/api/v1/contacts/${contact.id}/consents`, { purposeId: purpose.id, action: 'grant' }));
      await ok(s.post('/api/v1/privacy/requests', { type: 'access', contactId: contact.id, channel: 'email' }));
      await ok(s.post('/api/v1/privacy/legal-holds', { contactId: contact.id, reason: 'litigation' }));

      const tenantId = s.tt.tenant.id;
      // Every table of the tenant, row by row; the audit trail grows with every read, so it is checked by verifying it.
      const skip = new Set([
        'audit_entries',
        'audit_heads',
        'sessions',
        'mfa_challenges',
        'password_resets',
        'backup_runs',
        'security_events',
      ]);
      const snapshot = async () => {
        const tables = (
          await sql<{ table_name: string }>`select table_name from information_schema.columns
            where table_schema = current_schema() and column_name = 'tenant_id' order by table_name`.execute(t.handle.db)
        ).rows
          .map((r) => r.table_name)
          .filter((n) => !skip.has(n));
        const out: Record<string, unknown[]> = {};
        for (const table of tables) {
          const rows = await sql<Record<string, unknown>>`select * from ${sql.table(table)} where tenant_id = ${tenantId}`.execute(
            t.handle.db,
          );
          out[table] = rows.rows.map((r) => JSON.stringify(r)).sort();
        }
        return out;
      };
      const before = await snapshot();
      expect(before.contacts!.length).toBe(2);
      expect(before.consent_events!.length).toBeGreaterThan(0);
      const backup = await createBackup(ctx, { tenantSlug: s.tt.tenant.slug });

      // Everything changes: records deleted, added, edited.
      expect((await s.del(`/api/v1/notes/${(await ok(s.post('/api/v1/notes', { body: 'x', dealId: deal.id }))).id}`)).statusCode).toBe(204);
      expect((await s.patch(`/api/v1/deals/${deal.id}`, { title: 'Changed' })).statusCode).toBe(200);
      await ok(s.post('/api/v1/organizations', { name: 'Added later' }));
      expect((await s.del(`/api/v1/organizations/${org.id}`)).statusCode).toBeLessThan(300);

      await restoreBackup(ctx, backup.id, { tenantSlug: s.tt.tenant.slug });
      expect(await snapshot()).toEqual(before);
      const trail = await verifyTenant(t.handle.db, t.keyring, tenantId);
      expect(trail.ok, JSON.stringify(trail.problems)).toBe(true);
      const read = await s.get(`/api/v1/deals/${deal.id}`);
      expect(read.json().title).toBe('Big deal');
    });
  });

  describe('one tenant from an instance backup', () => {
    it('is restored into the running instance, the other tenants untouched', async () => {
      const s = await crmSession(t);
      const other = await crmSession(t);
      const id = await person(s, marker('Inst'));
      const otherId = await person(other, marker('InstOther'));
      const backup = await createBackup(ctx);
      expect((await s.del(`/api/v1/contacts/${id}`)).statusCode).toBe(204);
      expect((await other.patch(`/api/v1/contacts/${otherId}`, { firstName: 'Changed' })).statusCode).toBe(200);
      const report = await restoreBackup(ctx, backup.id, { tenantSlug: s.tt.tenant.slug });
      expect(report).toMatchObject({ scope: 'tenant', tenantSlugs: [s.tt.tenant.slug] });
      expect((await s.get(`/api/v1/contacts/${id}`)).statusCode).toBe(200);
      expect((await other.get(`/api/v1/contacts/${otherId}`)).json().firstName).toBe('Changed');
      await expect(restoreBackup(ctx, backup.id, { tenantSlug: 'no-such-tenant' })).rejects.toMatchObject({
        code: 'backup_tenant_not_found',
      });
    });
  });

  describe('a tenant restore that fails half-way', () => {
    it('leaves the tenant as it was: one transaction', async () => {
      const s = await crmSession(t);
      const before = await person(s, marker('Before'));
      const backup = await createBackup(ctx, { tenantSlug: s.tt.tenant.slug });
      const after = await person(s, marker('After'));
      // The store fails when the restore reads the notes, after the checks passed and contacts went in.
      let reads = 0;
      const flaky: ObjectStore = {
        ...ctx.store,
        description: ctx.store.description,
        list: (prefix) => ctx.store.list(prefix),
        head: (key) => ctx.store.head(key),
        put: (key, body) => ctx.store.put(key, body),
        delete: (key) => ctx.store.delete(key),
        get: async (key, range) => {
          if (key.endsWith('/tables/notes.bin') && ++reads === 2) throw new Error('connection reset');
          return ctx.store.get(key, range);
        },
      };
      await expect(restoreBackup({ ...ctx, store: flaky }, backup.id, { tenantSlug: s.tt.tenant.slug })).rejects.toThrow(
        'connection reset',
      );
      expect((await s.get(`/api/v1/contacts/${before}`)).statusCode).toBe(200);
      expect((await s.get(`/api/v1/contacts/${after}`)).statusCode).toBe(200);
      const notes = await s.get(`/api/v1/notes?contactId=${after}`);
      expect(notes.statusCode).toBe(200);
      expect(notes.json().items).toHaveLength(1);
    });
  });

  describe('a backup taken while writes go on', () => {
    // On PGlite a backup reads from a copy of the data dir, or (large databases) in one transaction.
    it.each([
      ['copy', undefined],
      ['transaction', 0],
    ] as const)(
      'restores to one consistent moment (%s): two deals a transfer moves money between still sum to the same',
      async (_how, copyMax) => {
        const s = await crmSession(t);
        const deal = async (title: string) => {
          const res = await s.post('/api/v1/deals', { title, amount: 1_000_000, currency: 'EUR' });
          expect(res.statusCode, res.body).toBe(201);
          return res.json().id as string;
        };
        const [from, to] = [await deal('From'), await deal('To')];
        const tenantId = s.tt.tenant.id;
        const amounts = async () =>
          (
            await t.handle.db
              .selectFrom('deals')
              .select(['id', 'amount_minor'])
              .where('tenant_id', '=', tenantId)
              .where('id', 'in', [from, to])
              .execute()
          ).reduce((sum, d) => sum + d.amount_minor, 0);
        const total = await amounts();
        let stop = false;
        let transfers = 0;
        const writer = (async () => {
          while (!stop) {
            await t.handle.db.transaction().execute(async (trx) => {
              await sql`update deals set amount_minor = amount_minor - 1 where tenant_id = ${tenantId} and id = ${from}`.execute(trx);
              await new Promise((resolve) => setTimeout(resolve, 2));
              await sql`update deals set amount_minor = amount_minor + 1 where tenant_id = ${tenantId} and id = ${to}`.execute(trx);
            });
            transfers++;
          }
        })();
        const startedAt = transfers;
        const backup = await createBackup(
          { ...ctx, ...(copyMax !== undefined ? { pgliteCopyMaxBytes: copyMax } : {}) },
          { tenantSlug: s.tt.tenant.slug },
        );
        const during = transfers - startedAt;
        stop = true;
        await writer;
        expect(during).toBeGreaterThan(0);
        await restoreBackup(ctx, backup.id, { tenantSlug: s.tt.tenant.slug });
        expect(await amounts()).toBe(total);
      },
    );
  });

  describe('file contents', () => {
    it('are backed up, and a restore puts back only those of files still there after erasures', async () => {
      const s = await crmSession(t);
      const keep = await person(s, marker('FileKeep'));
      const gone = await person(s, marker('FileGone'));
      const bytes = (label: string) => Buffer.from(`%PDF-1.4 ${label} ${randomBytes(2000).toString('hex')}`);
      const upload = async (contactId: string, content: Buffer) => {
        const body = multipartBody([
          { field: 'contactId', value: contactId },
          { file: content, filename: 'a.pdf', contentType: 'application/pdf' },
        ]);
        const res = await t.app.inject({
          method: 'POST',
          url: '/api/v1/files',
          headers: { authorization: `Bearer ${s.token}`, ...body.headers },
          payload: body.payload,
        });
        expect(res.statusCode, res.body).toBe(201);
        return res.json().id as string;
      };
      const kept = bytes('kept');
      const keptId = await upload(keep, kept);
      await upload(gone, bytes('gone'));
      const blobs = async () => {
        const keys: string[] = [];
        for await (const o of ctx.filesStore.list(`tenants/${s.tt.tenant.id}/`)) keys.push(o.key);
        return keys;
      };
      // A blob swept from the files store before the backup reads it does not fail the backup.
      const swept = await upload(keep, bytes('swept'));
      const { blob_key: sweptKey } = await t.handle.db
        .selectFrom('file_versions')
        .select('blob_key')
        .where('tenant_id', '=', s.tt.tenant.id)
        .where('file_id', '=', swept)
        .executeTakeFirstOrThrow();
      await ctx.filesStore.delete(`tenants/${s.tt.tenant.id}/${sweptKey!}`);
      const backup = await createBackup(ctx, { tenantSlug: s.tt.tenant.slug });
      const manifest = JSON.parse((await readObject(ctx.store, `backups/${backup.id}/manifest.json`)).toString('utf8'));
      expect(manifest.blobs).toHaveLength(2);

      expect((await s.post(`/api/v1/contacts/${gone}/erase`, {})).statusCode).toBe(200);
      await shipTombstones(ctx);
      // Both blobs lost from the files store.
      for (const key of await blobs()) await ctx.filesStore.delete(key);

      const report = await restoreBackup(ctx, backup.id, { tenantSlug: s.tt.tenant.slug });
      expect(report.blobs).toBe(1);
      expect(await blobs()).toHaveLength(1);
      const content = await t.app.inject({ url: `/api/v1/files/${keptId}/content`, headers: { authorization: `Bearer ${s.token}` } });
      expect(content.statusCode).toBe(200);
      expect(content.rawPayload.equals(kept)).toBe(true);
    });
  });

  describe('key backups and tombstones', () => {
    it('ships a signed tombstone per erased person and keeps the newest key backup', async () => {
      const s = await crmSession(t);
      const id = await person(s, marker('Tomb'));
      const { subject_id: subjectId } = await t.handle.db
        .selectFrom('contacts')
        .select('subject_id')
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      expect((await s.post(`/api/v1/contacts/${id}/erase`, {})).statusCode).toBe(200);
      const shipped = await shipTombstones(ctx);
      expect(shipped.shipped).toBeGreaterThanOrEqual(1);
      const tombstones: string[] = [];
      for await (const o of ctx.store.list(`tombstones/${s.tt.tenant.id}/`)) tombstones.push(o.key);
      expect(tombstones).toEqual([`tombstones/${s.tt.tenant.id}/${subjectId}.json`]);
      const backup = await createBackup(ctx, { tenantSlug: s.tt.tenant.slug });
      // A forged or changed tombstone is refused, not applied nor ignored.
      await tamper(ctx.store, tombstones[0]!, (bytes) =>
        Buffer.from(bytes.toString('utf8').replace(/"erasedAt":"[^"]+"/, '"erasedAt":"2000-01-01T00:00:00.000Z"')),
      );
      await expect(restoreBackup(ctx, backup.id, { tenantSlug: s.tt.tenant.slug })).rejects.toMatchObject({
        code: 'backup_corrupt',
        message: expect.stringContaining('fails its signature check'),
      });
      // Shipping again writes it afresh (the minute of overlap), so the target is whole for other tests.
      await shipTombstones(ctx);
      const first = await backupKeys(ctx);
      const later = await backupKeys({ ...ctx, now: () => new Date(Date.now() + 30 * 86_400_000) });
      const keys = await listBackups(ctx, { keys: true });
      expect(keys.map((k) => k.id)).toContain(later.id);
      expect(keys.map((k) => k.id)).not.toContain(first.id);
      await deleteBackup(ctx, later.id);
    });
  });
});
