import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { bearer, signInAdmin } from '../../../test/auth.js';
import { createTestTenant } from '../../../test/factories.js';
import { useTestServer } from '../../../test/server.js';

const t = useTestServer();

async function session() {
  const tt = await createTestTenant(t.handle.db);
  return { tt, token: await signInAdmin(t.app, tt) };
}

function importCsv(token: string, csv: string | Buffer, query = 'lawfulBasis=consent') {
  return t.app.inject({
    method: 'POST',
    url: `/api/v1/imports/contacts?${query}`,
    headers: { ...bearer(token), 'content-type': 'text/csv' },
    payload: csv,
  });
}

async function contacts(token: string, query = '') {
  const res = await t.app.inject({ url: `/api/v1/contacts?limit=200${query}`, headers: bearer(token) });
  return res.json().items as Array<{
    firstName: string;
    lastName: string;
    emails: Array<{ value: string }>;
    phones: Array<{ value: string }>;
    organizationId: string | null;
    lawfulBasis: string;
  }>;
}

describe('CSV import', () => {
  it('imports the good rows, names the bad line, and creates no duplicates on re-import', async () => {
    const { token } = await session();
    const csv = [
      'firstName,lastName,email,phone,organization',
      'Anna,de Vries,anna@example.test,+31 20 123 4567,Acme BV',
      'Bram,Bakker,not-an-email,,Acme BV',
      'Cees,Claassen,cees@example.test,,Other NV',
      '',
    ].join('\r\n');
    const first = await importCsv(token, csv);
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ created: 2, updated: 0, skipped: 0, rows: 3, errorCount: 1, dryRun: false });
    expect(first.json().errors).toEqual([{ line: 3, message: expect.stringContaining('e-mail') }]);
    expect(JSON.stringify(first.json().errors)).not.toContain('not-an-email');

    const listed = await contacts(token);
    expect(listed.map((c) => c.firstName).sort()).toEqual(['Anna', 'Cees']);
    expect(listed.every((c) => c.lawfulBasis === 'consent')).toBe(true);
    expect(listed.find((c) => c.firstName === 'Anna')!.phones).toEqual([{ value: '+31 20 123 4567', label: null }]);
    const orgs = (await t.app.inject({ url: '/api/v1/organizations', headers: bearer(token) })).json().items as Array<{
      id: string;
      name: string;
    }>;
    expect(orgs.map((o) => o.name)).toEqual(['Acme BV', 'Other NV']);
    expect(listed.find((c) => c.firstName === 'Anna')!.organizationId).toBe(orgs[0]!.id);

    const again = await importCsv(token, csv);
    expect(again.json()).toMatchObject({ created: 0, skipped: 2, errorCount: 1 });
    expect(await contacts(token)).toHaveLength(2);
    expect((await t.app.inject({ url: '/api/v1/organizations', headers: bearer(token) })).json().items).toHaveLength(2);
  });

  it('updates matched people when asked, by e-mail in any case', async () => {
    const { token } = await session();
    await importCsv(token, 'firstName,lastName,email\nAnna,de Vries,anna@example.test\n');
    const res = await importCsv(
      token,
      'firstName,lastName,email,jobTitle\nAnna,Jansen,ANNA@example.test,Buyer\n',
      'lawfulBasis=contract&duplicates=update',
    );
    expect(res.json()).toMatchObject({ created: 0, updated: 1, skipped: 0 });
    const [anna] = await contacts(token);
    expect(anna).toMatchObject({ lastName: 'Jansen', lawfulBasis: 'contract', jobTitle: 'Buyer' });
  });

  it('reads a BOM, semicolons, quoted newlines and quotes, and Outlook and Google headers', async () => {
    const { token } = await session();
    const csv = Buffer.concat([
      Buffer.from([0xef, 0xbb, 0xbf]),
      Buffer.from(
        [
          'First Name;Last Name;E-mail Address;Business Phone;Company;Notes',
          'Zoë;"d\'Ávila; ""Z""";zoe@example.test;+31 6 1234 5678;"Multi',
          'line BV";ignored',
          'Jan;Jansen;jan@example.test;;;',
        ].join('\n'),
      ),
    ]);
    const res = await importCsv(token, csv);
    expect(res.json()).toMatchObject({ created: 2, errorCount: 0, ignoredColumns: [] });
    const listed = await contacts(token);
    expect(listed.find((c) => c.firstName === 'Zoë')).toMatchObject({
      lastName: 'd\'Ávila; "Z"',
      emails: [{ value: 'zoe@example.test', label: null }],
    });
    const orgs = (await t.app.inject({ url: '/api/v1/organizations', headers: bearer(token) })).json().items as Array<{ name: string }>;
    expect(orgs.map((o) => o.name)).toEqual(['Multi\nline BV']);

    const google = await importCsv(
      token,
      'Given Name,Family Name,E-mail 1 - Value,Phone 1 - Value,Organization 1 - Name\nPiet,Pietersen,piet@example.test,020 1234567,Piet BV\n',
    );
    expect(google.json()).toMatchObject({ created: 1, errorCount: 0 });
  });

  it('names the line of a bad row after quoted newlines, and reports duplicate rows within the file once', async () => {
    const { token } = await session();
    const csv = 'firstName,lastName,email\n"A\nB",One,one@example.test\nTwo,Two,one@example.test\n,,three@example.test\n';
    const res = await importCsv(token, csv);
    // A row with an e-mail and no name makes a person (the address stands in for the name), reported by its line.
    expect(res.json()).toMatchObject({ created: 2, skipped: 1, errorCount: 0 });
    expect(res.json().warnings).toEqual([{ line: 5, field: 'name', message: expect.stringContaining('no name') }]);
    const crlf = await importCsv(token, 'firstName,lastName,email\r\n"A\r\nB",Four,four@example.test\r\nNo,Mail,not-mail\r\n');
    expect(crlf.json().errors).toEqual([{ line: 4, message: expect.stringContaining('e-mail') }]);
  });

  it('refuses an import without a lawful basis, an empty file and a header that names nothing', async () => {
    const { token } = await session();
    const none = await importCsv(token, 'firstName,lastName,email\nA,B,a@example.test\n', '');
    expect(none.statusCode).toBe(400);
    expect(none.headers['content-type']).toContain('application/problem+json');
    expect(none.json().code).toBe('lawful_basis_required');
    const wrong = await importCsv(token, 'firstName\nA\n', 'lawfulBasis=because');
    expect(wrong.statusCode).toBe(400);

    const empty = await importCsv(token, '');
    expect(empty.statusCode).toBe(400);
    expect(empty.json().code).toBe('invalid_csv');
    const header = await importCsv(token, 'foo,bar\n1,2\n');
    expect(header.statusCode).toBe(400);
    expect(header.json().code).toBe('invalid_csv');
    expect(await contacts(token)).toHaveLength(0);
  });

  it('only reports in a dry run', async () => {
    const { tt, token } = await session();
    const res = await importCsv(
      token,
      'firstName,lastName,email,organization\nA,B,a@example.test,Org\nC,D,a@example.test,Org\n',
      'lawfulBasis=consent&dryRun=true',
    );
    expect(res.json()).toMatchObject({ dryRun: true, created: 1, skipped: 1 });
    expect(await contacts(token)).toHaveLength(0);
    const orgs = await sql<{ n: string }>`select count(*) as n from organizations where tenant_id = ${tt.tenant.id}`.execute(t.handle.db);
    expect(Number(orgs.rows[0]!.n)).toBe(0);
    const status = await t.app.inject({ url: `/api/v1/imports/${res.json().id}`, headers: bearer(token) });
    expect(status.json()).toMatchObject({ status: 'done', dryRun: true, rows: 2, created: 1 });
  });

  it('exports a CSV that imports back, with formulas defused, and keeps imports to their tenant', async () => {
    const { token } = await session();
    await importCsv(token, 'firstName,lastName,email,phone,organization\n=HYPERLINK("x"),Evil,evil@example.test,+31 20 123 4567,Acme\n');
    const exported = await t.app.inject({ url: '/api/v1/exports/contacts.csv', headers: bearer(token) });
    expect(exported.statusCode).toBe(200);
    expect(exported.headers['content-type']).toContain('text/csv');
    const lines = exported.body
      .replace(/^\uFEFF/, '')
      .trim()
      .split('\r\n');
    expect(lines[0]).toMatch(/^id,firstName,lastName,email,/);
    expect(lines[1]).toContain(`"'=HYPERLINK(""x"")"`);
    expect(lines[1]).toContain("'+31 20 123 4567");
    expect(lines[1]).toContain('Acme');

    const other = await session();
    const back = await importCsv(other.token, exported.rawPayload);
    expect(back.json()).toMatchObject({ created: 1, errorCount: 0 });
    const [copy] = await contacts(other.token);
    expect(copy).toMatchObject({ lastName: 'Evil', phones: [{ value: '+31 20 123 4567', label: null }] });
    expect(await contacts(token)).toHaveLength(1);

    const foreign = await t.app.inject({ url: `/api/v1/imports/${back.json().id}`, headers: bearer(token) });
    expect(foreign.statusCode).toBe(404);

    // A line break inside a value is quoted, so the CSV stays one row per record.
    await importCsv(token, 'firstName,lastName,email\n"Greet","van der\nBerg",greet@example.test\n');
    const again = (await t.app.inject({ url: '/api/v1/exports/contacts.csv', headers: bearer(token) })).body;
    expect(again).toContain('"van der\nBerg"');
  });
});

describe('CSV import across batches', () => {
  it('imports a file of several batches (two in flight) in which a new company and a duplicate e-mail recur in later batches', async () => {
    const { token } = await session();
    // 1,300 rows: three batches, so batches run while the one before is still writing.
    const rows = ['firstName,lastName,email,organization'];
    for (let i = 0; i < 1300; i++) rows.push(`P${i},Batch,p${i}@example.test,${i % 2 === 0 ? 'Newco Across Batches' : `Solo ${i}`}`);
    rows.push('Again,Batch,p3@example.test,Newco Across Batches'); // a duplicate of a row in the first batch
    const analyzed = async () => {
      const counts = await sql<{ table: string; n: string }>`
        select relname as table, pg_stat_get_analyze_count(oid) as n from pg_class
        where relname in ('contacts', 'blind_index_terms', 'subjects', 'subject_keys', 'organizations') and relkind = 'r'`.execute(
        t.handle.db,
      );
      return Object.fromEntries(counts.rows.map((r) => [r.table, Number(r.n)]));
    };
    const before = await analyzed();
    const res = await importCsv(token, `${rows.join('\n')}\n`, 'lawfulBasis=consent&duplicates=skip');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ created: 1300, skipped: 1, errors: [] });
    const orgs = await t.app.inject({ url: '/api/v1/organizations?q=newco%20across&limit=200', headers: bearer(token) });
    expect(orgs.json().items).toHaveLength(1);
    const members = await contacts(token, `&organizationId=${orgs.json().items[0].id as string}`);
    expect(members.length).toBe(200); // the page is full: far more than one batch's worth share the company
    // The planner knows the new rows at once: the import analyzed what it filled (autovacuum is off on CI).
    const after = await analyzed();
    for (const table of ['contacts', 'blind_index_terms', 'subjects', 'subject_keys', 'organizations'])
      expect(after[table], table).toBe(before[table]! + 1);
    const stats = await sql<{ n: string }>`select count(*) as n from pg_stats where tablename = 'contacts'`.execute(t.handle.db);
    expect(Number(stats.rows[0]!.n)).toBeGreaterThan(0);
  });
});
