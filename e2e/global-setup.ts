import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { E2E_ENV, type E2eTenant } from './support/env.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function cli(env: NodeJS.ProcessEnv, args: string[]): string {
  const result = spawnSync(process.execPath, ['bin/custodia.js', ...args], { cwd: root, env, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`custodia ${args.slice(0, 2).join(' ')} failed (${result.status}): ${result.stderr}`);
  return result.stdout;
}

function createTenant(env: NodeJS.ProcessEnv, slug: string): E2eTenant {
  const email = `admin@${slug}.test`;
  const password = `e2e ${randomBytes(12).toString('base64url')}`;
  cli(env, ['tenant', 'create', '--slug', slug, '--name', `${slug} BV`, '--admin-email', email, '--admin-password', password]);
  return { slug, email, password };
}

async function waitUntilReady(url: string, server: ChildProcess): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`the server exited with ${server.exitCode} while starting`);
    try {
      if ((await fetch(`${url}/readyz`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error('the server did not become ready within 60 s');
}

/** Builds the app when stale, starts the real server on a fresh data dir with two tenants, and stops it afterwards. */
export default async function globalSetup(): Promise<() => Promise<void>> {
  const build = spawnSync(process.execPath, ['scripts/web-build-if-stale.mjs'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('the web app did not build');

  const dataDir = mkdtempSync(path.join(tmpdir(), 'custodia-e2e-'));
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: 'warn',
    CUSTODIA_DATA_DIR: dataDir,
    CUSTODIA_MASTER_KEY: randomBytes(32).toString('base64'),
    CUSTODIA_TEST_CHEAP_PASSWORD_HASHING: 'true',
    CUSTODIA_PUBLIC_URL: `http://127.0.0.1:${port}`,
  };
  // Before the server starts, the CLI opens the data dir itself.
  const main = createTenant(env, 'e2e');
  const mfa = createTenant(env, 'e2e-mfa');

  const server = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: root, env, stdio: ['ignore', 'inherit', 'inherit'] });
  const url = `http://127.0.0.1:${port}`;
  await waitUntilReady(url, server);
  process.env[E2E_ENV.url] = url;
  process.env[E2E_ENV.tenant] = JSON.stringify(main);
  process.env[E2E_ENV.mfaTenant] = JSON.stringify(mfa);

  return async () => {
    if (server.exitCode === null) {
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGTERM');
      await exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
}
