import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon, { type RequestDefinition } from 'autocannon';
import { randomBytes } from 'node:crypto';
import { loadConfig } from '../src/config.js';
import { migrateToLatest, openPostgres } from '../src/db/database.js';
import { initializeKeys } from '../src/keys/keys.service.js';
import { loadKeyring } from '../src/keys/master-key.js';
import { createTenant } from '../src/provisioning/provision.js';
import { startChild } from './child.js';
import { childEnv, createBenchDatabase, runStatement, signIn } from './http.bench.js';
import { machine, mergeResults } from './report.js';
import { peerPersonAt, seedEncryptedContacts } from './seed.js';

/**
 * `npm run bench:peer`: Custodia beside the Directus 11.3.5 peer on the same
 * PostgreSQL server, with the same rows, the same four cases and the same
 * autocannon settings, in one run (see bench/README.md). Directus is set up by
 * bench/directus-setup.sh in /tmp (network access to npm on the first run).
 */

const { values: args } = parseArgs({
  options: {
    contacts: { type: 'string', default: '10000' },
    rounds: { type: 'string', default: '2' },
    connections: { type: 'string', default: '20' },
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    cases: { type: 'string' },
    /** Reuse a Directus already set up and running (by an earlier run with --keep-peer). */
    'reuse-peer': { type: 'boolean', default: false },
    'keep-peer': { type: 'boolean', default: false },
    /** Print the figures without touching RESULTS.md. */
    'no-write': { type: 'boolean', default: false },
    /** What else ran on the machine meanwhile, for RESULTS.md. */
    note: { type: 'string' },
  },
});
const N = Number(args.contacts);
const ROUNDS = Number(args.rounds);
const load = { connections: Number(args.connections), duration: Number(args.duration), warmup: Number(args.warmup) };
const serverUrl = process.env.CUSTODIA_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const PEER_DIR = process.env.CUSTODIA_PEER_DIR ?? '/tmp/directus-peer';
const PEER_PORT = process.env.CUSTODIA_PEER_PORT ?? '8055';
const PEER_TOKEN = 'peer-static-admin-token';
const here = path.dirname(fileURLToPath(import.meta.url));
const log = (line: string) => process.stdout.write(`${line}\n`);

type CaseName = 'get_by_id' | 'search_email' | 'list_50' | 'create';
const CASES: Array<{ name: CaseName; title: string }> = [
  { name: 'get_by_id', title: 'get by id' },
  { name: 'search_email', title: 'search by exact e-mail' },
  { name: 'list_50', title: 'list of 50' },
  { name: 'create', title: 'create' },
];

interface Target {
  label: 'Custodia' | 'Directus';
  url: string;
  token: string;
  pid: number;
  get(): string;
  email(): string;
  list: string;
  create: string;
  body(n: string): unknown;
  /** Items in a list answer. */
  items(body: unknown): unknown[];
}

interface Figure {
  target: Target['label'];
  round: number;
  name: CaseName;
  rps: number;
  p50: number;
  p99: number;
  failures: number;
  rssMiB: number;
}

const rnd = () => Math.floor(Math.random() * N);
let seq = 0;

function requestOf(t: Target, name: CaseName): RequestDefinition {
  switch (name) {
    case 'get_by_id':
      return { method: 'GET', setupRequest: (r) => ({ ...r, path: t.get() }) };
    case 'search_email':
      return { method: 'GET', setupRequest: (r) => ({ ...r, path: t.email() }) };
    case 'list_50':
      return { method: 'GET', path: t.list };
    case 'create':
      return {
        method: 'POST',
        setupRequest: (r) => ({ ...r, path: t.create, body: JSON.stringify(t.body(`${process.pid}_${Date.now()}_${seq++}`)) }),
      };
  }
}

const rssOf = (pid: number) => {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
  } catch {
    return 0;
  }
};

async function runCase(t: Target, name: CaseName, round: number): Promise<Figure> {
  const base = {
    url: t.url,
    connections: load.connections,
    headers: { authorization: `Bearer ${t.token}`, 'content-type': 'application/json' },
    requests: [requestOf(t, name)],
  };
  if (load.warmup > 0) await autocannon({ ...base, duration: load.warmup });
  let rss = rssOf(t.pid);
  const timer = setInterval(() => (rss = Math.max(rss, rssOf(t.pid))), 200);
  const r = await autocannon({ ...base, duration: load.duration });
  clearInterval(timer);
  const figure = {
    target: t.label,
    round,
    name,
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    failures: r.non2xx + r.errors + r.timeouts,
    rssMiB: rss,
  };
  log(
    `  round ${round} ${t.label.padEnd(8)} ${name.padEnd(13)} ${figure.rps.toFixed(0).padStart(6)} req/s  p50 ${figure.p50} ms  p99 ${figure.p99} ms  rss ${rss.toFixed(0)} MiB${figure.failures ? `  (${figure.failures} failed)` : ''}`,
  );
  return figure;
}

/** Both servers answer every case, and find the same: one person by e-mail, 50 on a list page. */
async function probe(t: Target): Promise<void> {
  const headers = { authorization: `Bearer ${t.token}` };
  for (const [what, p, expected] of [
    ['get by id', t.get(), undefined],
    ['search by e-mail', t.email(), 1],
    ['list of 50', t.list, 50],
  ] as const) {
    const res = await fetch(t.url + p, { headers });
    if (res.status !== 200) throw new Error(`${t.label} ${what}: ${res.status} ${await res.text()}`);
    if (expected !== undefined) {
      const n = t.items(await res.json()).length;
      if (n !== expected) throw new Error(`${t.label} ${what}: ${n} items, expected ${expected}`);
    }
  }
}

function sh(command: string, argv: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, { env, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command} ${argv.join(' ')} exited with ${code}`))));
  });
}

function otherLoad(): string {
  const [one, five] = os.loadavg();
  return `load average ${one!.toFixed(1)} (1 min), ${five!.toFixed(1)} (5 min)`;
}

const f0 = (n: number) => Math.round(n).toLocaleString('en');
const range = (values: number[], fmt: (n: number) => string) => {
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  return fmt(lo) === fmt(hi) ? fmt(lo) : `${fmt(lo)}–${fmt(hi)}`;
};

export function peerTable(figures: Figure[], rounds: number): string {
  const lines = [
    '| case | round | Custodia req/s | p50 ms | p99 ms | peak RSS MiB | Directus req/s | p50 ms | p99 ms | peak RSS MiB | Custodia ÷ Directus |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const c of CASES) {
    for (let round = 1; round <= rounds; round++) {
      const a = figures.find((f) => f.target === 'Custodia' && f.name === c.name && f.round === round);
      const b = figures.find((f) => f.target === 'Directus' && f.name === c.name && f.round === round);
      if (!a || !b) continue;
      const failed = (f: Figure) => (f.failures ? ` (${f.failures} failed)` : '');
      lines.push(
        `| ${c.title} | ${round} | ${f0(a.rps)}${failed(a)} | ${a.p50} | ${a.p99} | ${f0(a.rssMiB)} | ${f0(b.rps)}${failed(b)} | ${b.p50} | ${b.p99} | ${f0(b.rssMiB)} | **${(a.rps / b.rps).toFixed(2)}×** |`,
      );
    }
  }
  return lines.join('\n');
}

function verdicts(figures: Figure[]): string[] {
  const ratios = (name: CaseName) =>
    figures
      .filter((f) => f.target === 'Custodia' && f.name === name)
      .map((a) => a.rps / figures.find((b) => b.target === 'Directus' && b.name === name && b.round === a.round)!.rps);
  return (['list_50', 'search_email'] as const)
    .filter((name) => ratios(name).length > 0)
    .map((name) => {
      const r = ratios(name);
      return `- **${Math.min(...r) >= 1 ? 'PASS' : 'FAIL'}** ${CASES.find((c) => c.name === name)!.title} at least as fast as the peer in the same run: ${range(r, (n) => n.toFixed(2))}×`;
    });
}

// --- the run ----------------------------------------------------------------------------------

const started = Date.now();
const loadAtStart = otherLoad();
const only = args.cases ? (args.cases.split(',') as CaseName[]) : CASES.map((c) => c.name);
const workDir = await mkdtemp(path.join(os.tmpdir(), 'custodia-peer-'));
const created = await createBenchDatabase(serverUrl);
if ('unreachable' in created) throw new Error(`PostgreSQL at ${serverUrl} does not answer (${created.unreachable})`);
const benchDb = created;
const peerDbUrl = Object.assign(new URL(serverUrl), { pathname: '/directus_peer' }).toString();
let custodiaChild: Awaited<ReturnType<typeof startChild>> | undefined;
try {
  // --- the peer -------------------------------------------------------------------------------
  const server = new URL(serverUrl);
  if (!args['reuse-peer']) {
    log(`Directus 11.3.5: setting up in ${PEER_DIR} with ${f0(N)} contacts (bench/directus-setup.sh) …`);
    const setupStart = Date.now();
    await sh('bash', [path.join(here, 'directus-setup.sh')], {
      ...process.env,
      N: String(N),
      DIR: PEER_DIR,
      PORT: PEER_PORT,
      PGHOST: server.hostname,
      PGPORT: server.port || '5432',
    });
    log(`  set up in ${((Date.now() - setupStart) / 1000).toFixed(0)} s`);
  }
  const peerPid = Number(readFileSync(path.join(PEER_DIR, 'server.pid'), 'utf8').trim());

  // --- Custodia, on the same server, with the same rows ------------------------------------------
  const env: Record<string, string> = {
    CUSTODIA_DATA_DIR: path.join(workDir, 'data'),
    CUSTODIA_MASTER_KEY: randomBytes(32).toString('base64'),
    LOG_LEVEL: 'silent',
    HOST: '127.0.0.1',
    PORT: '0',
    DATABASE_URL: benchDb.url,
  };
  const config = loadConfig(env, workDir);
  log(`Custodia: seeding ${f0(N)} contacts into ${benchDb.url} …`);
  const handle = await openPostgres(benchDb.url, 4);
  let ids: string[];
  const slug = `peer-${randomBytes(3).toString('hex')}`;
  const admin = { tenant: slug, email: `admin@${slug}.test`, password: `pw-${randomBytes(12).toString('base64url')}` };
  try {
    await migrateToLatest(handle.db);
    const { keyring } = await loadKeyring(config);
    await initializeKeys(handle.db, keyring);
    const { tenant, admin: adminUser } = await createTenant(
      handle.db,
      { argon2: config.argon2, keyring },
      { slug, name: 'Peer Benchmark BV', adminEmail: admin.email, adminPassword: admin.password },
    );
    ids = await seedEncryptedContacts(handle.db, keyring, { tenantId: tenant.id, owner: adminUser, count: N, person: peerPersonAt });
  } finally {
    await handle.close();
  }
  log('VACUUM ANALYZE of both databases …');
  await runStatement(benchDb.url, 'vacuum analyze');
  await runStatement(peerDbUrl, 'vacuum analyze');
  await runStatement(benchDb.url, 'checkpoint');

  custodiaChild = await startChild(path.join(here, 'custodia-server.ts'), childEnv(env));
  const token = await signIn(custodiaChild.url, admin);
  const custodia: Target = {
    label: 'Custodia',
    url: custodiaChild.url,
    token,
    pid: custodiaChild.pid,
    get: () => `/api/v1/contacts/${ids[rnd()]}`,
    email: () => `/api/v1/contacts?email=user${rnd()}@example.com`,
    list: '/api/v1/contacts?limit=50',
    create: '/api/v1/contacts',
    body: (n) => ({ firstName: 'Bench', lastName: `User${n}`, emails: [`bench${n}@example.com`], phones: ['+15550000000'] }),
    items: (body) => (body as { items: unknown[] }).items,
  };
  const directus: Target = {
    label: 'Directus',
    url: `http://127.0.0.1:${PEER_PORT}`,
    token: PEER_TOKEN,
    pid: peerPid,
    get: () => `/items/contacts/${rnd() + 1}`,
    email: () => `/items/contacts?filter[email][_eq]=user${rnd()}@example.com`,
    list: '/items/contacts?limit=50',
    create: '/items/contacts',
    body: (n) => ({ first_name: 'Bench', last_name: `User${n}`, email: `bench${n}@example.com`, phone: '+15550000000' }),
    items: (body) => (body as { data: unknown[] }).data,
  };
  await probe(custodia);
  await probe(directus);
  log(`Custodia (pid ${custodia.pid}) and Directus (pid ${directus.pid}) answer every case alike; ${otherLoad()}`);

  // --- the cases: each round runs every case on both, in turns (which goes first alternates) ----------
  const figures: Figure[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    for (const c of CASES.filter((x) => only.includes(x.name))) {
      const order = round % 2 === 1 ? [custodia, directus] : [directus, custodia];
      for (const t of order) figures.push(await runCase(t, c.name, round));
    }
  }
  const loadAtEnd = otherLoad();
  const minutes = ((Date.now() - started) / 60_000).toFixed(1);

  const table = peerTable(figures, ROUNDS);
  const lines = verdicts(figures);
  log(`\n${table}\n\n${lines.join('\n')}`);
  if (!args['no-write']) {
    const body = [
      `Measured ${new Date().toISOString()} on ${machine()}; ${loadAtStart} at the start, ${loadAtEnd} at the end (the machine is shared: other work on its 2 cores slows every figure, so compare the ratios of one round).`,
      ...(args.note ? [`Also running: ${args.note}`] : []),
      `Both on the same PostgreSQL server with the same ${f0(N)} people (\`First{i} Last{i} user{i}@example.com\`): Directus 11.3.5 (bench/directus-setup.sh, admin static token, cache and rate limiter off) and Custodia's real server (seeded through createPeopleInBulk, signed in as the tenant's admin), \`VACUUM ANALYZE\` of both databases before the first case. autocannon, ${load.connections} connections, ${load.warmup} s warm-up then ${load.duration} s per case; each round runs every case on both servers in turn (Custodia first in odd rounds, Directus first in even ones). The whole run took ${minutes} min.`,
      '',
      table,
      '',
      'Targets (issue 13):',
      '',
      ...lines,
    ].join('\n');
    const file = path.join(here, 'RESULTS.md');
    const existing = existsSync(file) ? readFileSync(file, 'utf8') : '';
    const intro = existing.split(/^## /m)[0]!;
    writeFileSync(
      file,
      mergeResults(existing, intro, [{ title: `Side by side with Directus 11.3.5, PostgreSQL 15 server, ${f0(N)} contacts`, body }]),
    );
    log(`\nWrote bench/RESULTS.md in ${minutes} min.`);
  }
} finally {
  await custodiaChild?.stop().catch(() => undefined);
  await benchDb.drop().catch((error: unknown) => log(`could not drop the bench database: ${String(error)}`));
  if (!args['keep-peer']) {
    const pidFile = path.join(PEER_DIR, 'server.pid');
    if (existsSync(pidFile)) {
      const pid = Number(readFileSync(pidFile, 'utf8').trim());
      try {
        process.kill(pid);
        log(`stopped Directus (pid ${pid}); its database directus_peer stays until the next setup`);
      } catch {
        // already gone
      }
    }
  }
  await rm(workDir, { recursive: true, force: true });
}
