import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.js';
import { migrateToLatest, openPglite } from '../src/db/database.js';
import { openKeys } from '../src/keys/keys.service.js';
import { createTenant } from '../src/provisioning/provision.js';
import { buildServer } from '../src/server.js';
import { machine, mergeResults } from './report.js';

// `npm run bench:files [-- --mb 100] [--runs 3]`: upload and download of one
// file over HTTP (multipart in, streamed through the meter and AES-256-GCM
// chunks into the directory store; out through decryption), next to a plain
// streamed copy of the same bytes on the same disk in the same run. Writes
// bench/RESULTS.md.

const { values: args } = parseArgs({ options: { mb: { type: 'string', default: '100' }, runs: { type: 'string', default: '3' } } });
const MB = 1024 * 1024;
const size = Number(args.mb) * MB;
const runs = Number(args.runs);
const log = (text: string) => process.stderr.write(`${text}\n`);
const median = (list: number[]) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)]!;

const workDir = await mkdtemp(path.join(os.tmpdir(), 'custodia-files-bench-'));
const config = loadConfig({
  LOG_LEVEL: 'silent',
  CUSTODIA_DATA_DIR: path.join(workDir, 'data'),
  CUSTODIA_FILES_DIR: path.join(workDir, 'files'),
  CUSTODIA_MASTER_KEY: randomBytes(32).toString('base64'),
  CUSTODIA_FILE_MAX_BYTES: String(size * 2),
});
const database = await openPglite({ dataDir: config.dataDir });
try {
  await migrateToLatest(database.db);
  const { keyring } = await openKeys(database, config);
  const password = `pw-${randomBytes(9).toString('hex')}`;
  await createTenant(
    database.db,
    { ...config, keyring },
    { slug: 'files-bench', name: 'Files BV', adminEmail: 'admin@files.test', adminPassword: password },
  );
  const app = await buildServer({ config, database, keyring, logger: false });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const login = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ tenant: 'files-bench', email: 'admin@files.test', password }),
  });
  const { token } = (await login.json()) as { token: string };
  const auth = { authorization: `Bearer ${token}` };
  const contact = (await (
    await fetch(`${base}/api/v1/contacts`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ firstName: 'Bench', lastName: 'Mark' }),
    })
  ).json()) as { id: string };

  // The source file: pseudo-random (incompressible) bytes on disk.
  const source = path.join(workDir, 'source.bin');
  const cipher = createCipheriv('aes-256-ctr', randomBytes(32), Buffer.alloc(16));
  const sourceHash = createHash('sha256');
  await pipeline(
    Readable.from(
      (function* () {
        for (let left = size; left > 0; left -= MB) {
          const chunk = cipher.update(Buffer.alloc(Math.min(MB, left)));
          sourceHash.update(chunk);
          yield chunk;
        }
      })(),
    ),
    createWriteStream(source),
  );
  const expected = sourceHash.digest('hex');

  // The store fsyncs before an object counts as written: the fair baseline does too.
  const copy = async (flush: boolean) => {
    const start = process.hrtime.bigint();
    await pipeline(createReadStream(source), createWriteStream(path.join(workDir, 'copy.bin'), { flush }));
    return Number(process.hrtime.bigint() - start) / 1e9;
  };
  const upload = async () => {
    const boundary = `----bench${randomBytes(8).toString('hex')}`;
    const start = process.hrtime.bigint();
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(`${base}/api/v1/files`, {
        method: 'POST',
        headers: { ...auth, 'content-type': `multipart/form-data; boundary=${boundary}` },
      });
      req.on('response', (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString() }));
      });
      req.on('error', reject);
      Readable.from(
        (async function* () {
          yield Buffer.from(
            `--${boundary}\r\nContent-Disposition: form-data; name="contactId"\r\n\r\n${contact.id}\r\n` +
              `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="bench.bin"\r\n\r\n`,
          );
          for await (const chunk of createReadStream(source)) yield chunk as Buffer;
          yield Buffer.from(`\r\n--${boundary}--\r\n`);
        })(),
      ).pipe(req);
    });
    if (answer.status !== 201) throw new Error(`upload answered ${answer.status}: ${answer.body}`);
    return { seconds: Number(process.hrtime.bigint() - start) / 1e9, id: (JSON.parse(answer.body) as { id: string }).id };
  };
  const download = async (id: string) => {
    const start = process.hrtime.bigint();
    const hash = createHash('sha256');
    await new Promise<void>((resolve, reject) => {
      http
        .get(`${base}/api/v1/files/${id}/content`, { headers: auth }, (res) => {
          const out = createWriteStream(path.join(workDir, 'download.bin'));
          res.on('data', (c: Buffer) => hash.update(c));
          pipeline(res, out).then(resolve, reject);
        })
        .on('error', reject);
    });
    if (hash.digest('hex') !== expected) throw new Error('the download differs from the upload');
    return Number(process.hrtime.bigint() - start) / 1e9;
  };

  const results = { copy: [] as number[], synced: [] as number[], upload: [] as number[], download: [] as number[] };
  const rss: number[] = [];
  for (let i = 0; i < runs; i++) {
    results.copy.push(await copy(false));
    results.synced.push(await copy(true));
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    const up = await upload();
    results.upload.push(up.seconds);
    results.download.push(await download(up.id));
    clearInterval(sampler);
    rss.push(peak - before);
    log(
      `run ${i + 1}: copy ${results.copy.at(-1)!.toFixed(2)} s, fsynced ${results.synced.at(-1)!.toFixed(2)} s, upload ${up.seconds.toFixed(2)} s, download ${results.download.at(-1)!.toFixed(2)} s`,
    );
  }
  const stored = await stat(path.join(workDir, 'download.bin'));
  if (stored.size !== size) throw new Error('download size differs');
  await app.close();

  const mbps = (seconds: number) => (size / MB / seconds).toFixed(0);
  const row = (name: string, list: number[]) => `| ${name} | ${median(list).toFixed(2)} | ${mbps(median(list))} |`;
  const body = [
    `Measured ${new Date().toISOString()} on ${machine()}: one ${args.mb} MB file of random bytes, ${runs} runs each (medians), ` +
      'over HTTP on loopback to the embedded-PGlite server, directory store on the same disk as the plain copy. ' +
      'Upload: multipart, size/SHA-256/type metered, AES-256-GCM in 64 KiB chunks, written and fsynced. Download: decrypted and verified against the source hash.',
    '',
    '| operation | seconds | MB/s |',
    '|---|---:|---:|',
    row('plain streamed copy on the same disk (baseline, page cache)', results.copy),
    row('plain streamed copy, fsynced as the store does (baseline)', results.synced),
    row('upload (POST /files)', results.upload),
    row('download (GET /files/{id}/content)', results.download),
    '',
    `Upload takes ${(median(results.upload) / median(results.synced)).toFixed(1)}× the fsynced copy's time, download ${(median(results.download) / median(results.copy)).toFixed(1)}× the plain copy's. ` +
      `Process RSS grew by at most ${(Math.max(...rss) / MB).toFixed(1)} MB during an upload and download of the ${args.mb} MB file.`,
  ].join('\n');
  process.stdout.write(`${body}\n`);
  const file = path.join(path.dirname(fileURLToPath(import.meta.url)), 'RESULTS.md');
  const existing = existsSync(file) ? readFileSync(file, 'utf8') : '';
  writeFileSync(
    file,
    mergeResults(existing, existing.split('\n## ')[0]!.trim(), [{ title: `Files — ${args.mb} MB upload and download`, body }]),
  );
} finally {
  await database.close();
  await rm(workDir, { recursive: true, force: true });
}
