import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import http from 'node:http';
import { once } from 'node:events';
import autocannon, { type RequestDefinition } from 'autocannon';
import type { MemoryPeak, ServerChild } from './child.js';
import { personAt, type Person } from './seed.js';

/** The HTTP cases, run with autocannon against Custodia and the baseline alike. */

export interface LoadSettings {
  connections: number;
  durationSeconds: number;
  warmupSeconds: number;
}

export interface CaseResult {
  key: CaseKey;
  name: string;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  /** Non-2xx answers, errors and timeouts: anything but 0 makes the row suspect. */
  failures: number;
  memory: MemoryPeak;
  /** Items in one sample answer (lists and searches), to check both servers find the same. */
  sampleItems?: number;
}

export type CaseKey = 'create' | 'get' | 'get-logged' | 'list' | 'search-email' | 'search-email-1' | 'search-name';

export interface Sample {
  ids: string[];
  people: Person[];
}

interface CaseDefinition {
  key: CaseKey;
  name: string;
  request: RequestDefinition;
  /** Run against the baseline only: a reference figure, with no Custodia counterpart. */
  baselineOnly?: boolean;
  /** Overrides the settings' connections (1: latency without queueing behind other requests). */
  connections?: number;
  /** A path to try once before the load, whose answer's items are counted. */
  probe?: string;
}

let created = 0;

/** The five cases; `sample` holds seeded ids with their people, spread over the whole table. */
export function cases(sample: Sample, runId: string): CaseDefinition[] {
  const rotate = <T>(values: T[]) => {
    let i = 0;
    return () => values[i++ % values.length]!;
  };
  const nextId = rotate(sample.ids);
  const nextEmail = rotate(sample.people.map((p) => p.email));
  const nextEmailAlone = rotate([...sample.people].reverse().map((p) => p.email));
  // A name prefix as people type it: the first five letters of a last name.
  const nextPrefix = rotate(sample.people.map((p) => p.lastName.slice(0, 5)));
  const json = { 'content-type': 'application/json' };
  return [
    {
      key: 'get',
      name: 'get contact by id',
      request: { method: 'GET', setupRequest: (r) => ({ ...r, path: `/api/v1/contacts/${nextId()}` }) },
    },
    {
      key: 'get-logged',
      name: 'get by id + one committed access-log row',
      baselineOnly: true,
      request: { method: 'GET', setupRequest: (r) => ({ ...r, path: `/api/v1/contacts/${nextId()}/logged` }) },
    },
    {
      key: 'list',
      name: 'list page (limit=50)',
      request: { method: 'GET', path: '/api/v1/contacts?limit=50' },
      probe: '/api/v1/contacts?limit=50',
    },
    {
      key: 'search-email',
      name: 'search by e-mail',
      request: { method: 'GET', setupRequest: (r) => ({ ...r, path: `/api/v1/contacts?email=${encodeURIComponent(nextEmail())}` }) },
      probe: `/api/v1/contacts?email=${encodeURIComponent(sample.people[0]!.email)}`,
    },
    {
      key: 'search-email-1',
      name: 'search by e-mail, 1 connection',
      connections: 1,
      request: { method: 'GET', setupRequest: (r) => ({ ...r, path: `/api/v1/contacts?email=${encodeURIComponent(nextEmailAlone())}` }) },
    },
    {
      key: 'search-name',
      name: 'search by name prefix (q=5 letters)',
      request: { method: 'GET', setupRequest: (r) => ({ ...r, path: `/api/v1/contacts?q=${encodeURIComponent(nextPrefix())}` }) },
      probe: `/api/v1/contacts?q=${encodeURIComponent(sample.people[0]!.lastName.slice(0, 5))}`,
    },
    {
      key: 'create',
      name: 'create contact',
      request: {
        method: 'POST',
        path: '/api/v1/contacts',
        headers: json,
        setupRequest: (r) => {
          const n = created++;
          const p = personAt(10_000_000 + n);
          return {
            ...r,
            headers: { ...r.headers, ...json },
            body: JSON.stringify({
              firstName: p.firstName,
              lastName: p.lastName,
              emails: [`new.${runId}.${n}@example.test`],
              phones: [p.phone],
            }),
          };
        },
      },
    },
  ];
}

async function getJson(url: string, token: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, body: await res.json().catch(() => null) };
}

/** Runs one case: a warm-up, then the measured run while the server samples its memory. */
export async function runCase(server: ServerChild, token: string, definition: CaseDefinition, settings: LoadSettings): Promise<CaseResult> {
  let sampleItems: number | undefined;
  if (definition.probe) {
    const { status, body } = await getJson(server.url + definition.probe, token);
    if (status !== 200) throw new Error(`${definition.name}: probe answered ${status} ${JSON.stringify(body)}`);
    sampleItems = (body as { items: unknown[] }).items.length;
  }
  const base = {
    url: server.url,
    connections: definition.connections ?? settings.connections,
    headers: { authorization: `Bearer ${token}` },
    requests: [definition.request],
  };
  if (settings.warmupSeconds > 0) await autocannon({ ...base, duration: settings.warmupSeconds });
  server.sampleStart();
  const result = await autocannon({ ...base, duration: settings.durationSeconds });
  const memory = await server.sampleStop();
  return {
    key: definition.key,
    name: definition.name,
    requestsPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    requests: result['2xx'],
    failures: result.non2xx + result.errors + result.timeouts,
    memory,
    ...(sampleItems !== undefined ? { sampleItems } : {}),
  };
}

/** Writes a contacts CSV of `rows` new people (none of them seeded) to `file`. */
export async function writeImportCsv(file: string, rows: number, runId: string): Promise<number> {
  const out = createWriteStream(file);
  const write = async (text: string) => {
    if (!out.write(text)) await once(out, 'drain');
  };
  await write('firstName,lastName,email,phone\n');
  let chunk = '';
  for (let n = 0; n < rows; n++) {
    const p = personAt(20_000_000 + n);
    chunk += `${p.firstName},${p.lastName},import.${runId}.${n}@example.test,${p.phone}\n`;
    if (chunk.length > 64 * 1024) {
      await write(chunk);
      chunk = '';
    }
  }
  await write(chunk);
  out.end();
  await once(out, 'finish');
  return (await stat(file)).size;
}

function post(url: string, token: string, headers: Record<string, string>, body?: NodeJS.ReadableStream | string) {
  return new Promise<{ status: number; text: string }>((resolve, reject) => {
    const request = http.request(url, { method: 'POST', headers: { authorization: `Bearer ${token}`, ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      res.on('error', reject);
    });
    request.on('error', reject);
    if (typeof body === 'string' || body === undefined) request.end(body);
    else body.pipe(request);
  });
}

export const IMPORT_PATH = '/api/v1/imports/contacts?lawfulBasis=consent';

/** Whether the server has the import route yet: anything but 404 to a header-only CSV. */
export async function importExists(server: ServerChild, token: string): Promise<{ exists: boolean; answer: string }> {
  const { status, text } = await post(server.url + IMPORT_PATH, token, { 'content-type': 'text/csv' }, 'firstName,lastName,email,phone\n');
  return { exists: status !== 404, answer: `${status} ${text.slice(0, 200)}` };
}

export interface ImportResult {
  rows: number;
  bytes: number;
  seconds: number;
  rowsPerSecond: number;
  status: number;
  summary: string;
  memory: MemoryPeak;
}

/** Streams the CSV file as the request body and times the import to its answer. */
export async function runImport(server: ServerChild, token: string, file: string, rows: number): Promise<ImportResult> {
  const bytes = (await stat(file)).size;
  server.sampleStart();
  const started = process.hrtime.bigint();
  const { status, text } = await post(
    server.url + IMPORT_PATH,
    token,
    { 'content-type': 'text/csv', 'content-length': String(bytes) },
    createReadStream(file),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const memory = await server.sampleStop();
  let summary = text.slice(0, 300);
  try {
    const body = JSON.parse(text) as { created?: number; updated?: number; skipped?: number; errors?: unknown[] };
    if (body.created !== undefined) {
      summary = `created ${body.created}, updated ${body.updated ?? 0}, skipped ${body.skipped ?? 0}, errors ${body.errors?.length ?? 0}`;
    }
  } catch {
    // not JSON: keep the text
  }
  return { rows, bytes, seconds, rowsPerSecond: rows / seconds, status, summary, memory };
}
