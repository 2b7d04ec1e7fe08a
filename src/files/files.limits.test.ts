import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { crmSession, type CrmSession } from '../../test/crm.js';
import { useTestServer } from '../../test/server.js';
import { multipartBody } from './multipart.test-helpers.js';

// The limits of an upload: a file larger than allowed is 413 file_too_large,
// a tenant over its quota 409 quota_exceeded; neither leaves a blob or a row.

const filesDir = mkdtempSync(path.join(tmpdir(), 'custodia-files-limits-'));
const t = useTestServer({ CUSTODIA_FILES_DIR: filesDir, CUSTODIA_FILE_MAX_BYTES: '4096', CUSTODIA_FILE_TENANT_QUOTA_BYTES: '10000' });

function upload(s: CrmSession, parts: Parameters<typeof multipartBody>[0], url = '/api/v1/files') {
  const body = multipartBody(parts);
  return t.app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${s.token}`, ...body.headers }, payload: body.payload });
}

async function blobs(tenantId: string): Promise<number> {
  return (await readdir(path.join(filesDir, 'tenants', tenantId)).catch(() => [])).length;
}

describe('upload limits', () => {
  it('a file over the size limit is 413 file_too_large and leaves nothing behind', async () => {
    const s = await crmSession(t);
    const c = (await s.post('/api/v1/contacts', { firstName: 'Big', lastName: 'File' })).json();
    const exactly = await upload(s, [
      { field: 'contactId', value: c.id },
      { file: randomBytes(4096), filename: 'max.bin' },
    ]);
    expect(exactly.statusCode, exactly.body).toBe(201);
    for (const parts of [
      [
        { field: 'contactId', value: c.id },
        { file: randomBytes(4097), filename: 'big.bin' },
      ],
      // The record named after the file: the staged bytes are refused too.
      [
        { file: randomBytes(9000), filename: 'big.bin' },
        { field: 'contactId', value: c.id },
      ],
    ] as Parameters<typeof multipartBody>[0][]) {
      const res = await upload(s, parts);
      expect(res.statusCode, res.body).toBe(413);
      expect(res.json().code).toBe('file_too_large');
    }
    const version = await upload(s, [{ file: randomBytes(5000), filename: 'big.bin' }], `/api/v1/files/${exactly.json().id}/versions`);
    expect(version.statusCode).toBe(413);
    expect(await blobs(s.tt.tenant.id)).toBe(1);
    expect((await s.get(`/api/v1/files?contactId=${c.id}`)).json().items).toHaveLength(1);
  });

  it('over real HTTP, a client still sending a large file gets the 413 answer, not a reset connection', async () => {
    const s = await crmSession(t);
    const c = (await s.post('/api/v1/contacts', { firstName: 'Http', lastName: 'Upload' })).json();
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const port = (t.app.server.address() as AddressInfo).port;
    const boundary = `----b${randomBytes(6).toString('hex')}`;
    const body = Buffer.concat([
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="contactId"\r\n\r\n${c.id}\r\n` +
          `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\n\r\n`,
      ),
      randomBytes(3 * 1024 * 1024),
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request({
        host: '127.0.0.1',
        port,
        path: '/api/v1/files',
        method: 'POST',
        headers: { authorization: `Bearer ${s.token}`, 'content-type': `multipart/form-data; boundary=${boundary}` },
      });
      req.on('response', (res) => {
        const parts: Buffer[] = [];
        res.on('data', (chunk: Buffer) => parts.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString() }));
      });
      req.on('error', reject);
      req.end(body);
    });
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body).code).toBe('file_too_large');
  });

  it('a tenant over its quota gets 409 quota_exceeded, for uploads, versions and restores alike', async () => {
    const s = await crmSession(t);
    const c = (await s.post('/api/v1/contacts', { firstName: 'Quota', lastName: 'Full' })).json();
    const first = (
      await upload(s, [
        { field: 'contactId', value: c.id },
        { file: randomBytes(4000), filename: '1.bin' },
      ])
    ).json();
    expect((await upload(s, [{ file: randomBytes(4000), filename: '2.bin' }], `/api/v1/files/${first.id}/versions`)).statusCode).toBe(201);
    const over = await upload(s, [
      { field: 'contactId', value: c.id },
      { file: randomBytes(3000), filename: '3.bin' },
    ]);
    expect(over.statusCode).toBe(409);
    expect(over.json().code).toBe('quota_exceeded');
    const restore = await s.post(`/api/v1/files/${first.id}/restore`, { version: 1 });
    expect(restore.statusCode).toBe(409);
    expect(restore.json().code).toBe('quota_exceeded');
    expect(await blobs(s.tt.tenant.id)).toBe(2);
    // Another tenant's quota is its own.
    const other = await crmSession(t);
    const oc = (await other.post('/api/v1/contacts', { firstName: 'Other', lastName: 'Tenant' })).json();
    expect(
      (
        await upload(other, [
          { field: 'contactId', value: oc.id },
          { file: randomBytes(3000), filename: 'o.bin' },
        ])
      ).statusCode,
    ).toBe(201);
    // Deleting frees the space.
    expect((await s.del(`/api/v1/files/${first.id}`)).statusCode).toBe(204);
    expect(
      (
        await upload(s, [
          { field: 'contactId', value: c.id },
          { file: randomBytes(3000), filename: '3.bin' },
        ])
      ).statusCode,
    ).toBe(201);
  });
});
