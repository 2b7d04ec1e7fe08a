import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { recordRead, useAuditKeyring } from '../src/audit/audit.service.js';
import { sealTenant } from '../src/audit/sealer.js';
import { verifyTenant } from '../src/audit/verify.js';
import { contactKind, createContact, getContact, type Contact } from '../src/crm/contacts.service.js';
import { getPerson, type PersonKind } from '../src/crm/person-records.js';
import { migrateToLatest, openPglite, openPostgres } from '../src/db/database.js';
import type { Authenticated } from '../src/identity/identity.service.js';
import { Keyring } from '../src/keys/keyring.js';
import { initializeKeys } from '../src/keys/keys.service.js';
import { LocalMasterKey } from '../src/keys/master-key-provider.js';
import { createTenant } from '../src/tenants/tenants.service.js';
import { loadConfig } from '../src/config.js';

// The audit trail's costs, on its own (not part of `npm run bench`):
//   node --import tsx bench/audit.bench.ts [--database-url postgres://…] [--entries 100000] [--seconds 5] [--concurrency 16]
// 1. get-contact through the service with its read recorded, against the same read without recording;
// 2. sealing and verifying a trail of --entries entries (1,000,000 is the target: under 10 s).

const { values } = parseArgs({
  options: {
    'database-url': { type: 'string' },
    entries: { type: 'string', default: '100000' },
    seconds: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '16' },
  },
});
const say = (line: string) => process.stdout.write(`${line}\n`);
const seconds = Number(values.seconds);
const concurrency = Number(values.concurrency);
const entries = Number(values.entries);

const handle = values['database-url'] ? await openPostgres(values['database-url'], 10) : await openPglite({});
await migrateToLatest(handle.db);
const keyring = new Keyring(new LocalMasterKey(randomBytes(32), 'bench'));
await initializeKeys(handle.db, keyring);
useAuditKeyring(keyring);
const config = loadConfig({ LOG_LEVEL: 'silent' });
const { tenant, admin } = await createTenant(handle.db, { ...config, keyring }, {
  slug: `bench-${randomBytes(3).toString('hex')}`,
  name: 'Bench',
  adminEmail: 'admin@bench.test',
  adminPassword: 'a long bench passphrase',
});
const actor = (): Authenticated => ({ tenantId: tenant.id, user: admin, via: 'session', scopes: ['read', 'write', 'admin'], mfaEnrolmentRequired: false });
const contacts: Contact[] = [];
for (let i = 0; i < 200; i++) {
  contacts.push(await createContact(handle.db, keyring, actor(), { firstName: `First${i}`, lastName: `Last${i}`, emails: [`p${i}@bench.test`] }));
}

async function throughput(name: string, read: (id: string) => Promise<unknown>): Promise<number> {
  let done = 0;
  const until = Date.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async (_v, w) => {
      for (let i = w; Date.now() < until; i += concurrency) {
        await read(contacts[i % contacts.length]!.id);
        done++;
      }
    }),
  );
  const perSecond = done / seconds;
  say(`${name.padEnd(44)} ${perSecond.toFixed(0).padStart(8)} reads/s`);
  return perSecond;
}

say(`database: ${handle.kind}, concurrency ${concurrency}, ${seconds} s each`);
const kind = contactKind as PersonKind<Contact, never>;
// Warm caches (keys, access snapshot) on both paths first.
await throughput('warm-up', (id) => getContact(handle.db, keyring, actor(), id));
const without = await throughput('get contact, read not recorded', (id) => getPerson(handle.db, keyring, actor(), kind, id, { raw: true }));
const withAudit = await throughput('get contact, read recorded (group commit)', (id) => getContact(handle.db, keyring, actor(), id));
say(`recorded / not recorded: ${((withAudit / without) * 100).toFixed(0)}%`);

// A large trail: bulk entries written through the same recorder, then sealed and verified.
const started = Date.now();
const writes: Array<Promise<void>> = [];
for (let i = 0; i < entries; i++) {
  writes.push(recordRead(handle.db, keyring, { tenantId: tenant.id, actor: { kind: 'user', userId: admin.id }, action: 'contact.read', entity: 'contacts', entityId: contacts[i % 200]!.id, subjectIds: [contacts[i % 200]!.subjectId], fields: ['firstName', 'lastName', 'emails'] }));
  if (writes.length >= 5000) await Promise.all(writes.splice(0));
}
await Promise.all(writes);
say(`recorded ${entries} entries in ${((Date.now() - started) / 1000).toFixed(1)} s`);
let t0 = Date.now();
const sealed = await sealTenant(handle.db, keyring, tenant.id, { wait: true });
say(`sealed ${sealed.sealed} entries in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
t0 = Date.now();
const report = await verifyTenant(handle.db, keyring, tenant.id, { seal: false });
const took = (Date.now() - t0) / 1000;
say(`verified ${report.entries} entries in ${took.toFixed(1)} s (${(report.entries / took).toFixed(0)}/s; 1,000,000 ≈ ${((1_000_000 / report.entries) * took).toFixed(1)} s), ok=${report.ok}`);
const size = await sql<{ size: string }>`select pg_size_pretty(pg_total_relation_size('audit_entries')) as size`.execute(handle.db);
say(`audit_entries on disk: ${size.rows[0]!.size}`);
await handle.close();
