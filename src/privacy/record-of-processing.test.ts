import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { auditEntries, crmSession, memberSession, type CrmSession } from '../../test/crm.js';
import { useTestServer } from '../../test/server.js';

// The Art. 30 record: every active purpose with its basis, categories and
// retention, in JSON, CSV and a printable page; the security measures come from
// what the instance really does (the tenant's 2FA policy shows up as it changes).

// Backups go to S3 here, so the record can be seen to name the kind of target and never its bucket or keys.
const S3 = {
  CUSTODIA_BACKUP_S3: 's3://acme-private-backups/custodia',
  CUSTODIA_S3_ENDPOINT: 'http://127.0.0.1:9',
  CUSTODIA_S3_ACCESS_KEY_ID: 'AKIDRECORDTEST',
  CUSTODIA_S3_SECRET_ACCESS_KEY: 'record-test-secret-key',
  CUSTODIA_BACKUP_KEEP_MONTHS: '6',
};
const t = useTestServer(S3);
// An instance whose operator turned the schedule off.
const unscheduled = useTestServer({ CUSTODIA_BACKUP_SCHEDULE: 'off', CUSTODIA_BACKUP_NIGHTLY: 'off' });

const LIA = {
  purposeTest: 'Fraud prevention',
  necessityTest: 'No other way',
  balancingTest: 'Low impact',
  outcome: 'Proceed',
  reviewer: 'DPO',
  reviewedAt: '2026-10-01',
};

async function purposes(s: CrmSession) {
  const made = [
    {
      name: 'Newsletter <b>&"news"</b>',
      lawfulBasis: 'consent',
      dataCategories: ['name', 'e-mail address'],
      retentionDays: 730,
      marketing: true,
      recipients: ['=HYPERLINK("http://evil.test")'],
      notice: { language: 'en', text: 'Monthly news.' },
    },
    {
      name: 'Fraud checks',
      lawfulBasis: 'legitimate_interests',
      dataCategories: ['payment history'],
      retentionDays: 1825,
      lia: LIA,
      transfers: [{ country: 'United States', safeguard: 'Standard contractual clauses' }],
    },
    { name: 'Invoicing', lawfulBasis: 'legal_obligation', dataCategories: ['name', 'address', 'invoices'], retentionDays: 2555 },
    { name: 'Old raffle', lawfulBasis: 'consent', dataCategories: ['name'], retentionDays: 30, status: 'retired' },
  ];
  for (const body of made) {
    const res = await s.post('/api/v1/privacy/purposes', body);
    expect(res.statusCode, res.body).toBe(201);
  }
}

describe('record of processing', () => {
  it('lists every active purpose with basis, categories and retention in JSON, retired ones apart, and real security measures', async () => {
    const s = await crmSession(t);
    await purposes(s);
    const res = await s.get('/api/v1/privacy/record-of-processing');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toContain('application/json');
    const record = res.json();
    expect(record.controller).toEqual({ name: s.tt.tenant.name });
    expect(record.dataSubjectCategories.map((c: { key: string }) => c.key)).toEqual(['contacts', 'leads']);
    const byName = Object.fromEntries(record.purposes.map((p: { name: string }) => [p.name, p]));
    expect(Object.keys(byName).sort()).toEqual(['Fraud checks', 'Invoicing', 'Newsletter <b>&"news"</b>']);
    expect(byName['Fraud checks']).toMatchObject({
      lawfulBasis: 'legitimate_interests',
      dataCategories: ['payment history'],
      retentionDays: 1825,
      liaReviewedAt: '2026-10-01',
      transfers: [{ country: 'United States', safeguard: 'Standard contractual clauses' }],
    });
    expect(byName.Invoicing).toMatchObject({
      lawfulBasis: 'legal_obligation',
      retentionDays: 2555,
      transfers: [],
      dataSubjects: ['contacts', 'leads'],
    });
    expect(record.retiredPurposes.map((p: { name: string }) => p.name)).toEqual(['Old raffle']);

    const measures = Object.fromEntries(record.securityMeasures.map((m: { key: string }) => [m.key, m]));
    expect(Object.keys(measures)).toEqual(['encryption', 'access_control', 'two_factor', 'audit_trail', 'backups', 'transport']);
    expect(measures.encryption.facts).toMatchObject({ algorithm: 'AES-256-GCM', masterKeyProvider: 'local', tenantKeyVersion: 1 });
    expect(measures.two_factor.facts).toEqual({ requiredByPolicy: false, activeUsers: 1, usersWithTwoFactor: 0 });
    // The configured schedule, target kind, rotation and key separation; never the bucket or the credentials.
    expect(measures.backups.facts).toEqual({
      configured: true,
      schedule: '0 7,12,17 * * *',
      nightly: '0 2 * * *',
      target: 's3',
      encryption: 'AES-256-GCM',
      keepHours: 24,
      keepDays: 7,
      keepWeeks: 5,
      keepMonths: 6,
      keysBackedUpApart: true,
      keyBackupDays: 7,
    });
    expect(measures.backups.description).toContain(
      'Automatic backups on the schedule “0 7,12,17 * * *” and nightly at “0 2 * * *” (verified in full after it is made) (cron, server time), to S3-compatible object storage',
    );
    expect(measures.backups.description).toContain('one per month for 6 months');
    expect(measures.backups.description).toContain('the key store is backed up apart and those backups are kept 7 days');
    for (const secret of ['acme-private-backups', 'AKIDRECORDTEST', 'record-test-secret-key', '127.0.0.1:9'])
      expect(JSON.stringify(record)).not.toContain(secret);
    const dutch = (await s.get('/api/v1/privacy/record-of-processing?lang=nl')).json();
    const dutchBackups = dutch.securityMeasures.find((m: { key: string }) => m.key === 'backups');
    expect(dutchBackups.description).toMatch(/^Automatische back-ups volgens het schema “0 7,12,17 \* \* \*”/);

    // The policy is read, not written down: requiring 2FA changes the record.
    const policy = await t.app.inject({
      method: 'PUT',
      url: '/api/v1/settings/security',
      headers: { authorization: `Bearer ${s.token}` },
      payload: { requireMfa: true },
    });
    expect(policy.statusCode, policy.body).toBe(200);
    const after = (await s.get('/api/v1/privacy/record-of-processing')).json();
    const twoFactor = after.securityMeasures.find((m: { key: string }) => m.key === 'two_factor');
    expect(twoFactor.facts.requiredByPolicy).toBe(true);
    expect(twoFactor.description).toContain('requires two-factor');

    const exported = await auditEntries(s, 'action=privacy.record_exported');
    expect(exported.length).toBeGreaterThanOrEqual(1);
    expect(exported.at(-1)?.details).toMatchObject({ format: 'json', purposes: 3, retiredPurposes: 1 });
  });

  it('gives a CSV with a header row and one row per active purpose, formulas defused', async () => {
    const s = await crmSession(t);
    await purposes(s);
    const res = await s.get('/api/v1/privacy/record-of-processing?format=csv');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/csv');
    expect(res.headers['content-disposition']).toMatch(/attachment; filename="record-of-processing-\d{4}-\d{2}-\d{2}\.csv"/);
    const rows = parse(res.body, { bom: true, columns: true }) as Array<Record<string, string>>;
    expect(rows).toHaveLength(3);
    const byName = Object.fromEntries(rows.map((r) => [r.purpose, r]));
    expect(byName.Invoicing).toMatchObject({
      controller: s.tt.tenant.name,
      lawfulBasis: 'legal_obligation',
      dataCategories: 'name; address; invoices',
      retentionDays: '2555',
      transfers: 'none',
    });
    expect(byName['Fraud checks']).toMatchObject({
      transfers: 'United States (Standard contractual clauses)',
      liaReviewedAt: '2026-10-01',
    });
    expect(byName['Newsletter <b>&"news"</b>']!.recipients).toBe(`'=HYPERLINK("http://evil.test")`);
    expect(byName.Invoicing!.securityMeasures).toContain('AES-256-GCM');
    expect(res.body).not.toContain('Old raffle');
    expect((await auditEntries(s, 'action=privacy.record_exported')).at(-1)?.details).toMatchObject({ format: 'csv' });
  });

  it('gives a self-contained printable page in English or Dutch with every value escaped', async () => {
    const s = await crmSession(t);
    await purposes(s);
    const en = await s.get('/api/v1/privacy/record-of-processing?format=html');
    expect(en.statusCode).toBe(200);
    expect(en.headers['content-type']).toContain('text/html');
    expect(en.headers['content-security-policy']).toContain("default-src 'none'");
    expect(en.body).toContain('<html lang="en">');
    expect(en.body).toContain('Record of processing activities');
    expect(en.body).toContain('Newsletter &lt;b&gt;&amp;&quot;news&quot;&lt;/b&gt;');
    expect(en.body).not.toContain('<b>&"news"</b>');
    expect(en.body).toContain('Legitimate interests (Art. 6(1)(f))');
    expect(en.body).toContain('1825 days');
    expect(en.body).toContain('payment history');
    expect(en.body).toContain('Retired purposes');
    expect(en.body).not.toMatch(/<script|<link|src=|href=/i);

    const nl = await s.get('/api/v1/privacy/record-of-processing?format=html&lang=nl');
    expect(nl.body).toContain('<html lang="nl">');
    expect(nl.body).toContain('Register van verwerkingsactiviteiten');
    expect(nl.body).toContain('Wettelijke verplichting (art. 6 lid 1 sub c)');
    expect(nl.body).toContain('2555 dagen');
    expect(nl.body).toContain('Sleutels staan nooit in back-ups van gegevens');
  });

  it('needs privacy.view, and shows a tenant only its own purposes', async () => {
    const s = await crmSession(t);
    await purposes(s);
    const rep = await memberSession(t, s);
    const refused = await rep.get('/api/v1/privacy/record-of-processing?format=csv');
    expect(refused.statusCode).toBe(403);
    const other = await crmSession(t);
    const theirs = (await other.get('/api/v1/privacy/record-of-processing')).json();
    expect(theirs.purposes).toEqual([]);
    expect(theirs.controller.name).toBe(other.tt.tenant.name);
    expect((await s.get('/api/v1/privacy/record-of-processing?format=pdf')).json().code).toBe('validation_failed');
  });

  it('says so when backups are not scheduled', async () => {
    const s = await crmSession(unscheduled);
    const record = (await s.get('/api/v1/privacy/record-of-processing')).json();
    const backups = record.securityMeasures.find((m: { key: string }) => m.key === 'backups');
    expect(backups.facts).toEqual({ configured: false });
    expect(backups.description).toMatch(/^Not configured: this instance makes no automatic backups \(the schedule is off\)/);
  });
});
