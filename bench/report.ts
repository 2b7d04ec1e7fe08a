import os from 'node:os';
import type { ModeResult } from './http.bench.js';
import type { CaseKey } from './load.js';

/** Tables, targets and the sections of bench/RESULTS.md. */

export function machine(): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const ram = (os.totalmem() / 1024 ** 3).toFixed(1);
  return `${cpu}, ${os.cpus().length} cores, ${ram} GiB RAM, Node.js ${process.version}, ${os.type()} ${os.release()}`;
}

const MODE_TITLE = { pglite: 'PGlite (embedded)', postgres: 'PostgreSQL 15 server' } as const;

export function sectionTitle(r: Pick<ModeResult, 'mode' | 'contacts'>): string {
  return `HTTP, ${MODE_TITLE[r.mode]}, ${r.contacts.toLocaleString('en')} contacts`;
}

const f0 = (n: number) => Math.round(n).toLocaleString('en');
const ms = (n: number) => (n < 10 ? n.toFixed(2) : n.toFixed(1));

export function httpTable(r: ModeResult): string {
  const lines = [
    '| case | Custodia req/s | p50 ms | p99 ms | baseline req/s | p50 ms | p99 ms | × baseline req/s | Custodia peak RSS / heap MiB | baseline peak RSS MiB |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const c of r.custodia) {
    const b = r.baseline.find((x) => x.key === c.key);
    const failed = c.failures ? ` (${c.failures} non-2xx/errors)` : '';
    lines.push(
      `| ${c.name}${failed} | ${f0(c.requestsPerSecond)} | ${ms(c.p50Ms)} | ${ms(c.p99Ms)} | ${b ? f0(b.requestsPerSecond) : '–'} | ${b ? ms(b.p50Ms) : '–'} | ${b ? ms(b.p99Ms) : '–'} | ${b ? (c.requestsPerSecond / b.requestsPerSecond).toFixed(2) : '–'} | ${f0(c.memory.rssMiB)} / ${f0(c.memory.heapUsedMiB)} | ${b ? f0(b.memory.rssMiB) : '–'} |`,
    );
  }
  for (const b of r.baseline.filter((x) => !r.custodia.some((c) => c.key === x.key))) {
    lines.push(
      `| (reference) baseline ${b.name} | – | – | – | ${f0(b.requestsPerSecond)} | ${ms(b.p50Ms)} | ${ms(b.p99Ms)} | – | – | ${f0(b.memory.rssMiB)} |`,
    );
  }
  if (r.import) {
    const i = r.import;
    lines.push(
      `| CSV import, ${f0(i.rows)} rows (${(i.bytes / 1024 / 1024).toFixed(1)} MiB streamed) | ${f0(i.rowsPerSecond)} rows/s | ${i.seconds.toFixed(1)} s total | | | | | | ${f0(i.memory.rssMiB)} / ${f0(i.memory.heapUsedMiB)} | |`,
    );
  }
  return lines.join('\n');
}

export interface Target {
  name: string;
  verdict: 'PASS' | 'FAIL' | 'NOT MEASURED';
  detail: string;
}

const find = (r: ModeResult, side: 'custodia' | 'baseline', key: CaseKey) => r[side].find((c) => c.key === key);

/** The issue's targets, which are for PostgreSQL mode on 2-core machines. */
export function targets(r: ModeResult): Target[] {
  const out: Target[] = [];
  const get = find(r, 'custodia', 'get');
  const getBase = find(r, 'baseline', 'get');
  if (get && getBase) {
    const ratio = get.requestsPerSecond / getBase.requestsPerSecond;
    out.push({ name: 'get-by-id ≥ 0.5× baseline throughput', verdict: ratio >= 0.5 ? 'PASS' : 'FAIL', detail: `${ratio.toFixed(2)}×` });
  }
  const reference = find(r, 'baseline', 'get-logged');
  if (get && reference) {
    const ratio = get.requestsPerSecond / reference.requestsPerSecond;
    out.push({
      name: 'get-by-id ≥ 0.5× the reference row (bare read + one group-committed access-log row; issue 13)',
      verdict: ratio >= 0.5 ? 'PASS' : 'FAIL',
      detail: `${ratio.toFixed(2)}× (${f0(get.requestsPerSecond)} against ${f0(reference.requestsPerSecond)} req/s)`,
    });
  }
  const at = r.contacts >= 1_000_000 ? '' : ` (at ${f0(r.contacts)} contacts; the target is for 1,000,000: run with --contacts 1000000)`;
  for (const [key, how] of [
    ['search-email', 'under load (10 connections)'],
    ['search-email-1', 'alone (1 connection)'],
  ] as const) {
    const email = find(r, 'custodia', key);
    if (email) {
      out.push({
        name: `search by e-mail p99 < 10 ms at 1M contacts, ${how}`,
        verdict: email.p99Ms < 10 ? 'PASS' : 'FAIL',
        detail: `p99 ${ms(email.p99Ms)} ms${at}`,
      });
    }
  }
  if (r.import && r.import.rows >= 100_000 && r.import.status >= 200 && r.import.status < 300) {
    out.push({
      name: 'import of 100k rows < 60 s',
      verdict: r.import.seconds < 60 ? 'PASS' : 'FAIL',
      detail: `${r.import.seconds.toFixed(1)} s for ${f0(r.import.rows)} rows`,
    });
  } else {
    out.push({
      name: 'import of 100k rows < 60 s',
      verdict: 'NOT MEASURED',
      detail: r.import ? `${r.import.status}, ${f0(r.import.rows)} rows` : 'not run',
    });
  }
  return out;
}

export function targetLines(list: Target[]): string {
  return list.map((t) => `- **${t.verdict}** ${t.name}: ${t.detail}`).join('\n');
}

export function httpSection(r: ModeResult, settings: { connections: number; durationSeconds: number }): string {
  const parts = [
    `Measured ${new Date().toISOString()} on ${machine()}.`,
    `Seeding ${f0(r.contacts)} encrypted contacts through the CRM's bulk path (createPeopleInBulk: subject and wrapped key, one sealed document, ~12 blind index terms each) took ` +
      `${r.seedSeconds.toFixed(1)} s (${f0(r.contacts / r.seedSeconds)} contacts/s); the same people in the baseline's plain table ` +
      `${r.plainSeedSeconds.toFixed(1)} s. autocannon, ${settings.connections} connections, ${settings.durationSeconds} s per case after a warm-up; ` +
      `the whole mode took ${(r.totalSeconds / 60).toFixed(1)} min.`,
    '',
    httpTable(r),
  ];
  if (r.mode === 'postgres') parts.push('', 'Targets (issues 5 and 13, PostgreSQL mode):', '', targetLines(targets(r)));
  if (r.notes.length) parts.push('', ...r.notes.map((n) => `Note: ${n}`));
  return parts.join('\n');
}

/**
 * Replaces the sections named in `sections` in an existing RESULTS.md and
 * keeps the others (an HTTP run of another mode or size stays until rerun).
 */
export function mergeResults(existing: string, intro: string, sections: Array<{ title: string; body: string }>): string {
  const kept = new Map<string, string>();
  const order: string[] = [];
  for (const chunk of existing.split(/^## /m).slice(1)) {
    const newline = chunk.indexOf('\n');
    const title = chunk.slice(0, newline).trim();
    kept.set(title, chunk.slice(newline + 1).trim());
    order.push(title);
  }
  for (const s of sections) {
    if (!kept.has(s.title)) order.push(s.title);
    kept.set(s.title, s.body.trim());
  }
  return `${intro.trim()}\n\n${order.map((t) => `## ${t}\n\n${kept.get(t)}\n`).join('\n')}`;
}
