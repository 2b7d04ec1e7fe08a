import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { auditEntries, crmSession, type AuditEntry, type CrmSession } from '../../test/crm.js';
import { useTestServer } from '../../test/server.js';
import { getContact } from '../crm/people/contacts.service.js';
import { eraseSubject } from '../key-lifecycle/shredding.js';
import { archiveExpired, sealTenant } from './sealer.js';
import { signHead } from './chain.js';
import { currentCheckpoint, parseCheckpoint, verifyTenant } from './verify.js';

const t = useTestServer();

async function newContact(s: CrmSession, firstName = 'Anneke') {
  const res = await s.post('/api/v1/contacts', {
    firstName,
    lastName: 'de Vries',
    emails: [`${randomBytes(4).toString('hex')}@example.test`],
    phones: [],
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { id: string; subjectId: string; version: number };
}

const password = () => `Pw-${randomBytes(9).toString('hex')}`;

async function member(admin: CrmSession, profile: object) {
  const created = (await admin.post('/api/v1/profiles', { name: `P-${randomBytes(4).toString('hex')}`, ...profile })).json();
  const pw = password();
  const email = `u-${randomBytes(5).toString('hex')}@example.test`;
  const user = await admin.post('/api/v1/users', { email, name: 'Rep', password: pw, profileId: created.id });
  expect(user.statusCode, user.body).toBe(201);
  const token = (
    await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { tenant: admin.tt.tenant.slug, email, password: pw } })
  ).json().token as string;
  const headers = { authorization: `Bearer ${token}` };
  return { id: user.json().id as string, get: (url: string) => t.app.inject({ url, headers }) };
}

const run = (query: ReturnType<typeof sql>) => query.execute(t.handle.db);

describe('recording', () => {
  it('records the reads and the change of a person with the admin as actor, and lists them by contactId', async () => {
    const s = await crmSession(t);
    const contact = await newContact(s);
    expect((await s.get(`/api/v1/contacts/${contact.id}`)).statusCode).toBe(200);
    const patched = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/contacts/${contact.id}`,
      headers: { authorization: `Bearer ${s.token}`, 'x-request-id': 'req-audit-1', 'user-agent': 'audit-test' },
      payload: { firstName: 'Anne', jobTitle: 'Buyer' },
    });
    expect(patched.statusCode, patched.body).toBe(200);
    expect((await s.get('/api/v1/contacts?q=anne')).json().items).toHaveLength(1);

    const list = await auditEntries(s, `contactId=${contact.id}`);
    const actions = list.map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['contact.created', 'contact.read', 'contact.updated', 'contact.listed']));
    for (const e of list) expect(e.actor).toMatchObject({ kind: 'user', userId: s.tt.admin.id });
    const update = list.find((e) => e.action === 'contact.updated')!;
    expect(update).toMatchObject({
      entity: 'contacts',
      entityId: contact.id,
      subjectIds: [contact.subjectId],
      requestId: 'req-audit-1',
      fields: ['firstName', 'jobTitle'],
    });
    expect(update.ip).toBeTruthy();
    expect(update.changes).toEqual({ firstName: { old: 'Anneke', new: 'Anne' }, jobTitle: { old: null, new: 'Buyer' } });
    const read = list.find((e) => e.action === 'contact.read')!;
    expect(read.fields).toEqual(expect.arrayContaining(['firstName', 'lastName', 'emails']));
    // The same list under the person view's own path.
    // Seeing the values was itself recorded, so the log has grown by that entry.
    const log = (await s.get(`/api/v1/contacts/${contact.id}/access-log`)).json().items as AuditEntry[];
    expect(log.map((e) => e.id)).toEqual(expect.arrayContaining(list.map((e) => e.id)));
    expect(log[0]).toMatchObject({ action: 'audit.values_read', subjectIds: [contact.subjectId] });
  });

  it('stores no personal value in plaintext: old and new values are ciphertext', async () => {
    const s = await crmSession(t);
    const contact = await newContact(s, 'Zq' + randomBytes(4).toString('hex'));
    const marker = 'Zx' + randomBytes(5).toString('hex');
    await s.patch(`/api/v1/contacts/${contact.id}`, { lastName: marker });
    const raw = await run(sql`select * from audit_entries where tenant_id = ${s.tt.tenant.id}`);
    const dump = JSON.stringify(raw.rows, (_k, v: unknown) => (Buffer.isBuffer(v) ? v.toString('latin1') : v));
    expect(dump).not.toContain(marker);
  });

  it('leaves no entry for a change that failed, and keeps the read of a request that failed afterwards', async () => {
    const s = await crmSession(t);
    const contact = await newContact(s);
    const stale = await s.patch(`/api/v1/contacts/${contact.id}`, { firstName: 'X', version: contact.version + 5 });
    expect(stale.statusCode).toBe(409);
    const bad = await s.post('/api/v1/contacts', { firstName: 'Y', organizationId: '00000000-0000-4000-8000-000000000000' });
    expect(bad.statusCode).toBe(400);
    const all = await auditEntries(s, 'action=contact.*');
    expect(all.filter((e) => e.action === 'contact.updated')).toHaveLength(0);
    expect(all.filter((e) => e.action === 'contact.created')).toHaveLength(1);

    // A read is on record before the record is handed out, outside the request's work.
    const failingRequest = async () => {
      await getContact(t.handle.db, t.keyring, await actorOf(s), contact.id);
      throw new Error('the request failed after reading');
    };
    await expect(failingRequest()).rejects.toThrow('failed after reading');
    expect((await auditEntries(s, `contactId=${contact.id}&action=contact.read`)).length).toBe(1);
  });

  it('records deletes, restores, lead conversion, imports, exports and searches', async () => {
    const s = await crmSession(t);
    const contact = await newContact(s);
    expect((await s.del(`/api/v1/contacts/${contact.id}`)).statusCode).toBe(204);
    expect((await s.post(`/api/v1/recycle-bin/contacts/${contact.id}/restore`)).statusCode).toBe(200);
    const lead = (
      await s.post('/api/v1/leads', { firstName: 'Lea', lastName: 'Lead', emails: ['lea@example.test'], company: 'Lead BV' })
    ).json();
    const converted = await s.post(`/api/v1/leads/${lead.id}/convert`, {});
    expect(converted.statusCode, converted.body).toBe(200);
    const imported = await t.app.inject({
      method: 'POST',
      url: '/api/v1/imports/contacts?lawfulBasis=consent',
      headers: { authorization: `Bearer ${s.token}`, 'content-type': 'text/csv' },
      payload: 'firstName,lastName,email\nIm,Ported,im@example.test\nTwo,Ported,two@example.test\n',
    });
    expect(imported.statusCode, imported.body).toBe(200);
    expect((await s.get('/api/v1/exports/contacts.csv')).statusCode).toBe(200);
    expect((await s.get('/api/v1/search?q=ported')).statusCode).toBe(200);

    const actions = (await auditEntries(s, '')).map((e) => e.action);
    for (const action of [
      'contact.deleted',
      'contact.restored',
      'lead.converted',
      'contact.imported',
      'contact.exported',
      'contact.searched',
      'sign_in.succeeded',
    ]) {
      expect(actions, action).toContain(action);
    }
    // The lead's history is the contact's: one person.
    const person = (await auditEntries(s, `contactId=${converted.json().contactId}`)).map((e) => e.action);
    expect(person).toEqual(expect.arrayContaining(['lead.created', 'lead.converted', 'contact.created']));
    const imports = (await auditEntries(s, 'action=contact.imported'))[0]!;
    expect(imports.subjectIds).toHaveLength(2);
  });

  it('chains security events: sign-in failures are anonymous, successes name the user', async () => {
    const s = await crmSession(t);
    await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { tenant: s.tt.tenant.slug, email: s.tt.adminEmail, password: 'wrong password 123' },
    });
    const failed = (await auditEntries(s, 'action=sign_in.failed'))[0]!;
    expect(failed.actor.kind).toBe('anonymous');
    expect(failed).toMatchObject({ entity: 'users', entityId: s.tt.admin.id });
    const ok = (await auditEntries(s, 'action=sign_in.succeeded'))[0]!;
    expect(ok.actor).toMatchObject({ kind: 'user', userId: s.tt.admin.id });
    await sealTenant(t.handle.db, t.keyring, s.tt.tenant.id);
    expect((await verifyTenant(t.handle.db, t.keyring, s.tt.tenant.id)).ok).toBe(true);
  });
});

async function actorOf(s: CrmSession) {
  const { authenticate } = await import('../identity/identity.service.js');
  return authenticate(t.handle.db, { ...t.config, keyring: t.keyring }, s.token);
}

describe('who may read the trail', () => {
  it('shows a person’s access log to whoever may see them, without IPs or values; the rest needs the audit module', async () => {
    const admin = await crmSession(t);
    const contact = await newContact(admin);
    await admin.patch(`/api/v1/contacts/${contact.id}`, { firstName: 'Changed' });
    const rep = await member(admin, { permissions: { contacts: { view: true } } });
    const log = await rep.get(`/api/v1/audit?contactId=${contact.id}`);
    expect(log.statusCode, log.body).toBe(200);
    const update = (log.json().items as AuditEntry[]).find((e) => e.action === 'contact.updated')!;
    expect(update.changes).toBeNull();
    expect(update).not.toHaveProperty('ip');
    const all = await rep.get('/api/v1/audit');
    expect(all.statusCode).toBe(403);
    expect(all.json().code).toBe('permission_denied');
    expect((await rep.get('/api/v1/audit/export.csv')).statusCode).toBe(403);

    // Values follow the records: this auditor may see contacts (see audit-values.test.ts for those who may not).
    const auditor = await member(admin, { permissions: { audit: { view: true, export: true }, contacts: { view: true } } });
    expect((await auditor.get('/api/v1/audit')).statusCode).toBe(200);
    const csv = await auditor.get(`/api/v1/audit/export.csv?subjectId=${contact.subjectId}`);
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toContain('text/csv');
    expect(csv.body).toContain('contact.updated');
    expect(csv.body).toContain('Changed');
  });

  it('keeps tenants apart', async () => {
    const a = await crmSession(t);
    const b = await crmSession(t);
    const contact = await newContact(a);
    const other = await b.get(`/api/v1/audit?contactId=${contact.id}`);
    expect(other.statusCode).toBe(404);
    expect(other.json().code).toBe('record_not_found');
    const bs = await auditEntries(b, `subjectId=${contact.subjectId}`);
    expect(bs).toHaveLength(0);
    expect((await auditEntries(b, '')).every((e) => e.entityId !== contact.id)).toBe(true);
  });

  it('pages with a cursor and refuses a forged one', async () => {
    const s = await crmSession(t);
    const contact = await newContact(s);
    for (let i = 0; i < 5; i++) await s.get(`/api/v1/contacts/${contact.id}`);
    const first = (await s.get(`/api/v1/audit?contactId=${contact.id}&limit=4`)).json();
    expect(first.items).toHaveLength(4);
    const second = (await s.get(`/api/v1/audit?contactId=${contact.id}&limit=4&cursor=${first.nextCursor}`)).json();
    expect(second.items).toHaveLength(2);
    expect(second.nextCursor).toBeNull();
    const ids = new Set([...first.items, ...second.items].map((e: AuditEntry) => e.id));
    expect(ids.size).toBe(6);
    const forged = await s.get('/api/v1/audit?cursor=bm9wZQ');
    expect(forged.statusCode).toBe(400);
    expect(forged.json().code).toBe('invalid_cursor');
  });
});

describe('tamper evidence', () => {
  async function sealedTenant(reads = 5) {
    const s = await crmSession(t);
    const contact = await newContact(s);
    for (let i = 0; i < reads; i++) await s.get(`/api/v1/contacts/${contact.id}`);
    await sealTenant(t.handle.db, t.keyring, s.tt.tenant.id);
    const report = await verifyTenant(t.handle.db, t.keyring, s.tt.tenant.id);
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
    const rows = await run(sql`select id, seq from audit_entries where tenant_id = ${s.tt.tenant.id} order by seq`);
    return { s, contact, tenantId: s.tt.tenant.id, rows: rows.rows as Array<{ id: string; seq: number }> };
  }
  const verify = (tenantId: string, options = {}) => verifyTenant(t.handle.db, t.keyring, tenantId, options);

  it('finds a deleted entry and names it', async () => {
    const { tenantId, rows } = await sealedTenant();
    const victim = rows[3]!;
    await run(sql`delete from audit_entries where tenant_id = ${tenantId} and id = ${victim.id}`);
    const report = await verify(tenantId);
    expect(report.ok).toBe(false);
    expect(report.problems[0]).toMatchObject({ position: victim.seq, id: victim.id });
    expect(report.problems[0]!.problem).toContain('removed');
  });

  it('finds an entry whose time moved by a second, or whose action changed', async () => {
    const { tenantId, rows } = await sealedTenant();
    await run(sql`update audit_entries set at = at + interval '1 second' where tenant_id = ${tenantId} and id = ${rows[2]!.id}`);
    await run(sql`update audit_entries set action = 'contact.listed' where tenant_id = ${tenantId} and id = ${rows[4]!.id}`);
    const report = await verify(tenantId);
    expect(report.ok).toBe(false);
    expect(report.problems.map((p) => p.id)).toEqual([rows[2]!.id, rows[4]!.id]);
    expect(report.problems[0]!.problem).toContain('MAC');
  });

  it('finds entries swapped in order', async () => {
    const { tenantId, rows } = await sealedTenant();
    const [a, b] = [rows[1]!, rows[2]!];
    await run(sql`update audit_entries set seq = -1 where tenant_id = ${tenantId} and id = ${a.id}`);
    await run(sql`update audit_entries set seq = ${a.seq} where tenant_id = ${tenantId} and id = ${b.id}`);
    await run(sql`update audit_entries set seq = ${b.seq} where tenant_id = ${tenantId} and id = ${a.id}`);
    const report = await verify(tenantId);
    expect(report.ok).toBe(false);
    expect(report.problems[0]).toMatchObject({ position: a.seq, id: b.id });
  });

  it('finds rows inserted behind the application’s back, sealed or pending', async () => {
    const { tenantId, rows, s } = await sealedTenant();
    const last = rows[rows.length - 1]!;
    const fake = '11111111-1111-4111-8111-111111111111';
    // A copy of a real entry under a new id at the end, with a plausible chain hash and no valid MAC.
    await run(sql`insert into audit_entries (tenant_id, id, seq, at, actor_kind, action, mac, prev_id, chain_hash)
      values (${tenantId}, ${fake}, ${last.seq + 1}, now(), 'user', 'contact.read', decode(repeat('ab', 32), 'hex'), ${last.id}, decode(repeat('cd', 32), 'hex'))`);
    let report = await verify(tenantId);
    expect(report.ok).toBe(false);
    expect(report.problems[0]).toMatchObject({ position: last.seq + 1, id: fake });
    await run(sql`delete from audit_entries where tenant_id = ${tenantId} and id = ${fake}`);
    expect((await verify(tenantId)).ok).toBe(true);

    // Pending: the sealer refuses it, and verify names it.
    const pending = '22222222-2222-4222-8222-222222222222';
    await run(sql`insert into audit_entries (tenant_id, id, at, actor_kind, actor_user_id, action)
      values (${tenantId}, ${pending}, now(), 'user', ${s.tt.admin.id}, 'contact.read')`);
    expect(await sealTenant(t.handle.db, t.keyring, tenantId)).toMatchObject({ sealed: 0, rejected: 1 });
    report = await verify(tenantId);
    expect(report.ok).toBe(false);
    expect(report.problems[0]).toMatchObject({ id: pending, position: null });
    expect(report.problems[0]!.problem).toContain('outside Custodia');
  });

  it('finds a truncated tail, and against a saved checkpoint also a truncation with the head rolled back', async () => {
    const { s, contact, tenantId, rows } = await sealedTenant();
    const saved = await currentCheckpoint(t.handle.db, t.keyring, tenantId);
    expect(saved.size).toBe(rows.length);
    const earlierHead = (await run(sql`select * from audit_heads where tenant_id = ${tenantId}`)).rows[0] as Record<string, unknown>;
    await s.get(`/api/v1/contacts/${contact.id}`);
    await s.get(`/api/v1/contacts/${contact.id}`);
    const later = await currentCheckpoint(t.handle.db, t.keyring, tenantId);
    expect((await verify(tenantId, { checkpoint: saved })).checkpoint).toBe('matched');

    // Remove the last two entries: the signed head still counts them.
    await run(sql`delete from audit_entries where tenant_id = ${tenantId} and seq > ${rows.length}`);
    let report = await verify(tenantId);
    expect(report.ok).toBe(false);
    expect(report.problems[0]!.problem).toContain('removed from the end');

    // Roll the head back to an older signed one too: only a head kept outside the database tells.
    await run(sql`update audit_heads set size = ${earlierHead.size as number}, head_hash = ${earlierHead.head_hash as Buffer},
      last_id = ${earlierHead.last_id as string}, signature = ${earlierHead.signature as Buffer} where tenant_id = ${tenantId}`);
    expect((await verify(tenantId)).ok).toBe(true);
    report = await verify(tenantId, { checkpoint: later });
    expect(report.ok).toBe(false);
    expect(report.problems[0]!.problem).toContain('truncated');
  });

  it('refuses a checkpoint file that is malformed as invalid_checkpoint, not as evidence of tampering', async () => {
    const { tenantId } = await sealedTenant();
    const saved = await currentCheckpoint(t.handle.db, t.keyring, tenantId);
    expect(parseCheckpoint(JSON.stringify(saved))).toEqual(saved);
    for (const broken of [
      { size: -1 },
      { size: 1.5 },
      { signature: 'not base64!' },
      { signature: Buffer.alloc(63).toString('base64') },
      { signature: '' },
      { publicKey: Buffer.alloc(31).toString('base64') },
      { tenantId: 'acme' },
      { lastId: 42 },
      { headHash: 'ab' },
    ]) {
      expect(() => parseCheckpoint(JSON.stringify({ ...saved, ...broken })), JSON.stringify(broken)).toThrow(
        expect.objectContaining({ code: 'invalid_checkpoint' }) as Error,
      );
    }
  });

  it('refuses a saved checkpoint that was edited', async () => {
    const { tenantId } = await sealedTenant();
    const saved = await currentCheckpoint(t.handle.db, t.keyring, tenantId);
    const report = await verify(tenantId, { checkpoint: { ...saved, size: saved.size - 1 } });
    expect(report.ok).toBe(false);
    expect(report.problems[0]!.problem).toContain('signature');
  });
});

describe('erasure and retention', () => {
  it('keeps the entries of an erased person verifiable while their values become unreadable', async () => {
    const s = await crmSession(t);
    const contact = await newContact(s);
    await s.patch(`/api/v1/contacts/${contact.id}`, { firstName: 'Before erasure' });
    await eraseSubject(t.handle.db, t.keyring, s.tt.tenant.id, contact.subjectId, { userId: s.tt.admin.id });
    const list = await auditEntries(s, `subjectId=${contact.subjectId}`);
    const update = list.find((e) => e.action === 'contact.updated')!;
    expect(update).toMatchObject({ changes: null, valuesErased: true, fields: ['firstName'] });
    expect(list.map((e) => e.action)).toEqual(expect.arrayContaining(['contact.created', 'contact.updated']));
    expect((await auditEntries(s, 'action=key.subject_shredded')).length).toBe(1);
    const report = await verifyTenant(t.handle.db, t.keyring, s.tt.tenant.id);
    expect(report.problems).toEqual([]);
  });

  it('archives entries past retention behind a signed anchor, and the rest still verifies', async () => {
    const s = await crmSession(t);
    const contact = await newContact(s);
    await s.get(`/api/v1/contacts/${contact.id}`);
    expect(
      (
        await t.app.inject({
          method: 'PUT',
          url: '/api/v1/audit/settings',
          headers: { authorization: `Bearer ${s.token}` },
          payload: { retentionDays: 30 },
        })
      ).json(),
    ).toMatchObject({
      retentionDays: 30,
    });
    await sealTenant(t.handle.db, t.keyring, s.tt.tenant.id);
    const before = await verifyTenant(t.handle.db, t.keyring, s.tt.tenant.id);
    const saved = await currentCheckpoint(t.handle.db, t.keyring, s.tt.tenant.id);
    const archived = await archiveExpired(t.handle.db, t.keyring, s.tt.tenant.id, new Date(Date.now() + 31 * 86_400_000));
    expect(archived).toBe(before.entries);
    expect(saved.size).toBe(archived);
    // A head saved exactly where the archive was cut is checked against the signed anchor.
    expect(await verifyTenant(t.handle.db, t.keyring, s.tt.tenant.id, { checkpoint: saved })).toMatchObject({
      ok: true,
      checkpoint: 'matched',
    });
    const otherHistory = { ...saved, headHash: randomBytes(32).toString('hex') };
    otherHistory.signature = signHead(t.keyring, {
      kind: 'head',
      tenantId: saved.tenantId,
      size: saved.size,
      headHash: Buffer.from(otherHistory.headHash, 'hex'),
      lastId: saved.lastId,
    }).toString('base64');
    const differs = await verifyTenant(t.handle.db, t.keyring, s.tt.tenant.id, { checkpoint: otherHistory });
    expect(differs.ok).toBe(false);
    expect(differs.problems.map((p) => p.problem)).toEqual([expect.stringContaining('differs from the saved checkpoint')]);
    await s.get(`/api/v1/contacts/${contact.id}`);
    const after = await verifyTenant(t.handle.db, t.keyring, s.tt.tenant.id);
    expect(after.problems).toEqual([]);
    expect(after).toMatchObject({ ok: true, archivedUpTo: before.entries });
    expect(after.entries).toBeGreaterThan(0);
  });
});

describe('concurrency', () => {
  it('keeps the chain valid with many parallel writers and sealers', async () => {
    const s = await crmSession(t);
    const contacts = await Promise.all(Array.from({ length: 5 }, () => newContact(s)));
    const work: Array<Promise<unknown>> = [];
    for (let i = 0; i < 60; i++) {
      const c = contacts[i % contacts.length]!;
      work.push(i % 6 === 0 ? s.patch(`/api/v1/contacts/${c.id}`, { jobTitle: `Title ${i}` }) : s.get(`/api/v1/contacts/${c.id}`));
      if (i % 10 === 0) work.push(sealTenant(t.handle.db, t.keyring, s.tt.tenant.id));
    }
    await Promise.all(work);
    const report = await verifyTenant(t.handle.db, t.keyring, s.tt.tenant.id);
    expect(report.problems).toEqual([]);
    const reads = await run(
      sql`select count(*)::int as n from audit_entries where tenant_id = ${s.tt.tenant.id} and action = 'contact.read'`,
    );
    expect((reads.rows[0] as { n: number }).n).toBe(50);
    const seqs = await run(
      sql`select min(seq)::int as lo, max(seq)::int as hi, count(*)::int as n from audit_entries where tenant_id = ${s.tt.tenant.id}`,
    );
    const { lo, hi, n } = seqs.rows[0] as { lo: number; hi: number; n: number };
    expect([lo, hi]).toEqual([1, n]);
  });
});
