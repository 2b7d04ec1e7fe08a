import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { systemActor } from '../src/audit/recorder.js';
import { deleteContact } from '../src/crm/people/contacts.service.js';
import { eraseRecords } from '../src/privacy/erasure/erasure.service.js';
import type { Authenticated } from '../src/shared/actor.js';
import { machine, mergeResults } from './report.js';
import { seededTenant, type SeededTenant } from './tenant.js';

// `npm run bench:erasure [-- --contacts N] [--mode pglite|postgres] [--samples K]`:
// the time of one erasure (issue 17: "one transaction, well under 100 ms whatever
// the size of the tenant") in a tenant of N encrypted contacts, next to the
// baseline of the same run: the ordinary delete of a contact into the recycle
// bin. Each erasure shreds a key, deletes the person's rows, adds suppression
// entries and writes an audit entry; writes bench/RESULTS.md.

const { values: args } = parseArgs({
  options: {
    contacts: { type: 'string', default: '100000' },
    mode: { type: 'string', default: 'postgres' },
    samples: { type: 'string', default: '60' },
  },
});
const contacts = Number(args.contacts.replace(/[_,]/g, ''));
const samples = Number(args.samples);
const mode = args.mode as 'pglite' | 'postgres';
if (!Number.isSafeInteger(contacts) || contacts < samples * 2)
  throw new Error('--contacts must be a whole number of at least twice --samples');
if (mode !== 'pglite' && mode !== 'postgres') throw new Error('--mode must be pglite or postgres');
const TARGET_MS = 100;

const log = (text: string) => process.stderr.write(`${text}\n`);
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;

const workDir = await mkdtemp(path.join(os.tmpdir(), 'custodia-erasure-bench-'));
let seeded: SeededTenant | undefined;
try {
  seeded = await seededTenant({ mode, contacts, workDir, slugPrefix: 'erase', name: 'Erasure BV', log });
  const { database, keyring, tenant, admin, ids } = seeded;
  const actor: Authenticated = {
    tenantId: tenant.id,
    user: admin,
    via: 'session',
    scopes: ['read', 'write', 'admin'],
    mfaEnrolmentRequired: false,
  };

  // Spread over the table; alternate erasure and the baseline so both see the same machine.
  const stride = Math.floor(ids.length / (samples * 2));
  const erase: number[] = [];
  const remove: number[] = [];
  for (let i = 0; i < samples * 2; i++) {
    const id = ids[i * stride]!;
    const start = process.hrtime.bigint();
    if (i % 2 === 0) await eraseRecords(database.db, keyring, tenant.id, { table: 'contacts', id }, { actor: systemActor('benchmark') });
    else await deleteContact(database.db, keyring, actor, id);
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    (i % 2 === 0 ? erase : remove).push(ms);
  }
  for (const list of [erase, remove]) list.splice(0, 3); // the first calls warm caches and prepared plans
  erase.sort((a, b) => a - b);
  remove.sort((a, b) => a - b);
  const row = (name: string, list: number[]) =>
    `| ${name} | ${percentile(list, 0.5).toFixed(1)} | ${percentile(list, 0.95).toFixed(1)} | ${list.at(-1)!.toFixed(1)} |`;
  const p95 = percentile(erase, 0.95);
  const ratio = percentile(erase, 0.5) / percentile(remove, 0.5);
  const body = [
    `Measured ${new Date().toISOString()} on ${machine()}: ${mode === 'postgres' ? 'PostgreSQL server' : 'embedded PGlite'}, one tenant of ${contacts.toLocaleString('en')} encrypted contacts, ${erase.length} erasures and ${remove.length} baseline deletes, one at a time, alternating.`,
    '',
    '| operation | median ms | p95 ms | max ms |',
    '|---|---:|---:|---:|',
    row('erasure (suppress, delete rows, shred key, audit; one transaction)', erase),
    row('baseline: delete into the recycle bin', remove),
    '',
    `Erasure median is ${ratio.toFixed(1)}× the baseline's. Target p95 < ${TARGET_MS} ms: **${p95 < TARGET_MS ? 'PASS' : 'FAIL'}** (${p95.toFixed(1)} ms).`,
  ].join('\n');
  process.stdout.write(`${body}\n`);
  const file = path.join(path.dirname(fileURLToPath(import.meta.url)), 'RESULTS.md');
  const existing = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const title = `Erasure — ${mode}, ${contacts.toLocaleString('en')} contacts`;
  writeFileSync(file, mergeResults(existing, existing.split('\n## ')[0]!.trim(), [{ title, body }]));
} finally {
  await seeded?.database.close();
  await seeded?.drop();
  await rm(workDir, { recursive: true, force: true });
}
