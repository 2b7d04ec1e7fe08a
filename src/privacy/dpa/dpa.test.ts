import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { auditEntries, crmSession, memberSession } from '../../../test/crm.js';
import { useTestServer } from '../../../test/server.js';
import { listDpa, publishDpa } from './dpa.service.js';

// The DPA between operator and tenant: the bundled text until the operator
// publishes another, accepted by a tenant admin with name and title (sealed),
// the text's hash and the IP; a newer version is pending until accepted.
// DPA texts are operator-wide, so these tests run in order on one database.

const t = useTestServer();
const sha = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
const bundled = (file: string) => readFileSync(new URL(`./texts/${file}`, import.meta.url), 'utf8');

describe('DPA', () => {
  it('shows the bundled version with its sub-processors, pending until an admin accepts it', async () => {
    const s = await crmSession(t);
    const res = await s.get('/api/v1/privacy/dpa');
    expect(res.statusCode, res.body).toBe(200);
    const dpa = res.json();
    expect(dpa.current).toMatchObject({
      version: '2026-12',
      language: 'en',
      text: bundled('2026-12.en.md'),
      sha256: sha(bundled('2026-12.en.md')),
    });
    expect(dpa.subProcessors).toEqual(JSON.parse(bundled('sub-processors.json')));
    expect(dpa).toMatchObject({ acceptances: [], pending: true });
    expect((await s.get('/api/v1/privacy/dpa/status')).json()).toEqual({ version: '2026-12', pending: true });

    const wrong = await s.post('/api/v1/privacy/dpa/accept', { version: '2025-01', name: 'Anna de Vries', title: 'Director' });
    expect(wrong.statusCode).toBe(409);
    expect(wrong.json().code).toBe('dpa_not_current');
    const blank = await s.post('/api/v1/privacy/dpa/accept', { version: '2026-12', name: '  ', title: 'Director' });
    expect(blank.json()).toMatchObject({ status: 400, code: 'dpa_invalid' });

    const accepted = await t.app.inject({
      method: 'POST',
      url: '/api/v1/privacy/dpa/accept',
      headers: { authorization: `Bearer ${s.token}` },
      payload: { version: '2026-12', name: 'Anna de Vries', title: 'Director' },
      remoteAddress: '203.0.113.9',
    });
    expect(accepted.statusCode, accepted.body).toBe(201);
    expect(accepted.json()).toMatchObject({
      version: '2026-12',
      language: 'en',
      textSha256: sha(bundled('2026-12.en.md')),
      userId: s.tt.admin.id,
      name: 'Anna de Vries',
      title: 'Director',
      ip: '203.0.113.9',
    });
    const after = (await s.get('/api/v1/privacy/dpa')).json();
    expect(after.pending).toBe(false);
    expect(after.acceptances).toEqual([expect.objectContaining({ name: 'Anna de Vries', title: 'Director', ip: '203.0.113.9' })]);
    expect((await s.get('/api/v1/privacy/dpa/status')).json().pending).toBe(false);

    // Sealed: the database holds no name, title or IP in plaintext, nor does the audit entry's details.
    const row = await t.handle.db
      .selectFrom('dpa_acceptances')
      .selectAll()
      .where('tenant_id', '=', s.tt.tenant.id)
      .executeTakeFirstOrThrow();
    for (const value of [row.name_enc, row.title_enc, row.ip_enc!]) {
      expect(value.includes(Buffer.from('Anna'))).toBe(false);
      expect(value.includes(Buffer.from('203.0.113.9'))).toBe(false);
    }
    const [entry] = await auditEntries(s, 'action=dpa.accepted');
    expect(entry?.details).toEqual({ version: '2026-12', language: 'en', textSha256: sha(bundled('2026-12.en.md')) });
    expect(JSON.stringify(entry?.details)).not.toContain('Anna');
  });

  it('lets only administrators accept, shows each tenant only its own acceptances, and the text in the reader’s language', async () => {
    const s = await crmSession(t);
    const rep = await memberSession(t, s);
    expect((await rep.get('/api/v1/privacy/dpa')).statusCode).toBe(403);
    expect((await rep.get('/api/v1/privacy/dpa/status')).json()).toEqual({ version: '2026-12', pending: false });
    const profile = await s.post('/api/v1/profiles', { name: 'DPO', permissions: { privacy: { view: true, edit: true } } });
    const dpo = await memberSession(t, s, { profileId: profile.json().id });
    expect((await dpo.get('/api/v1/privacy/dpa')).json().pending).toBe(true);
    const refused = await dpo.post('/api/v1/privacy/dpa/accept', { version: '2026-12', name: 'D. P. O.', title: 'DPO' });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().code).toBe('privacy_forbidden');

    await dpo.patch('/api/v1/me', { language: 'nl' });
    const nl = (await dpo.get('/api/v1/privacy/dpa')).json();
    expect(nl.current).toMatchObject({ language: 'nl', sha256: sha(bundled('2026-12.nl.md')) });
    expect(nl.current.text).toContain('Verwerkersovereenkomst');

    const accepted = await s.post('/api/v1/privacy/dpa/accept', { version: '2026-12', name: 'Bram', title: 'CEO' });
    expect(accepted.statusCode).toBe(201);
    const other = await crmSession(t);
    const theirs = (await other.get('/api/v1/privacy/dpa')).json();
    expect(theirs).toMatchObject({ acceptances: [], pending: true });
  });

  it('asks again when the operator publishes a new version, which is never replaced', async () => {
    const s = await crmSession(t);
    expect((await s.post('/api/v1/privacy/dpa/accept', { version: '2026-12', name: 'Cor', title: 'Owner' })).statusCode).toBe(201);

    const text = '# DPA 2027-03\n\nNew sub-processor: Example Mail BV.\n';
    const published = await publishDpa(t.handle.db, {
      version: '2027-03',
      language: 'en',
      text,
      subProcessors: JSON.stringify([{ name: 'Example Mail BV', service: 'SMTP relay', location: 'Netherlands' }]),
    });
    expect(published).toMatchObject({ version: '2027-03', language: 'en', sha256: sha(text), subProcessors: 1, current: true });
    await expect(publishDpa(t.handle.db, { version: '2027-03', language: 'en', text: 'other' })).rejects.toMatchObject({
      code: 'dpa_exists',
    });
    await expect(publishDpa(t.handle.db, { version: 'no spaces', text: 'x' })).rejects.toMatchObject({ code: 'dpa_invalid' });
    await expect(publishDpa(t.handle.db, { version: '2027-04', text: 'x', subProcessors: '[{"name":"A"}]' })).rejects.toMatchObject({
      code: 'dpa_invalid',
    });
    // The Dutch text of the same version keeps its sub-processor list.
    const nl = await publishDpa(t.handle.db, { version: '2027-03', language: 'nl', text: '# Verwerkersovereenkomst 2027-03\n' });
    expect(nl).toMatchObject({ subProcessors: 1, current: true });

    const dpa = (await s.get('/api/v1/privacy/dpa')).json();
    expect(dpa).toMatchObject({ current: { version: '2027-03', text, sha256: sha(text) }, pending: true });
    expect(dpa.subProcessors).toEqual([{ name: 'Example Mail BV', service: 'SMTP relay', location: 'Netherlands' }]);
    expect(dpa.acceptances.map((a: { version: string }) => a.version)).toEqual(['2026-12']);
    expect((await s.get('/api/v1/privacy/dpa/status')).json()).toEqual({ version: '2027-03', pending: true });
    const old = await s.post('/api/v1/privacy/dpa/accept', { version: '2026-12', name: 'Cor', title: 'Owner' });
    expect(old.json().code).toBe('dpa_not_current');
    expect((await s.post('/api/v1/privacy/dpa/accept', { version: '2027-03', name: 'Cor', title: 'Owner' })).statusCode).toBe(201);
    expect((await s.get('/api/v1/privacy/dpa')).json().pending).toBe(false);

    const versions = await listDpa(t.handle.db);
    expect(versions.map((v) => `${v.version}/${v.language}/${v.current}`)).toEqual([
      '2027-03/en/true',
      '2027-03/nl/true',
      '2026-12/en/false',
      '2026-12/nl/false',
    ]);
  });
});
