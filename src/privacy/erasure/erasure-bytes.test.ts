import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { crmSession } from '../../../test/crm.js';
import { useTestServer } from '../../../test/server.js';

// What an auditor would do after an erasure (issue 17): read the person's row
// directly — gone — and search the bytes of the whole database (the embedded
// data dir, or a pg_dump of the server database) for what they were called.

const t = useTestServer();
const run = promisify(execFile);

async function databaseBytes(): Promise<Buffer> {
  if (t.handle.dumpDataDir) return gunzipSync(Buffer.from(await (await t.handle.dumpDataDir()).arrayBuffer()));
  const { stdout } = await run('pg_dump', ['--data-only', '--no-owner', t.url!], { maxBuffer: 512 * 1024 * 1024, encoding: 'buffer' });
  return stdout;
}

describe('after an erasure, a byte search of the database', () => {
  it('finds none of the person’s markers, and no row of them is left to read directly', async () => {
    const s = await crmSession(t);
    const marker = `Qvzx${Date.now().toString(36)}Marker`;
    const contact = (
      await s.post('/api/v1/contacts', { firstName: marker, lastName: `${marker}Last`, emails: [`${marker.toLowerCase()}@example.test`] })
    ).json();
    expect((await s.post('/api/v1/notes', { contactId: contact.id, body: `${marker} note` })).statusCode).toBe(201);
    expect((await s.get(`/api/v1/contacts/${contact.id}`)).statusCode).toBe(200);
    expect((await s.post(`/api/v1/contacts/${contact.id}/erase`, {})).statusCode).toBe(200);

    expect(await t.handle.db.selectFrom('contacts').select('id').where('id', '=', contact.id).execute()).toEqual([]);
    const bytes = await databaseBytes();
    // The search is real: the tenant's slug, stored in clear, is there.
    expect(bytes.includes(Buffer.from(s.tt.tenant.slug))).toBe(true);
    expect(bytes.includes(Buffer.from(marker))).toBe(false);
    expect(bytes.includes(Buffer.from(marker.toLowerCase()))).toBe(false);
  });
});
