import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import pg from 'pg';
import { createBenchDatabase } from './http.bench.js';
import { machine, mergeResults } from './report.js';
import { seededTenant, type SeededTenant } from './tenant.js';

// `npm run bench:backup [-- --contacts N] [--mode postgres|pglite] [--no-write]`:
// Custodia's backup and restore (issue 18) of a tenant of N encrypted contacts
// (1,000,000 by default) — the operator's own commands, `custodia backup
// create` and `custodia backup restore <id>` into a fresh, empty database —
// beside `pg_dump -Fc` and `pg_restore` of the same database in the same run.
// Each command is a child process under GNU time, which gives its wall time
// and peak RSS; the database server's own work (the other side of every COPY
// and SELECT) is in the wall time but not in the RSS, alike for both. MB/s is
// the database's size on disk (pg_database_size after VACUUM) over the wall
// time, one yardstick for all four. Writes a section of bench/RESULTS.md.

const { values: args } = parseArgs({
  options: {
    contacts: { type: 'string', default: '1000000' },
    mode: { type: 'string', default: 'postgres' },
    'no-write': { type: 'boolean', default: false },
  },
});
const contacts = Number(args.contacts.replace(/[_,]/g, ''));
const mode = args.mode as 'pglite' | 'postgres';
if (!Number.isSafeInteger(contacts) || contacts < 1) throw new Error('--contacts must be a whole number of at least 1');
if (mode !== 'pglite' && mode !== 'postgres') throw new Error('--mode must be pglite or postgres');

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const log = (text: string) => process.stderr.write(`${text}\n`);
const MB = 1_000_000;
const MiB = 1024 * 1024;

interface Run {
  seconds: number;
  peakRssMiB: number;
  stdout: string;
}

/** Runs a command under GNU time (`%e %M`: wall seconds, peak RSS in KiB); fails with its stderr when it fails. */
function timed(command: string, argv: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/time', ['-f', 'TIMED %e %M', command, ...argv], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      const match = /TIMED ([\d.]+) (\d+)\s*$/.exec(stderr);
      if (code !== 0 || !match) {
        reject(new Error(`${[path.basename(command), ...argv].slice(0, 4).join(' ')} failed (${code}): ${stderr.slice(-2000)}`));
        return;
      }
      resolve({ seconds: Number(match[1]), peakRssMiB: Number(match[2]) / 1024, stdout });
    });
  });
}

/** The `custodia` command with the seeded database's environment (and `extra` on top). */
function custodia(seeded: SeededTenant, argv: string[], extra: Record<string, string> = {}): Promise<Run> {
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, ...seeded.env, LOG_LEVEL: 'warn', ...extra };
  return timed(process.execPath, ['bin/custodia.js', ...argv], env);
}

async function sizeOf(target: string): Promise<number> {
  const info = await stat(target);
  if (!info.isDirectory()) return info.size;
  let total = 0;
  for (const entry of await readdir(target)) total += await sizeOf(path.join(target, entry));
  return total;
}

async function countContacts(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>('select count(*) as n from contacts');
    return Number(rows[0]!.n);
  } finally {
    await client.end();
  }
}

/** The last JSON object a command printed (`backup create` prints one; progress goes to stderr). */
function lastJson(stdout: string): Record<string, unknown> {
  const start = stdout.lastIndexOf('\n{');
  return JSON.parse(stdout.slice(start < 0 ? 0 : start + 1)) as Record<string, unknown>;
}

interface Row {
  name: string;
  run: Run;
  /** What it wrote: the backup's objects or the dump file. */
  bytes?: number;
}

/** An empty database on the same server, dropped by dropNow() or at the end. */
async function scratchDatabase(): Promise<{ url: string; dropNow(): Promise<void> }> {
  const created = await createBenchDatabase(process.env.CUSTODIA_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
  if ('unreachable' in created) throw new Error(`PostgreSQL does not answer: ${created.unreachable}`);
  let dropped = false;
  const dropNow = async () => {
    if (!dropped) await created.drop();
    dropped = true;
  };
  drops.push(dropNow);
  return { url: created.url, dropNow };
}

const workDir = await mkdtemp(path.join(os.tmpdir(), 'custodia-backup-bench-'));
const drops: Array<() => Promise<void>> = [];
let seeded: SeededTenant | undefined;
let closed = false;
try {
  seeded = await seededTenant({ mode, contacts, workDir, slugPrefix: 'backup', name: 'Backup BV', log });
  drops.push(seeded.drop);
  log(`  seeded in ${seeded.seedSeconds.toFixed(1)} s; vacuum analyze and checkpoint`);
  // Settle the bulk load, so neither side pays for autovacuum or the checkpoint after it.
  await sql`vacuum analyze`.execute(seeded.database.db);
  if (mode === 'postgres') await sql`checkpoint`.execute(seeded.database.db);
  const databaseBytes =
    mode === 'postgres'
      ? Number((await sql<{ n: string }>`select pg_database_size(current_database()) as n`.execute(seeded.database.db)).rows[0]!.n)
      : 0;
  // The CLI opens the database itself (on PGlite only one process may hold the data dir).
  await seeded.database.close();
  closed = true;
  // Without a server the data dir's size is the yardstick, and there is nothing for pg_dump to talk to.
  const pgliteBytes = mode === 'pglite' ? await sizeOf(seeded.env.CUSTODIA_DATA_DIR!) : 0;
  const yardstick = databaseBytes || pgliteBytes;
  const backupDir = path.join(workDir, 'backups');
  const rows: Row[] = [];

  const loadAtStart = os.loadavg()[0]!;
  log('custodia backup create');
  const created = await custodia(seeded, ['backup', 'create'], { CUSTODIA_BACKUP_DIR: backupDir });
  const backup = lastJson(created.stdout);
  const backupId = String(backup.id);
  // An instance backup is the data (its `bytes`) and, from the same snapshot, the key store's backup beside it.
  const backupBytes = await sizeOf(backupDir);
  const dataBytes = typeof backup.bytes === 'number' ? backup.bytes : backupBytes;
  rows.push({ name: '`custodia backup create` (instance: data, and the key store apart)', run: created, bytes: backupBytes });
  log(`  ${created.seconds} s, ${(backupBytes / MiB).toFixed(1)} MiB`);

  let dumpBytes: number | undefined;
  if (mode === 'postgres') {
    const url = seeded.env.DATABASE_URL!;
    const dumpFile = path.join(workDir, 'dump.pgc');
    log('pg_dump -Fc');
    const dump = await timed('pg_dump', ['-Fc', '-f', dumpFile, url], { PATH: process.env.PATH });
    dumpBytes = (await stat(dumpFile)).size;
    rows.push({ name: '`pg_dump -Fc` (custom format, compressed)', run: dump, bytes: dumpBytes });
    log(`  ${dump.seconds} s, ${(dumpBytes / MiB).toFixed(1)} MiB`);

    const restoreDb = await scratchDatabase();
    log('custodia backup restore (into an empty database)');
    const restored = await custodia(seeded, ['backup', 'restore', backupId], {
      CUSTODIA_BACKUP_DIR: backupDir,
      DATABASE_URL: restoreDb.url,
      CUSTODIA_DATA_DIR: path.join(workDir, 'restored-data'),
    });
    const restoredContacts = await countContacts(restoreDb.url);
    if (restoredContacts !== contacts) throw new Error(`the restore holds ${restoredContacts} contacts, not ${contacts}`);
    await restoreDb.dropNow(); // before the next restore: the server's disk and cache serve one copy at a time
    rows.push({ name: '`custodia backup restore <id>` (into an empty database)', run: restored });
    log(`  ${restored.seconds} s`);

    const pgRestoreDb = await scratchDatabase();
    log('pg_restore (into an empty database)');
    const pgRestored = await timed('pg_restore', ['--no-owner', '-d', pgRestoreDb.url, dumpFile], { PATH: process.env.PATH });
    if ((await countContacts(pgRestoreDb.url)) !== contacts) throw new Error('pg_restore did not restore every contact');
    await pgRestoreDb.dropNow();
    rows.push({ name: '`pg_restore` of that dump (into an empty database)', run: pgRestored });
    log(`  ${pgRestored.seconds} s`);
  } else {
    log('custodia backup restore (into an empty data dir)');
    const restored = await custodia(seeded, ['backup', 'restore', backupId], {
      CUSTODIA_BACKUP_DIR: backupDir,
      CUSTODIA_DATA_DIR: path.join(workDir, 'restored-data'),
    });
    rows.push({ name: '`custodia backup restore <id>` (into an empty data dir)', run: restored });
    log(`  ${restored.seconds} s`);
  }

  const f1 = (n: number) => n.toFixed(1);
  const table = [
    '| operation | wall s | MB/s of the database | output MiB | peak RSS MiB |',
    '|---|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.name} | ${f1(r.run.seconds)} | ${yardstick ? f1(yardstick / MB / Math.max(r.run.seconds, 0.01)) : '–'} | ${r.bytes === undefined ? '–' : f1(r.bytes / MiB)} | ${Math.round(r.run.peakRssMiB)} |`,
    ),
  ];
  const where =
    mode === 'postgres'
      ? `PostgreSQL 15 server, database ${f1(databaseBytes / MiB)} MiB after VACUUM`
      : `embedded PGlite, data dir ${f1(pgliteBytes / MiB)} MiB`;
  const notes = [
    `Measured ${new Date().toISOString()} on ${machine()}: ${where}; one tenant of ${contacts.toLocaleString('en')} encrypted contacts seeded through the CRM's bulk path in ${f1(seeded.seedSeconds)} s. Custodia's output is ${f1(dataBytes / MiB)} MiB of data backup and ${f1((backupBytes - dataBytes) / MiB)} MiB of key-store backup and tombstones.`,
    '',
    ...table,
    '',
    `Load average (1 min) when the backup started: ${loadAtStart.toFixed(2)}; at the end: ${os.loadavg()[0]!.toFixed(2)} (2 cores; other work on the machine shows here).`,
    '',
    'Each command runs alone as a child process under GNU time (wall time and the peak RSS of that process; the database server works for both sides alike and is not in the RSS). ' +
      "The restores go into a fresh, empty database and are checked by counting the contacts. Custodia's backup holds the rows (no keys), gzip-compressed, in AES-256-GCM chunks with a signed manifest; pg_dump's file is compressed, unencrypted, and holds the key tables too.",
  ];
  if (dumpBytes !== undefined)
    notes.push(
      '',
      `Custodia's backup is ${(backupBytes / dumpBytes).toFixed(2)}× the size of the dump; its backup took ${(rows[0]!.run.seconds / rows[1]!.run.seconds).toFixed(1)}× pg_dump's time and its restore ${(rows[2]!.run.seconds / rows[3]!.run.seconds).toFixed(1)}× pg_restore's.`,
    );
  const body = notes.join('\n');
  process.stdout.write(`${body}\n`);
  if (!args['no-write']) {
    const file = path.join(root, 'bench', 'RESULTS.md');
    const existing = existsSync(file) ? readFileSync(file, 'utf8') : '';
    const title = `Backup and restore — ${mode}, ${contacts.toLocaleString('en')} contacts`;
    writeFileSync(file, mergeResults(existing, existing.split('\n## ')[0]!.trim(), [{ title, body }]));
  }
} finally {
  if (seeded && !closed) await seeded.database.close();
  for (const drop of drops.reverse()) await drop().catch((error: unknown) => log(`drop failed: ${String(error)}`));
  await rm(workDir, { recursive: true, force: true });
}
