import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Kysely } from 'kysely';
import { beforeAll } from 'vitest';
import { main } from '../src/cli/main.js';
import { openPglite } from '../src/db/database.js';
import type { Database } from '../src/db/schema.js';
import type { Keyring } from '../src/keys/keyring.js';
import { openKeys } from '../src/keys/keys.service.js';
import { pgliteTemplate, registerKeyring, testDbKind, type TestDatabase } from './db.js';
import { testConfig } from './factories.js';

/** Real processes for CLI and server tests: the binary users run, not an import. */

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const CLI = path.join(root, 'bin', 'custodia.js');
export const MAIN = path.join(root, 'src', 'main.ts');
// Children run in scratch directories, where a bare `--import tsx` would not resolve.
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

// Variables of the developer's shell that would point a child elsewhere.
const INHERITED_OUT = ['DATABASE_URL', 'CUSTODIA_DATA_DIR', 'PORT', 'HOST', 'LOG_LEVEL'];

function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base = { ...process.env };
  for (const name of INHERITED_OUT) delete base[name];
  return { ...base, ...env };
}

/** A scratch working directory, so no developer .env is picked up. */
export async function scratchDir(prefix = 'custodia-proc-'): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), prefix));
}

/** An embedded data dir already holding the migrated schema (a fresh one takes seconds to create). */
export async function preparedDataDir(): Promise<string> {
  const dir = path.join(await scratchDir('custodia-data-'), 'data');
  const handle = await openPglite({ dataDir: dir, loadDataDir: await pgliteTemplate() });
  await handle.close();
  return dir;
}

/** A prepared data dir with its keys set up and the key file written, as a first start leaves it. */
export async function keyedDataDir(): Promise<string> {
  const dir = await preparedDataDir();
  const handle = await openPglite({ dataDir: dir });
  try {
    await openKeys(handle, testConfig({ CUSTODIA_DATA_DIR: dir }));
  } finally {
    await handle.close();
  }
  return dir;
}

/** `custodia tenant create` for a new tenant whose admin is admin@<slug>.test. */
export function tenantCreateArgs(slug: string): string[] {
  return [
    'tenant',
    'create',
    '--slug',
    slug,
    '--name',
    'Acme BV',
    '--admin-email',
    `admin@${slug}.test`,
    '--admin-password',
    'correct horse battery staple',
  ];
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], env: Record<string, string>, cwd?: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: childEnv(env), cwd: cwd ?? os.tmpdir() });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * The `custodia` command's own main() in this process, with `env` as its whole
 * environment (no .env): argument handling, configuration, the database and
 * the output as the binary has them, without a process start per case.
 * runCli keeps the few cases that are about the process itself.
 */
export async function runCliInProcess(args: string[], env: Record<string, string>): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
    config: () => testConfig(env),
  });
  return { code, stdout, stderr };
}

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  output(): string;
  /** Resolves with the exit code once the process has ended. */
  exited: Promise<number | null>;
}

/** Starts `src/main.ts` as `npm start` does and waits until it listens. */
export async function startServerProcess(env: Record<string, string>, cwd?: string): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--import', TSX, MAIN], {
    env: childEnv({ HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'warn', ...env }),
    cwd: cwd ?? os.tmpdir(),
  });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 45_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening:\n${output}`));
    });
  });
  return { child, url, output: () => output, exited };
}

/** Runs a server process to completion as the same kind of start would, returning its exit code and output. */
export function runServerToExit(env: Record<string, string>): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', TSX, MAIN], {
      env: childEnv({ HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'warn', ...env }),
      cwd: os.tmpdir(),
    });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 45_000);
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * The database a CLI process of this test file opens: a prepared embedded data
 * dir (pglite project) or the file's own server database (postgres project).
 * `env` is what the process needs to find it; `on` works on that database in
 * between (opening the data dir, with the master key the CLI will use, and
 * letting go of it again, since one process at a time may hold it).
 */
export function useCliDatabase(t: TestDatabase) {
  let dataDir: string | undefined;
  let env: Record<string, string> = {};
  beforeAll(async () => {
    if (testDbKind() === 'pglite') dataDir = await preparedDataDir();
    env = dataDir ? { CUSTODIA_DATA_DIR: dataDir } : { DATABASE_URL: t.url!, CUSTODIA_MASTER_KEY: t.masterKey };
  });
  return {
    get env() {
      return env;
    },
    async on<T>(work: (db: Kysely<Database>, keyring: Keyring) => Promise<T>): Promise<T> {
      if (!dataDir) return work(t.handle.db, t.keyring);
      const handle = await openPglite({ dataDir });
      const { keyring } = await openKeys(handle, testConfig({ CUSTODIA_DATA_DIR: dataDir }));
      registerKeyring(handle.db, keyring);
      try {
        return await work(handle.db, keyring);
      } finally {
        await handle.close();
      }
    },
  };
}
