import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { crmSession, type CrmSession } from '../../test/crm.js';
import { useTestServer } from '../../test/server.js';
import { DirectoryStore } from '../storage/dir-store.js';
import { purgeTenant } from '../tenants/tenant-purge.js';
import { terminateTenant } from '../tenants/tenants.service.js';
import { runVersionTiers, sweepOrphanBlobs, versionsToExpire } from './files.jobs.js';
import { multipartBody } from './multipart.test-helpers.js';

// Files and the person's rights: the access package carries them, erasure
// makes every version unreadable and gone, legal holds keep versions from the
// tiers, and the orphan job removes what no row names.

const filesDir = mkdtempSync(path.join(tmpdir(), 'custodia-files-privacy-'));
const t = useTestServer({ CUSTODIA_FILES_DIR: filesDir });
const store = new DirectoryStore(filesDir);
const DAY = 24 * 60 * 60 * 1000;

function upload(s: CrmSession, parts: Parameters<typeof multipartBody>[0], url = '/api/v1/files') {
  const body = multipartBody(parts);
  return t.app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${s.token}`, ...body.headers }, payload: body.payload });
}

async function blobsOf(tenantId: string): Promise<string[]> {
  const dir = path.join(filesDir, 'tenants', tenantId);
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => path.join(dir, e.name));
}

/** The entries of a zip, read through its central directory (as access-package.test.ts reads them). */
function unzip(zip: Buffer): Map<string, Buffer> {
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const count = zip.readUInt16LE(eocd + 10);
  let at = zip.readUInt32LE(eocd + 16);
  const files = new Map<string, Buffer>();
  for (let i = 0; i < count; i++) {
    const method = zip.readUInt16LE(at + 10);
    const compressed = zip.readUInt32LE(at + 20);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    const local = zip.readUInt32LE(at + 42);
    const name = zip.subarray(at + 46, at + 46 + nameLength).toString('utf8');
    const dataStart = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const data = zip.subarray(dataStart, dataStart + compressed);
    files.set(name, method === 8 ? inflateRawSync(data) : Buffer.from(data));
    at += 46 + nameLength + extraLength + commentLength;
  }
  return files;
}

async function personWithFile(s: CrmSession, marker: string) {
  const contact = (await s.post('/api/v1/contacts', { firstName: marker, lastName: 'Filed' })).json<{ id: string; subjectId: string }>();
  const first = Buffer.from(`%PDF-1.4\n${marker} first version\n`);
  const file = (
    await upload(s, [
      { field: 'contactId', value: contact.id },
      { file: first, filename: `${marker}.pdf` },
    ])
  ).json<{ id: string }>();
  const second = Buffer.from(`%PDF-1.4\n${marker} second version\n`);
  expect((await upload(s, [{ file: second, filename: 'x.pdf' }], `/api/v1/files/${file.id}/versions`)).statusCode).toBe(201);
  return { contact, file, first, second };
}

describe('files and the person', () => {
  it('are in the person’s access package: every version’s metadata, the current content in the zip', async () => {
    const s = await crmSession(t);
    const marker = `Pkg${randomBytes(4).toString('hex')}`;
    const { contact, file, second } = await personWithFile(s, marker);
    const opened = (await s.post('/api/v1/privacy/requests', { type: 'access', contactId: contact.id, channel: 'email' })).json();
    expect((await s.post(`/api/v1/privacy/requests/${opened.id}/verify`, { method: 'id_document' })).statusCode).toBe(200);
    const json = await t.app.inject({
      url: `/api/v1/privacy/requests/${opened.id}/export`,
      headers: { authorization: `Bearer ${s.token}`, accept: 'application/json' },
    });
    expect(json.statusCode, json.body).toBe(200);
    const pkg = json.json();
    expect(pkg.files).toEqual([
      expect.objectContaining({
        id: file.id,
        name: `${marker}.pdf`,
        currentVersion: 2,
        contactId: contact.id,
        versions: [expect.objectContaining({ version: 2, expired: false }), expect.objectContaining({ version: 1 })],
      }),
    ]);
    const zip = await t.app.inject({
      url: `/api/v1/privacy/requests/${opened.id}/export`,
      headers: { authorization: `Bearer ${s.token}` },
    });
    expect(zip.statusCode).toBe(200);
    const entries = unzip(zip.rawPayload);
    expect(entries.get(`files/${file.id}/${marker}.pdf`)?.equals(second)).toBe(true);
    expect(entries.get('files/files.csv')!.toString('utf8')).toContain(pkg.files[0].versions[1].checksum);
  });

  it('erasure makes every version unreadable: the API answers 404, the rows are gone, the orphan job removes the blobs', async () => {
    const s = await crmSession(t);
    const marker = `Erase${randomBytes(4).toString('hex')}`;
    const { contact, file } = await personWithFile(s, marker);
    const blobs = await blobsOf(s.tt.tenant.id);
    expect(blobs).toHaveLength(2);
    expect((await s.post(`/api/v1/contacts/${contact.id}/erase`, {})).statusCode).toBe(200);
    for (const url of [
      `/api/v1/files/${file.id}`,
      `/api/v1/files/${file.id}/content?version=1`,
      `/api/v1/files/${file.id}/content?version=2`,
    ])
      expect((await s.get(url)).statusCode, url).toBe(404);
    expect(await t.handle.db.selectFrom('files').select('id').where('id', '=', file.id).execute()).toEqual([]);
    expect(await t.handle.db.selectFrom('file_versions').select('version').where('file_id', '=', file.id).execute()).toEqual([]);
    // The person's key is shredded: no stored copy of a version can be decrypted, and none holds the marker.
    const subject = await t.handle.db
      .selectFrom('subjects')
      .select('erased_at')
      .where('id', '=', contact.subjectId)
      .executeTakeFirstOrThrow();
    expect(subject.erased_at).not.toBeNull();
    for (const blob of blobs) expect((await readFile(blob)).includes(Buffer.from(marker))).toBe(false);
    // Too young for the orphan job now (could be an upload in flight); gone an hour later.
    expect((await sweepOrphanBlobs({ db: t.handle.db, store })).deleted).toBe(0);
    const sweep = await sweepOrphanBlobs({ db: t.handle.db, store }, new Date(Date.now() + 2 * 60 * 60 * 1000));
    expect(sweep.deleted).toBeGreaterThanOrEqual(2);
    expect(await blobsOf(s.tt.tenant.id)).toEqual([]);
  });

  it('a file on an activity about a person is theirs: under their key, and erased with them', async () => {
    const s = await crmSession(t);
    const contact = (await s.post('/api/v1/contacts', { firstName: 'Activity', lastName: 'Person' })).json();
    const activity = (
      await s.post('/api/v1/activities', { type: 'call', subject: 'Call about the contract', contactId: contact.id })
    ).json();
    const made = await upload(s, [
      { field: 'activityId', value: activity.id },
      { file: Buffer.from('minutes of the call'), filename: 'minutes.txt' },
    ]);
    expect(made.statusCode, made.body).toBe(201);
    const file = made.json();
    const row = await t.handle.db.selectFrom('files').select('subject_id').where('id', '=', file.id).executeTakeFirstOrThrow();
    expect(row.subject_id).toBe(contact.subjectId);
    expect((await s.get(`/api/v1/files?activityId=${activity.id}`)).json().items).toHaveLength(1);
    expect((await s.post(`/api/v1/contacts/${contact.id}/erase`, {})).statusCode).toBe(200);
    expect((await s.get(`/api/v1/files/${file.id}/content`)).statusCode).toBe(404);
    expect(await t.handle.db.selectFrom('files').select('id').where('id', '=', file.id).execute()).toEqual([]);
  });

  it('a purged tenant’s rows go with the purge and its blobs with the orphan job', async () => {
    const s = await crmSession(t);
    await personWithFile(s, `Purge${randomBytes(3).toString('hex')}`);
    expect(await blobsOf(s.tt.tenant.id)).toHaveLength(2);
    await terminateTenant(t.handle.db, { ...t.config, keyring: t.keyring }, s.tt.tenant.slug);
    const report = await purgeTenant(t.handle.db, t.keyring, s.tt.tenant.slug, { now: true });
    expect(report.deleted).toMatchObject({ files: 1, file_versions: 2 });
    await sweepOrphanBlobs({ db: t.handle.db, store }, new Date(Date.now() + 2 * 60 * 60 * 1000));
    expect(await blobsOf(s.tt.tenant.id)).toEqual([]);
  });

  it('the orphan job counts versions whose blob is missing, and leaves referenced blobs alone', async () => {
    const s = await crmSession(t);
    const org = (await s.post('/api/v1/organizations', { name: 'Orphans BV' })).json();
    const made = await upload(s, [
      { field: 'organizationId', value: org.id },
      { file: Buffer.from('kept'), filename: 'k.txt' },
    ]);
    expect(made.statusCode).toBe(201);
    const [blob] = await blobsOf(s.tt.tenant.id);
    const before = await sweepOrphanBlobs({ db: t.handle.db, store }, new Date(Date.now() + 2 * 60 * 60 * 1000));
    expect(await blobsOf(s.tt.tenant.id)).toEqual([blob]);
    await store.delete(`tenants/${s.tt.tenant.id}/${path.basename(blob!)}`);
    const after = await sweepOrphanBlobs({ db: t.handle.db, store }, new Date(Date.now() + 2 * 60 * 60 * 1000));
    expect(after.missing).toBe(before.missing + 1);
  });

  it('version tiers: every version for the first days, then the newest per day, then only the current one', () => {
    const now = new Date('2026-06-30T12:00:00Z');
    const at = (daysAgo: number, hour = 12) => new Date(now.getTime() - daysAgo * DAY + (hour - 12) * 3600_000);
    const versions = [
      { version: 7, created_at: at(1), blob_key: 'g' }, // current
      { version: 6, created_at: at(3), blob_key: 'f' }, // within 5 days: kept
      { version: 5, created_at: at(10, 15), blob_key: 'e' }, // newest of its day: kept
      { version: 4, created_at: at(10, 9), blob_key: 'd' }, // same day, older: expires
      { version: 3, created_at: at(50), blob_key: 'c' }, // newest of its day: kept
      { version: 2, created_at: at(120), blob_key: 'b' }, // past 100 days: expires
      { version: 1, created_at: at(200), blob_key: null }, // expired already
    ];
    expect(versionsToExpire(versions, 7, { allVersionsDays: 5, dailyVersionsDays: 100 }, now)).toEqual([4, 2]);
    // The current version never expires, however old.
    expect(
      versionsToExpire([{ version: 1, created_at: at(900), blob_key: 'a' }], 1, { allVersionsDays: 5, dailyVersionsDays: 100 }, now),
    ).toEqual([]);
  });

  it('the tiers job expires old versions (blob deleted, metadata kept), but keeps every version of a held person', async () => {
    const s = await crmSession(t);
    const free = await personWithFile(s, `Free${randomBytes(3).toString('hex')}`);
    const held = await personWithFile(s, `Held${randomBytes(3).toString('hex')}`);
    expect((await s.post('/api/v1/privacy/legal-holds', { contactId: held.contact.id, reason: 'litigation' })).statusCode).toBe(201);
    expect(await blobsOf(s.tt.tenant.id)).toHaveLength(4);
    const settings = { allVersionsDays: 5, dailyVersionsDays: 100 };
    const deps = { db: t.handle.db, keyring: t.keyring, store };

    // Three days on: nothing expires yet.
    expect((await runVersionTiers(deps, settings, new Date(Date.now() + 3 * DAY))).expired).toBe(0);
    // 101 days on: version 1 of the free person's file expires; the held person's does not.
    await runVersionTiers(deps, settings, new Date(Date.now() + 101 * DAY));
    const versions = (await s.get(`/api/v1/files/${free.file.id}/versions`)).json().items;
    expect(versions).toEqual([
      expect.objectContaining({ version: 2, expired: false, current: true }),
      expect.objectContaining({ version: 1, expired: true, size: free.first.length }),
    ]);
    const gone = await s.get(`/api/v1/files/${free.file.id}/content?version=1`);
    expect(gone.statusCode).toBe(409);
    expect(gone.json().code).toBe('version_expired');
    expect((await s.get(`/api/v1/files/${free.file.id}/content`)).rawPayload.equals(free.second)).toBe(true);
    expect((await s.post(`/api/v1/files/${free.file.id}/restore`, { version: 1 })).statusCode).toBe(409);
    const heldVersions = (await s.get(`/api/v1/files/${held.file.id}/versions`)).json().items;
    expect(heldVersions.every((v: { expired: boolean }) => !v.expired)).toBe(true);
    expect((await s.get(`/api/v1/files/${held.file.id}/content?version=1`)).rawPayload.equals(held.first)).toBe(true);
    expect(await blobsOf(s.tt.tenant.id)).toHaveLength(3);

    // A hold on a deal keeps the versions of the deal's files.
    const deal = (await s.post('/api/v1/deals', { title: 'Disputed', amount: 1000, currency: 'EUR' })).json();
    const dealFile = (
      await upload(s, [
        { field: 'dealId', value: deal.id },
        { file: Buffer.from('contract v1'), filename: 'contract.txt' },
      ])
    ).json();
    await upload(s, [{ file: Buffer.from('contract v2'), filename: 'contract.txt' }], `/api/v1/files/${dealFile.id}/versions`);
    expect((await s.post('/api/v1/privacy/legal-holds', { dealId: deal.id, reason: 'claim' })).statusCode).toBe(201);
    await runVersionTiers(deps, settings, new Date(Date.now() + 101 * DAY));
    const dealVersions = (await s.get(`/api/v1/files/${dealFile.id}/versions`)).json().items;
    expect(dealVersions.map((v: { expired: boolean }) => v.expired)).toEqual([false, false]);
  });
});
