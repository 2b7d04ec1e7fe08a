import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runHttpBenchmark, type Mode, type ModeResult } from './http.bench.js';
import { run as personCrypto } from './person-crypto.bench.js';
import { httpSection, httpTable, machine, mergeResults, sectionTitle, targetLines, targets } from './report.js';

// `npm run bench [-- --quick] [--contacts N] [--mode pglite|postgres|both] [--no-http] [--profile DIR]
//   [--cases get,list,search-email,search-name,create,import]`:
// runs every benchmark and writes bench/RESULTS.md.

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    contacts: { type: 'string' },
    mode: { type: 'string', default: 'both' },
    'import-rows': { type: 'string' },
    'no-http': { type: 'boolean', default: false },
    profile: { type: 'string' },
    cases: { type: 'string' },
  },
});
const whole = (name: string, raw: string | undefined, fallback: number) => {
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw.replace(/[_,]/g, ''));
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`${name} must be a positive whole number, got "${raw}"`);
  return n;
};
const contacts = whole('--contacts', args.contacts ?? process.env.CUSTODIA_BENCH_CONTACTS, 100_000);
const quick = args.quick;
const modes: Mode[] = args.mode === 'both' ? ['pglite', 'postgres'] : [args.mode as Mode];
if (!modes.every((m) => m === 'pglite' || m === 'postgres')) throw new Error(`--mode must be pglite, postgres or both, got "${args.mode}"`);
const load = { connections: 10, durationSeconds: quick ? 3 : 10, warmupSeconds: quick ? 1 : 2 };
const importRows = whole('--import-rows', args['import-rows'], quick ? 10_000 : 100_000);
const postgresUrl = process.env.CUSTODIA_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const out = (text: string) => process.stdout.write(`${text}\n`);
const started = Date.now();

const crypto = personCrypto();
const page = crypto.rows.at(-1)!;
const legacyPage = crypto.rows.at(-2)!;
out(`## ${crypto.title}\n\n${crypto.markdown}\n`);
const sections = [
  {
    title: crypto.title,
    body: `Measured ${new Date().toISOString()} on ${machine()}.\n\n${crypto.markdown}\n\nOpening a 50-person list page costs ${(page.medianUs / 1000).toFixed(2)} ms of CPU on this machine (one sealed document per person,\nits field key cached beside the subject key); field by field, as rows were stored before migration 0014, ${(legacyPage.medianUs / 1000).toFixed(2)} ms\n(key unwrapping is cached separately and not included).`,
  },
];

const results: ModeResult[] = [];
const skipped: string[] = [];
if (!args['no-http']) {
  for (const mode of modes) {
    const result = await runHttpBenchmark(mode, {
      contacts,
      importRows,
      load,
      postgresUrl,
      ...(args.profile ? { profileDir: path.resolve(args.profile) } : {}),
      ...(args.cases ? { only: args.cases.split(',').map((c) => c.trim()) } : {}),
    });
    if ('skipped' in result) {
      skipped.push(`${mode}: ${result.skipped}`);
      out(`\n${mode}: skipped — ${result.skipped}`);
      continue;
    }
    results.push(result);
    sections.push({ title: sectionTitle(result), body: httpSection(result, load) });
  }
}

for (const r of results) {
  out(`\n## ${sectionTitle(r)}\n\n${httpTable(r)}`);
  if (r.mode === 'postgres') out(`\nTargets (PostgreSQL mode):\n${targetLines(targets(r)).replace(/\*\*/g, '')}`);
  for (const note of r.notes) out(`Note: ${note}`);
}
for (const s of skipped) out(`Skipped ${s}`);

const intro = `# Benchmark results

Written by \`npm run bench\` (see bench/README.md for what each figure means and how to run the 1,000,000-contact variant).
Micro-benchmarks give the median (and 95th percentile) time per operation over repeated batches after a warm-up;
HTTP benchmarks give autocannon's mean requests/s and p50/p99 latency against the running server, next to a bare
Fastify baseline on the same database and data. "× baseline" compares with the baseline measured in the same run.`;
const file = path.join(path.dirname(fileURLToPath(import.meta.url)), 'RESULTS.md');
const existing = existsSync(file) ? readFileSync(file, 'utf8') : '';
writeFileSync(file, mergeResults(existing, intro, sections));
out(`\nWrote ${path.relative(process.cwd(), file)} in ${((Date.now() - started) / 60_000).toFixed(1)} min.`);
