import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { auditEntries, crmSession, memberSession, type CrmSession } from '../../test/crm.js';
import { useTestServer } from '../../test/server.js';
import { multipartBody } from './multipart.test-helpers.js';

// Files over HTTP: upload, versions, restore, download with ranges, the
// headers that keep a browser from running an upload, and who may see what.

const filesDir = mkdtempSync(path.join(tmpdir(), 'custodia-files-'));
const t = useTestServer({ CUSTODIA_FILES_DIR: filesDir });

const PDF = Buffer.concat([Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\n', 'latin1'), randomBytes(64)]);
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const run = promisify(execFile);

async function databaseBytes(): Promise<Buffer> {
  if (t.handle.dumpDataDir) return gunzipSync(Buffer.from(await (await t.handle.dumpDataDir()).arrayBuffer()));
  const { stdout } = await run('pg_dump', ['--data-only', '--no-owner', t.url!], { maxBuffer: 512 * 1024 * 1024, encoding: 'buffer' });
  return stdout;
}

function upload(s: CrmSession, parts: Parameters<typeof multipartBody>[0], url = '/api/v1/files') {
  const body = multipartBody(parts);
  return t.app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${s.token}`, ...body.headers }, payload: body.payload });
}

function download(s: CrmSession, url: string, headers: Record<string, string> = {}) {
  return t.app.inject({ url, headers: { authorization: `Bearer ${s.token}`, ...headers } });
}

async function contact(s: CrmSession, firstName = 'Filed') {
  const res = await s.post('/api/v1/contacts', { firstName, lastName: 'Person' });
  expect(res.statusCode, res.body).toBe(201);
  return res.json<{ id: string }>();
}

async function allFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) out.push(path.join(entry.parentPath, entry.name));
  }
  return out;
}

describe('files', () => {
  it('upload a PDF to a contact, a new version, restore the first: each version downloads byte-identical', async () => {
    const s = await crmSession(t);
    const c = await contact(s);
    const first = await upload(s, [
      { field: 'contactId', value: c.id },
      { file: PDF, filename: '../../etc/Quote 2026\u0007.pdf', contentType: 'image/png' },
    ]);
    expect(first.statusCode, first.body).toBe(201);
    const file = first.json();
    // The client's type is not believed, the path and control characters are gone.
    expect(file).toMatchObject({ name: 'Quote 2026.pdf', size: PDF.length, contentType: 'application/pdf', version: 1, contactId: c.id });

    const second = Buffer.from('plain text, second version\n');
    const v2 = await upload(s, [{ file: second, filename: 'ignored.txt' }], `/api/v1/files/${file.id}/versions`);
    expect(v2.statusCode, v2.body).toBe(201);
    expect(v2.json()).toMatchObject({ version: 2, size: second.length, contentType: 'text/plain', checksum: sha(second), current: true });

    const restored = await s.post(`/api/v1/files/${file.id}/restore`, { version: 1 });
    expect(restored.statusCode, restored.body).toBe(201);
    expect(restored.json()).toMatchObject({ version: 3, restoredFrom: 1, checksum: sha(PDF), contentType: 'application/pdf' });

    const versions = (await s.get(`/api/v1/files/${file.id}/versions`)).json().items;
    expect(versions.map((v: { version: number }) => v.version)).toEqual([3, 2, 1]);
    expect(versions[2]).toMatchObject({ checksum: sha(PDF), expired: false, createdBy: { id: s.tt.admin.id, name: s.tt.admin.name } });

    for (const [n, bytes] of [
      [1, PDF],
      [2, second],
      [3, PDF],
    ] as const) {
      const res = await download(s, `/api/v1/files/${file.id}/content?version=${n}`);
      expect(res.statusCode).toBe(200);
      expect(res.rawPayload.equals(bytes)).toBe(true);
    }
    const current = await download(s, `/api/v1/files/${file.id}/content`);
    expect(current.rawPayload.equals(PDF)).toBe(true);
    expect(current.headers['content-type']).toBe('application/pdf');
    expect(current.headers['content-disposition']).toBe(`attachment; filename="Quote 2026.pdf"; filename*=UTF-8''Quote%202026.pdf`);
    expect(current.headers['x-content-type-options']).toBe('nosniff');
    expect(current.headers['content-security-policy']).toContain('sandbox');
    expect(current.headers['accept-ranges']).toBe('bytes');
    expect(current.headers['content-length']).toBe(String(PDF.length));
    expect(current.headers.etag).toBe(`"${file.id}.3"`);
    const inline = await download(s, `/api/v1/files/${file.id}/content?inline=1`);
    expect(inline.statusCode, inline.body.slice(0, 300)).toBe(200);
    expect(inline.headers['content-disposition']).toMatch(/^inline;/);
    // Chrome's PDF viewer does not start in a sandboxed document: an inline PDF may only be framed by the app.
    expect(inline.headers['content-security-policy']).toBe("frame-ancestors 'self'");
    expect(inline.headers['x-content-type-options']).toBe('nosniff');
    expect(inline.headers['content-type']).toBe('application/pdf');

    const list = (await s.get(`/api/v1/files?contactId=${c.id}`)).json();
    expect(list.items).toEqual([expect.objectContaining({ id: file.id, version: 3, name: 'Quote 2026.pdf' })]);

    // Every step is in the person's audit trail.
    const actions = (await auditEntries(s, `contactId=${c.id}`)).map((e) => e.action);
    for (const action of ['file.uploaded', 'file.version_uploaded', 'file.version_restored', 'file.downloaded', 'file.versions_listed'])
      expect(actions).toContain(action);
  });

  it('takes the record after the file as well as before it, and refuses a file without one', async () => {
    const s = await crmSession(t);
    const c = await contact(s);
    const after = await upload(s, [
      { file: Buffer.from('after'), filename: 'a.txt' },
      { field: 'contactId', value: c.id },
    ]);
    expect(after.statusCode, after.body).toBe(201);
    expect((await download(s, `/api/v1/files/${after.json().id}/content`)).body).toBe('after');
    const none = await upload(s, [{ file: Buffer.from('x'), filename: 'x.txt' }]);
    expect(none.statusCode).toBe(400);
    expect(none.json().code).toBe('invalid_upload');
    const two = await upload(s, [
      { field: 'contactId', value: c.id },
      { file: Buffer.from('1'), filename: '1.txt' },
      { file: Buffer.from('2'), filename: '2.txt' },
    ]);
    expect(two.statusCode).toBe(400);
  });

  it('serves HTML and other active content as opaque bytes, never inline as itself', async () => {
    const s = await crmSession(t);
    const c = await contact(s);
    const html = Buffer.from('<!doctype html><html><script>alert(document.cookie)</script></html>');
    const created = (
      await upload(s, [
        { field: 'contactId', value: c.id },
        { file: html, filename: 'x.html', contentType: 'text/html' },
      ])
    ).json();
    expect(created.contentType).toBe('text/plain');
    const res = await download(s, `/api/v1/files/${created.id}/content?inline=1`);
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-security-policy']).toContain('sandbox');
    const binary = Buffer.from([0x01, 0x02, 0x03, 0x80, 0x81, 0x00, 0x3c, 0x73, 0x76, 0x67, 0xc3]);
    const bin = (
      await upload(s, [
        { field: 'contactId', value: c.id },
        { file: binary, filename: 'x.svg', contentType: 'image/svg+xml' },
      ])
    ).json();
    expect(bin.contentType).toBe('application/octet-stream');
    const got = await download(s, `/api/v1/files/${bin.id}/content?inline=1`);
    expect(got.headers['content-type']).toBe('application/octet-stream');
    expect(got.headers['content-disposition']).toMatch(/^attachment;/);
  });

  it('answers one byte range with 206 and a bad one with 416', async () => {
    const s = await crmSession(t);
    const c = await contact(s);
    const bytes = randomBytes(200_000); // four chunks
    const file = (
      await upload(s, [
        { field: 'contactId', value: c.id },
        { file: bytes, filename: 'big.bin' },
      ])
    ).json();
    const url = `/api/v1/files/${file.id}/content`;
    for (const [header, start, end] of [
      ['bytes=0-9', 0, 9],
      ['bytes=65530-131080', 65530, 131080],
      ['bytes=199990-', 199990, 199999],
      ['bytes=-5', 199995, 199999],
      ['bytes=100-999999', 100, 199999],
    ] as const) {
      const res = await download(s, url, { range: header });
      expect(res.statusCode, header).toBe(206);
      expect(res.headers['content-range']).toBe(`bytes ${start}-${end}/200000`);
      expect(res.rawPayload.equals(bytes.subarray(start, end + 1)), header).toBe(true);
    }
    for (const header of ['bytes=200000-', 'bytes=5-1', 'bytes=0-1,5-6', 'items=0-1']) {
      const res = await download(s, url, { range: header });
      expect(res.statusCode, header).toBe(416);
      expect(res.json().code).toBe('range_not_satisfiable');
    }
  });

  it('a swapped or truncated chunk in the stored blob fails the download instead of sending garbage', async () => {
    const s = await crmSession(t);
    const c = await contact(s);
    const bytes = randomBytes(300_000);
    const file = (
      await upload(s, [
        { field: 'contactId', value: c.id },
        { file: bytes, filename: 'x.bin' },
      ])
    ).json();
    const [blob] = (await allFiles(path.join(filesDir, 'tenants', s.tt.tenant.id))).filter((f) => !f.endsWith('.partial'));
    const original = await readFile(blob!);
    const record = 64 * 1024 + 16;
    // Swap chunks 1 and 2.
    const swapped = Buffer.from(original);
    original.copy(swapped, 28 + record, 28 + 2 * record, 28 + 3 * record);
    original.copy(swapped, 28 + 2 * record, 28 + record, 28 + 2 * record);
    await writeFile(blob!, swapped);
    const res = await download(s, `/api/v1/files/${file.id}/content`).catch((error: unknown) => error);
    expect(res instanceof Error || (res as { rawPayload: Buffer }).rawPayload.length < bytes.length).toBe(true);
    // Damage in the first chunk is seen before anything is answered.
    const first = Buffer.from(original);
    first[40] = first[40]! ^ 1;
    await writeFile(blob!, first);
    const early = await download(s, `/api/v1/files/${file.id}/content`);
    expect(early.statusCode).toBe(503);
    expect(early.json().code).toBe('content_damaged');
    // Cut off after the third chunk: the last one is missing.
    await writeFile(blob!, original.subarray(0, 28 + 3 * record));
    const cut = await download(s, `/api/v1/files/${file.id}/content`).catch((error: unknown) => error);
    expect(cut instanceof Error || (cut as { rawPayload: Buffer }).rawPayload.length < bytes.length).toBe(true);
  });

  it('a marker inside an uploaded file is in neither the blob store nor the database', async () => {
    const s = await crmSession(t);
    const c = await contact(s);
    const marker = `Zqxj${randomBytes(6).toString('hex')}Marker`;
    const res = await upload(s, [
      { field: 'contactId', value: c.id },
      { file: Buffer.from(`top secret ${marker} text`), filename: `${marker}.txt` },
    ]);
    expect(res.statusCode).toBe(201);
    for (const file of await allFiles(filesDir)) expect((await readFile(file)).includes(marker), file).toBe(false);
    // The whole database, byte for byte (the embedded data dir, or a pg_dump of the server database).
    const bytes = await databaseBytes();
    expect(bytes.includes(Buffer.from(s.tt.tenant.slug))).toBe(true); // the search is real
    expect(bytes.includes(Buffer.from(marker))).toBe(false);
  });

  it('another tenant, a user who cannot see the contact and a profile without files get 404, 404 and 403', async () => {
    const s = await crmSession(t);
    const c = await contact(s);
    const file = (
      await upload(s, [
        { field: 'contactId', value: c.id },
        { file: Buffer.from('mine'), filename: 'm.txt' },
      ])
    ).json();
    const other = await crmSession(t);
    for (const url of [`/api/v1/files/${file.id}`, `/api/v1/files/${file.id}/content`, `/api/v1/files/${file.id}/versions`])
      expect((await other.get(url)).statusCode, url).toBe(404);
    expect((await other.get(`/api/v1/files?contactId=${c.id}`)).statusCode).toBe(404);
    expect((await other.post(`/api/v1/files/${file.id}/restore`, { version: 1 })).statusCode).toBe(404);
    expect((await other.del(`/api/v1/files/${file.id}`)).statusCode).toBe(404);

    // Private contacts: a member in a sibling role does not see the admin's contact, nor its files.
    const sharing = (contacts: string) =>
      t.app.inject({
        method: 'PUT',
        url: '/api/v1/sharing/defaults',
        headers: { authorization: `Bearer ${s.token}` },
        payload: { contacts, activities: contacts },
      });
    // A file on the admin's activity, too: activities have owners like the other parents.
    const activity = (await s.post('/api/v1/activities', { type: 'task', subject: 'Send the quote' })).json();
    const onActivity = await upload(s, [
      { field: 'activityId', value: activity.id },
      { file: Buffer.from('task file'), filename: 't.txt' },
    ]);
    expect(onActivity.statusCode, onActivity.body).toBe(201);
    expect((await sharing('private')).statusCode).toBe(200);
    const role = (await s.post('/api/v1/roles', { name: `R-${randomBytes(3).toString('hex')}` })).json();
    const member = await memberSession(t, s, { roleId: role.id });
    expect((await member.get(`/api/v1/contacts/${c.id}`)).statusCode).toBe(404);
    expect((await member.get(`/api/v1/files/${file.id}`)).statusCode).toBe(404);
    expect((await member.get(`/api/v1/files/${file.id}/content`)).statusCode).toBe(404);
    expect((await member.get('/api/v1/files')).json().items).toEqual([]);
    expect((await member.get(`/api/v1/files/${onActivity.json().id}`)).statusCode).toBe(404);
    expect((await sharing('public_write')).statusCode).toBe(200);
    // Shared again: the member sees both.
    expect((await member.get('/api/v1/files')).json().items).toHaveLength(2);

    const profile = (
      await s.post('/api/v1/profiles', {
        name: `NoFiles-${randomBytes(3).toString('hex')}`,
        permissions: { contacts: { view: true, create: true, edit: true, delete: true, export: false } },
      })
    ).json();
    const noFiles = await memberSession(t, s, { profileId: profile.id });
    expect((await noFiles.get(`/api/v1/contacts/${c.id}`)).statusCode).toBe(200);
    expect((await noFiles.get(`/api/v1/files/${file.id}/content`)).statusCode).toBe(403);
    expect(
      (
        await upload(noFiles, [
          { field: 'contactId', value: c.id },
          { file: Buffer.from('x'), filename: 'x' },
        ])
      ).statusCode,
    ).toBe(403);
  });

  it('a restricted person’s file is 423 for staff, served to the privacy officer', async () => {
    const s = await crmSession(t);
    const c = await contact(s);
    const file = (
      await upload(s, [
        { field: 'contactId', value: c.id },
        { file: Buffer.from('held'), filename: 'h.txt' },
      ])
    ).json();
    const profile = (
      await s.post('/api/v1/profiles', {
        name: `Staff-${randomBytes(3).toString('hex')}`,
        permissions: {
          contacts: { view: true, create: true, edit: true, delete: true, export: false },
          files: { view: true, create: true, edit: true, delete: true, export: false },
        },
      })
    ).json();
    const staff = await memberSession(t, s, { profileId: profile.id });
    expect((await staff.get(`/api/v1/files/${file.id}/content`)).statusCode).toBe(200);
    expect((await s.post(`/api/v1/contacts/${c.id}/restriction`, { reason: 'contested accuracy' })).statusCode).toBe(200);
    const refused = await staff.get(`/api/v1/files/${file.id}/content`);
    expect(refused.statusCode).toBe(423);
    expect(refused.json().code).toBe('processing_restricted');
    const newVersion = await upload(staff, [{ file: Buffer.from('v2'), filename: 'h.txt' }], `/api/v1/files/${file.id}/versions`);
    expect(newVersion.statusCode).toBe(423);
    // The admin holds the privacy module: the officer may still read it.
    const officer = await download(s, `/api/v1/files/${file.id}/content`);
    expect(officer.statusCode).toBe(200);
    expect(officer.body).toBe('held');
    const blocked = (await auditEntries(s, `contactId=${c.id}`)).filter((e) => e.action === 'person.restriction_blocked');
    expect(blocked.length).toBeGreaterThanOrEqual(2);
  });

  it('deletes a file with every version’s blob', async () => {
    const s = await crmSession(t);
    const org = (await s.post('/api/v1/organizations', { name: 'Acme' })).json();
    const file = (
      await upload(s, [
        { field: 'organizationId', value: org.id },
        { file: Buffer.from('one'), filename: 'o.txt' },
      ])
    ).json();
    await upload(s, [{ file: Buffer.from('two'), filename: 'o.txt' }], `/api/v1/files/${file.id}/versions`);
    const dir = path.join(filesDir, 'tenants', s.tt.tenant.id);
    expect((await allFiles(dir)).length).toBe(2);
    expect((await s.del(`/api/v1/files/${file.id}`)).statusCode).toBe(204);
    expect((await s.get(`/api/v1/files/${file.id}`)).statusCode).toBe(404);
    expect(await allFiles(dir)).toEqual([]);
    expect(await t.handle.db.selectFrom('file_versions').select('version').where('file_id', '=', file.id).execute()).toEqual([]);
  });
});
