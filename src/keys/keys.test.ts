import { execFileSync } from 'node:child_process';
import { hkdfSync, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { openBareTestDatabase, pgliteTemplate, testDbKind, useTestDatabase } from '../../test/db.js';
import { testConfig, uniqueSlug } from '../../test/factories.js';
import { openPglite } from '../db/database.js';
import { encryptLegacyUsers, findUserByEmail, reindexUsers, searchUsersByName } from '../identity/user-crypto.js';
import { createContact } from '../crm/people/contacts.service.js';
import { createNote } from '../crm/notes/notes.service.js';
import { createTenant } from '../provisioning/provision.js';
import { terminateTenant } from '../tenants/tenants.service.js';
import { decryptField, encryptField, FieldDecryptionError, fieldKey } from './field-crypto.js';
import { deriveKey } from './secret-box.js';
import { KeyError } from './keys.errors.js';
import { createSubject, createTenantKey, initializeKeys, openField, sealField, subjectKey } from './keys.service.js';
import { eraseSubject } from '../key-lifecycle/shredding.js';
import { Keyring, SubjectKeyCache } from './keyring.js';
import { LocalMasterKey } from './master-key-provider.js';
import { keyStatus, rotateMasterKey, rotateTenantKey } from '../key-lifecycle/rotation.js';

const t = useTestDatabase();

// Strings no real data contains, so finding one anywhere means a leak.
function marker(kind: string): string {
  return `zq${kind}${randomBytes(6).toString('hex')}`;
}

async function tenantWithPerson(keyring: Keyring, db = t.handle.db) {
  const email = `${marker('mail')}@example.test`;
  const name = `Ximena ${marker('name')}`;
  const { tenant, admin } = await createTenant(
    db,
    { ...testConfig(), keyring },
    {
      slug: uniqueSlug(),
      name: 'Marker Test BV',
      adminEmail: email,
      adminPassword: 'a long enough passphrase',
      adminName: name,
    },
  );
  return { tenant, admin, email, name };
}

describe('key derivation', () => {
  it('is HKDF-SHA-256 with an empty salt, byte for byte what node:crypto computes', () => {
    for (const purpose of ['field-encryption', 'blind-index/contact_email', 'audit/mac/01a2', 'ü-purpose']) {
      for (let i = 0; i < 20; i++) {
        const parent = randomBytes(32);
        const expected = Buffer.from(hkdfSync('sha256', parent, Buffer.alloc(0), `custodia/${purpose}`, 32));
        expect(deriveKey(parent, purpose).equals(expected)).toBe(true);
      }
    }
    const parent = randomBytes(32);
    expect(deriveKey(parent, 'a').equals(deriveKey(parent, 'b'))).toBe(false);
  });
});

describe('field encryption', () => {
  const ctx = { tenantId: 't1', table: 'contacts', rowId: 'r1', field: 'first_name' };
  const key = fieldKey(randomBytes(32));

  it('round-trips and never repeats a ciphertext', () => {
    const a = encryptField(key, 1, ctx, 'Zoë');
    const b = encryptField(key, 1, ctx, 'Zoë');
    expect(a.equals(b)).toBe(false);
    expect(decryptField(key, ctx, a)).toBe('Zoë');
  });

  it.each([
    ['another row', { rowId: 'r2' }],
    ['another field', { field: 'last_name' }],
    ['another table', { table: 'leads' }],
    ['another tenant', { tenantId: 't2' }],
  ])('refuses a ciphertext copied to %s', (_label, change) => {
    const sealed = encryptField(key, 1, ctx, 'secret value');
    expect(() => decryptField(key, { ...ctx, ...change }, sealed)).toThrow(FieldDecryptionError);
  });

  it('refuses a tampered ciphertext, a wrong key and garbage, without revealing the value', () => {
    const sealed = encryptField(key, 1, ctx, 'secret value');
    const tampered = Buffer.from(sealed);
    tampered[20] = tampered[20]! ^ 1;
    expect(() => decryptField(key, ctx, tampered)).toThrow(FieldDecryptionError);
    expect(() => decryptField(fieldKey(randomBytes(32)), ctx, sealed)).toThrow(FieldDecryptionError);
    expect(() => decryptField(key, ctx, Buffer.alloc(5))).toThrow(FieldDecryptionError);
    try {
      decryptField(key, ctx, tampered);
    } catch (error) {
      expect((error as Error).message).not.toContain('secret value');
    }
  });
});

describe('the key hierarchy', () => {
  it('stores no personal plaintext: the raw rows hold neither name nor e-mail', async () => {
    const { tenant, email, name } = await tenantWithPerson(t.keyring);
    const rows = await sql<Record<string, unknown>>`select * from users where tenant_id = ${tenant.id}`.execute(t.handle.db);
    const dump = JSON.stringify(rows.rows, (_k, v: unknown) => (Buffer.isBuffer(v) ? v.toString('latin1') : v));
    expect(dump).not.toContain(email.split('@')[0]!);
    expect(dump).not.toContain(name.split(' ')[1]!);
    // …and yet the service reads them back and finds the user by e-mail, in any case.
    const found = await findUserByEmail(t.handle.db, t.keyring, tenant.id, email.toUpperCase());
    expect(found).toMatchObject({ email, name });
  });

  it('refuses to open the keys with another master key', async () => {
    const other = new Keyring(new LocalMasterKey(randomBytes(32), 'wrong'));
    await expect(initializeKeys(t.handle.db, other)).rejects.toMatchObject({ code: 'master_key_mismatch' });
  });

  it('keeps a subject key per person, and erasing destroys it for good', async () => {
    const { tenant } = await tenantWithPerson(t.keyring);
    const subject = await createSubject(t.handle.db, t.keyring, tenant.id, 'person');
    const ref = { tenantId: tenant.id, subjectId: subject.id, table: 'contacts', rowId: subject.id, field: 'note' };
    const sealed = await sealField(t.handle.db, t.keyring, ref, 'likes sailing');
    expect(await openField(t.handle.db, t.keyring, ref, sealed)).toBe('likes sailing');

    await eraseSubject(t.handle.db, t.keyring, tenant.id, subject.id);
    await expect(openField(t.handle.db, t.keyring, ref, sealed)).rejects.toMatchObject({ code: 'subject_erased' });
    // Even a fresh process with the right master key (no cache) finds nothing to unwrap.
    const fresh = new Keyring(t.keyring.master);
    await initializeKeys(t.handle.db, fresh);
    await expect(subjectKey(t.handle.db, fresh, tenant.id, subject.id)).rejects.toBeInstanceOf(KeyError);
    const left = await t.handle.db.selectFrom('subject_keys').select('subject_id').where('subject_id', '=', subject.id).execute();
    expect(left).toHaveLength(0);
    const event = await t.handle.db
      .selectFrom('security_events')
      .select('type')
      .where('tenant_id', '=', tenant.id)
      .where('type', '=', 'key.subject_shredded')
      .execute();
    expect(event).toHaveLength(1);
  });

  it("never serves a shredded subject's key from the cache, nor lets a late read put it back", async () => {
    const { tenant } = await tenantWithPerson(t.keyring);
    const subject = await createSubject(t.handle.db, t.keyring, tenant.id, 'person');
    const key = await subjectKey(t.handle.db, t.keyring, tenant.id, subject.id);
    expect(t.keyring.subjectKeys.has(tenant.id, subject.id)).toBe(true);
    await eraseSubject(t.handle.db, t.keyring, tenant.id, subject.id);
    expect(t.keyring.subjectKeys.has(tenant.id, subject.id)).toBe(false);
    await expect(subjectKey(t.handle.db, t.keyring, tenant.id, subject.id)).rejects.toMatchObject({ code: 'subject_erased' });
    // A read that fetched the wrapped key before the erasure committed finishes after it: not cached again.
    t.keyring.subjectKeys.set(tenant.id, subject.id, key);
    expect(t.keyring.subjectKeys.has(tenant.id, subject.id)).toBe(false);
    await expect(subjectKey(t.handle.db, t.keyring, tenant.id, subject.id)).rejects.toMatchObject({ code: 'subject_erased' });
  });

  it('caches subject keys in a bounded LRU whose evictions never change a key already handed out', () => {
    const cache = new SubjectKeyCache(3);
    const keys = Array.from({ length: 5 }, () => randomBytes(32));
    cache.set('t', 's0', keys[0]!);
    const held = cache.get('t', 's0')!;
    for (let i = 1; i < 5; i++) cache.set('t', `s${i}`, keys[i]!);
    expect(cache.size).toBe(3);
    expect(cache.get('t', 's0')).toBeUndefined();
    expect(held.equals(keys[0]!)).toBe(true);
    for (let i = 2; i < 5; i++) expect(cache.get('t', `s${i}`)!.equals(keys[i]!)).toBe(true);
    cache.forgetTenant('t');
    expect(cache.size).toBe(0);
  });

  it('holds each subject key with its field key, derived once, and forgets both together', () => {
    const cache = new SubjectKeyCache(2);
    const keys = Array.from({ length: 3 }, () => randomBytes(32));
    keys.forEach((k, i) => cache.set('t', `s${i}`, k));
    expect(cache.getFieldKey('t', 's0')).toBeUndefined(); // evicted with its subject key
    for (const i of [1, 2]) {
      expect(cache.getFieldKey('t', `s${i}`)!.equals(fieldKey(keys[i]!))).toBe(true);
      expect(cache.get('t', `s${i}`)!.equals(keys[i]!)).toBe(true);
    }
    cache.set('t', 's1', keys[0]!); // a key replaced in place replaces its field key too
    expect(cache.getFieldKey('t', 's1')!.equals(fieldKey(keys[0]!))).toBe(true);
    cache.forgetSubject('t', 's2');
    expect(cache.getFieldKey('t', 's2')).toBeUndefined();
    cache.set('t', 's2', keys[2]!); // shredded moments ago: not cached again
    expect(cache.getFieldKey('t', 's2')).toBeUndefined();
  });

  it("keeps one tenant's keys away from another (cross-tenant)", async () => {
    const a = await tenantWithPerson(t.keyring);
    const b = await tenantWithPerson(t.keyring);
    const subject = await createSubject(t.handle.db, t.keyring, a.tenant.id, 'person');
    await expect(subjectKey(t.handle.db, t.keyring, b.tenant.id, subject.id)).rejects.toMatchObject({ code: 'subject_erased' });
    const ref = { tenantId: a.tenant.id, subjectId: subject.id, table: 'contacts', rowId: subject.id, field: 'note' };
    const sealed = await sealField(t.handle.db, t.keyring, ref, 'private');
    await expect(openField(t.handle.db, t.keyring, { ...ref, tenantId: b.tenant.id }, sealed)).rejects.toBeInstanceOf(Error);
  });

  it("destroys a terminated tenant's keys: its people are unreadable", async () => {
    const { tenant, admin } = await tenantWithPerson(t.keyring);
    await terminateTenant(t.handle.db, { ...testConfig(), keyring: t.keyring }, tenant.slug);
    const keys = await t.handle.db.selectFrom('tenant_keys').selectAll().where('tenant_id', '=', tenant.id).execute();
    expect(keys.every((k) => k.state === 'destroyed' && k.wrapped_key === null)).toBe(true);
    const fresh = new Keyring(t.keyring.master);
    await initializeKeys(t.handle.db, fresh);
    const row = await t.handle.db.selectFrom('users').select('subject_id').where('id', '=', admin.id).executeTakeFirstOrThrow();
    await expect(subjectKey(t.handle.db, fresh, tenant.id, row.subject_id!)).rejects.toBeInstanceOf(KeyError);
  });

  it('finds people by name prefix and word through the blind index, confirmed after decryption', async () => {
    const { tenant } = await tenantWithPerson(t.keyring);
    const found = await searchUsersByName(t.handle.db, t.keyring, tenant.id, 'xim');
    expect(found.map((u) => u.name)).toHaveLength(1);
    expect(await searchUsersByName(t.handle.db, t.keyring, tenant.id, 'XIMENA')).toHaveLength(1);
    expect(await searchUsersByName(t.handle.db, t.keyring, tenant.id, 'ximenb')).toHaveLength(0);
  });
});

describe('rotation', () => {
  it('keeps every record readable and searchable after a tenant key rotation', async () => {
    const { tenant, email, name } = await tenantWithPerson(t.keyring);
    const result = await rotateTenantKey(t.handle.db, t.keyring, tenant.id, [reindexUsers], 1);
    expect(result).toMatchObject({ fromVersion: 1, toVersion: 2, rewrapped: 1 });
    const fresh = new Keyring(t.keyring.master);
    await initializeKeys(t.handle.db, fresh);
    expect(await findUserByEmail(t.handle.db, fresh, tenant.id, email)).toMatchObject({ name });
    expect(await searchUsersByName(t.handle.db, fresh, tenant.id, 'ximen')).toHaveLength(1);
    const versions = await t.handle.db
      .selectFrom('tenant_keys')
      .select(['version', 'state'])
      .where('tenant_id', '=', tenant.id)
      .orderBy('version')
      .execute();
    expect(versions).toEqual([
      { version: 1, state: 'retired' },
      { version: 2, state: 'active' },
    ]);
    const oldTerms = await t.handle.db
      .selectFrom('blind_index_terms')
      .select('term')
      .where('tenant_id', '=', tenant.id)
      .where('key_version', '=', 1)
      .execute();
    expect(oldTerms).toHaveLength(0);
  });

  it('re-wraps every key under a new master key, the old one configured as previous', async () => {
    const bare = await openBareTestDatabase();
    const db = bare.handle;
    try {
      const oldMaster = new LocalMasterKey(randomBytes(32), 'old');
      const before = new Keyring(oldMaster);
      await initializeKeys(db.db, before);
      const { tenant, email } = await tenantWithPerson(before, db.db);

      const newMaster = new LocalMasterKey(randomBytes(32), 'new');
      const during = new Keyring(newMaster, [oldMaster]);
      await initializeKeys(db.db, during);
      const rotated = await rotateMasterKey(db.db, during);
      expect(rotated.rewrapped).toBe(2); // the instance key and the tenant key

      const after = new Keyring(newMaster);
      await initializeKeys(db.db, after);
      expect(await findUserByEmail(db.db, after, tenant.id, email)).toBeDefined();
      await expect(initializeKeys(db.db, new Keyring(oldMaster))).rejects.toMatchObject({ code: 'master_key_mismatch' });
      const status = await keyStatus(db.db, after);
      expect(status.instanceKeyUnder).toBe(newMaster.keyId);
      expect(status.tenantKeys).toEqual([{ masterKeyId: newMaster.keyId, state: 'active', count: 1 }]);
    } finally {
      await bare.dispose();
    }
  });
});

describe.runIf(testDbKind() === 'pglite')('the embedded data directory', () => {
  it('holds no marker of a person in any of its files', async () => {
    const dir = path.join(await mkdtemp(path.join(os.tmpdir(), 'custodia-bytes-')), 'data');
    const db = await openPglite({ dataDir: dir, loadDataDir: await pgliteTemplate() });
    const keyring = new Keyring(new LocalMasterKey(randomBytes(32), 'test'));
    await initializeKeys(db.db, keyring);
    const { tenant, admin, email, name } = await tenantWithPerson(keyring, db.db);
    const actor = { tenantId: tenant.id, user: admin, via: 'session', scopes: ['read', 'write'], mfaEnrolmentRequired: false } as const;
    const contactName = marker('contact');
    const contactMail = `${marker('cmail')}@example.test`;
    const noteText = marker('note');
    const contact = await createContact(
      db.db,
      keyring,
      { ...actor, scopes: [...actor.scopes] },
      {
        firstName: contactName,
        lastName: 'Marker',
        emails: [contactMail],
        phones: ['+31 6 9876 5432'],
      },
    );
    await createNote(db.db, keyring, { ...actor, scopes: [...actor.scopes] }, { contactId: contact.id, body: noteText });
    await sql`checkpoint`.execute(db.db);
    await db.close();
    const needles = [email.split('@')[0]!, name.split(' ')[1]!, contactName, contactMail.split('@')[0]!, noteText, '9876 5432'].map((s) =>
      Buffer.from(s),
    );
    let files = 0;
    const walk = async (folder: string): Promise<void> => {
      for (const entry of await readdir(folder, { withFileTypes: true })) {
        const full = path.join(folder, entry.name);
        if (entry.isDirectory()) await walk(full);
        else {
          const bytes = await readFile(full);
          files++;
          for (const needle of needles) expect(bytes.includes(needle), `${needle} found in ${full}`).toBe(false);
        }
      }
    };
    await walk(dir);
    expect(files).toBeGreaterThan(100);
  });

  it('holds no marker in a dump of the database', async () => {
    const { email, name } = await tenantWithPerson(t.keyring);
    const dump = gunzipSync(Buffer.from(await (await t.handle.dumpDataDir!()).arrayBuffer()));
    expect(dump.includes(Buffer.from(email.split('@')[0]!))).toBe(false);
    expect(dump.includes(Buffer.from(name.split(' ')[1]!))).toBe(false);
  });
});

describe.runIf(testDbKind() === 'postgres')('a pg_dump of the server database', () => {
  it('holds no marker of a person', async () => {
    const { email, name } = await tenantWithPerson(t.keyring);
    const dump = execFileSync('pg_dump', ['--no-owner', t.url!], { maxBuffer: 256 * 1024 * 1024 });
    expect(dump.length).toBeGreaterThan(1000);
    expect(dump.includes(Buffer.from(email.split('@')[0]!))).toBe(false);
    expect(dump.includes(Buffer.from(name.split(' ')[1]!))).toBe(false);
  });
});

describe('the tenant key', () => {
  it('exists once per version and is stored wrapped', async () => {
    const { tenant } = await tenantWithPerson(t.keyring);
    await expect(createTenantKey(t.handle.db, t.keyring, tenant.id, 1)).rejects.toBeDefined();
    const row = await t.handle.db.selectFrom('tenant_keys').selectAll().where('tenant_id', '=', tenant.id).executeTakeFirstOrThrow();
    expect(row.wrapped_key!.length).toBeGreaterThan(32);
    expect(row.master_key_id).toBe(t.keyring.master.keyId);
  });
});

describe('users written before encryption', () => {
  it('are moved into ciphertext at start and can still sign in by e-mail', async () => {
    const { tenant } = await tenantWithPerson(t.keyring);
    const email = `${marker('legacy')}@example.test`;
    const id = '01900000-0000-7000-8000-000000000001';
    await t.handle.db
      .insertInto('users')
      .values({
        tenant_id: tenant.id,
        id,
        email,
        name: 'Legacy Lou',
        password_hash: 'not-a-real-hash',
        is_admin: false,
        status: 'active',
        updated_at: new Date(),
      } as never)
      .execute();
    expect(await findUserByEmail(t.handle.db, t.keyring, tenant.id, email)).toMatchObject({ id, name: 'Legacy Lou' });
    expect(await encryptLegacyUsers(t.handle.db, t.keyring)).toBe(1);
    const row = await t.handle.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(row.email).toBeNull();
    expect(row.name).toBeNull();
    expect(row.email_enc).not.toBeNull();
    expect(await findUserByEmail(t.handle.db, t.keyring, tenant.id, email.toUpperCase())).toMatchObject({ id, name: 'Legacy Lou' });
    expect(await encryptLegacyUsers(t.handle.db, t.keyring)).toBe(0);
  });
});
