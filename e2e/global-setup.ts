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

function cli(env: NodeJS.ProcessEnv, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/custodia.js', ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve(stdout) : reject(new Error(`custodia ${args.slice(0, 2).join(' ')} failed (${code}): ${stderr}`)),
    );
  });
}

async function createTenant(env: NodeJS.ProcessEnv, slug: string): Promise<E2eTenant> {
  const email = `admin@${slug}.test`;
  const password = `e2e ${randomBytes(12).toString('base64url')}`;
  await cli(env, ['tenant', 'create', '--slug', slug, '--name', `${slug} BV`, '--admin-email', email, '--admin-password', password]);
  return { slug, email, password };
}

async function acceptDpa(url: string, who: E2eTenant): Promise<void> {
  const login = await fetch(`${url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ tenant: who.slug, email: who.email, password: who.password }),
  });
  const { token } = (await login.json()) as { token: string };
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const { version } = (await (await fetch(`${url}/api/v1/privacy/dpa/status`, { headers })).json()) as { version: string };
  const accepted = await fetch(`${url}/api/v1/privacy/dpa/accept`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ version, name: 'E2E Admin', title: 'Administrator' }),
  });
  if (!accepted.ok) throw new Error(`could not accept the DPA for ${who.slug}: ${accepted.status}`);
  await fetch(`${url}/api/v1/auth/logout`, { method: 'POST', headers });
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

/** Builds the app when stale, starts the real server on a fresh data dir with three tenants, and stops it afterwards. */
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
  const server = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: root, env, stdio: ['ignore', 'inherit', 'inherit'] });
  const url = `http://127.0.0.1:${port}`;
  await waitUntilReady(url, server);
  // The CLI talks to the running server over its admin socket: no second open of the database.
  const [main, mfa, sales] = await Promise.all([createTenant(env, 'e2e'), createTenant(env, 'e2e-mfa'), createTenant(env, 'e2e-sales')]);
  // The main tenant's admin has accepted the DPA, as a live tenant's would have: the banner that asks
  // (e2e/privacy.spec.ts tests it on e2e-sales) would otherwise push every other screen down and share its role.
  await acceptDpa(url, main);
  process.env[E2E_ENV.url] = url;
  process.env[E2E_ENV.tenant] = JSON.stringify(main);
  process.env[E2E_ENV.mfaTenant] = JSON.stringify(mfa);
  process.env[E2E_ENV.salesTenant] = JSON.stringify(sales);

  return async () => {
    if (server.exitCode === null) {
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGTERM');
      await exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
}
