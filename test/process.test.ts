import { existsSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { adminSocketPath } from '../src/cli/admin-socket.js';
import { lockPath } from '../src/db/data-dir-lock.js';
import { testDbKind, useTestDatabase } from './db.js';
import { uniqueSlug } from './factories.js';
import {
  keyedDataDir,
  preparedDataDir,
  runCli,
  runCliInProcess,
  runServerToExit,
  startServerProcess,
  tenantCreateArgs,
  type ServerProcess,
} from './processes.js';

// The server as `npm start` runs it: a real process, signals and restarts.
const kind = testDbKind();
const db = useTestDatabase();

async function envFor(): Promise<Record<string, string>> {
  return kind === 'pglite' ? { CUSTODIA_DATA_DIR: await preparedDataDir() } : { DATABASE_URL: db.url!, CUSTODIA_MASTER_KEY: db.masterKey };
}

async function createTenantViaCli(env: Record<string, string>, slug: string, run = runCli) {
  const result = await run(tenantCreateArgs(slug), env);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as { tenantId: string; slug: string; adminUserId: string };
}

async function signIn(server: ServerProcess, slug: string) {
  return fetch(`${server.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ tenant: slug, email: `admin@${slug}.test`, password: 'correct horse battery staple' }),
  });
}

async function stop(server: ServerProcess, signal: NodeJS.Signals = 'SIGTERM') {
  server.child.kill(signal);
  return server.exited;
}

describe(`server process (${kind})`, () => {
  it('serves, takes CLI commands while running, exits 0 on SIGTERM and finds its data after a restart', async () => {
    const env = await envFor();
    const first = await startServerProcess(env);
    try {
      expect(await (await fetch(`${first.url}/healthz`)).json()).toEqual({ status: 'ok' });
      expect((await fetch(`${first.url}/readyz`)).status).toBe(200);

      // While the server runs: on PGlite the CLI goes through the admin socket.
      const slug = uniqueSlug('proc');
      const created = await createTenantViaCli(env, slug);
      const listed = JSON.parse((await runCli(['tenant', 'list', '--json'], env)).stdout);
      expect(listed.map((t: { slug: string }) => t.slug)).toContain(slug);
      expect((await signIn(first, slug)).status).toBe(200);

      // Bad input does not disturb the server.
      const broken = await fetch(`${first.url}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"tenant":',
      });
      expect(broken.status).toBe(400);
      expect(broken.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect((await fetch(`${first.url}/healthz`)).status).toBe(200);

      expect(await stop(first)).toBe(0);
      if (kind === 'pglite') {
        expect(existsSync(lockPath(env.CUSTODIA_DATA_DIR!))).toBe(false);
        expect(existsSync(adminSocketPath(env.CUSTODIA_DATA_DIR!))).toBe(false);
      }

      // Not running: the CLI opens the database itself.
      const offline = JSON.parse((await runCli(['tenant', 'list', '--json'], env)).stdout);
      expect(offline).toContainEqual(expect.objectContaining({ id: created.tenantId, slug }));

      const second = await startServerProcess(env);
      try {
        const res = await signIn(second, slug);
        expect(res.status).toBe(200);
        expect(((await res.json()) as { user: { id: string } }).user.id).toBe(created.adminUserId);
      } finally {
        expect(await stop(second, 'SIGINT')).toBe(0);
      }
    } finally {
      if (first.child.exitCode === null) first.child.kill('SIGKILL');
    }
  }, 120_000);

  it('finishes an in-flight request before exiting on SIGTERM', async () => {
    const server = await startServerProcess(await envFor());
    // The request's headers and half its body go out before the signal, the
    // rest after it: the server has accepted the request and must finish it.
    const { port } = new URL(server.url);
    const body = JSON.stringify({ tenant: 'nobody-here', email: 'x@y.test', password: 'whatever it is' });
    const response = new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/api/v1/auth/login',
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        },
      );
      req.on('error', reject);
      req.write(body.slice(0, 10));
      setTimeout(() => {
        server.child.kill('SIGTERM');
        setTimeout(() => req.end(body.slice(10)), 300);
      }, 300);
    });
    const answered = await response;
    expect(answered.status).toBe(401);
    expect(JSON.parse(answered.text).code).toBe('invalid_credentials');
    const code = await server.exited;
    expect(server.output()).not.toContain('shutdown timed out');
    expect(code).toBe(0);
  }, 60_000);

  it('stops at start with exit 2 naming a bad variable', async () => {
    const result = await runServerToExit({ ...(await envFor()), PORT: 'http' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('invalid configuration: PORT: must be a whole number');
  }, 60_000);

  it("refuses at start the test suite's cheap password hashing", async () => {
    // As any normal start: no NODE_ENV=test (which the suite's own environment has).
    const result = await runServerToExit({ ...(await envFor()), NODE_ENV: '', CUSTODIA_TEST_CHEAP_PASSWORD_HASHING: 'true' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('invalid configuration: CUSTODIA_TEST_CHEAP_PASSWORD_HASHING: is for the test suite only');
  }, 60_000);
});

describe.runIf(kind === 'pglite')('embedded data dir between processes', () => {
  it('refuses a second server on the same data dir, saying why', async () => {
    const env = await envFor();
    const server = await startServerProcess(env);
    try {
      const second = await runServerToExit(env);
      expect(second.code).toBe(3);
      expect(second.stderr).toContain(`is in use by a Custodia server (pid ${server.child.pid})`);
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    } finally {
      expect(await stop(server)).toBe(0);
    }
  }, 60_000);

  it('refuses to start with a master key that does not match the data', async () => {
    const env = { CUSTODIA_DATA_DIR: await keyedDataDir() };
    const wrong = await runServerToExit({ ...env, CUSTODIA_MASTER_KEY: randomBytes(32).toString('base64') });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(
      /refusing to start: the configured master key \(local:[0-9a-f]+\) is not the one this data was encrypted with/,
    );
    // The right key (the generated file) still opens it.
    const again = await startServerProcess(env);
    expect(await stop(again)).toBe(0);
  }, 90_000);

  it('recovers after the server is killed with SIGKILL: stale lock taken over, data intact', async () => {
    const env = await envFor();
    const server = await startServerProcess(env);
    const slug = uniqueSlug('kill');
    await createTenantViaCli(env, slug, runCliInProcess); // through the server's admin socket
    await stop(server, 'SIGKILL');
    expect(existsSync(lockPath(env.CUSTODIA_DATA_DIR!))).toBe(true);

    const restarted = await startServerProcess(env);
    try {
      expect((await signIn(restarted, slug)).status).toBe(200);
    } finally {
      expect(await stop(restarted)).toBe(0);
    }
  }, 90_000);
});

describe.runIf(kind === 'pglite')('a missing master key file', () => {
  it('is never replaced for existing data: the start is refused with a clear reason', async () => {
    const env = { CUSTODIA_DATA_DIR: await keyedDataDir() };
    const keyFile = path.join(env.CUSTODIA_DATA_DIR!, 'master.key');
    await rename(keyFile, `${keyFile}.away`);
    const refused = await runServerToExit(env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('master key file');
    expect(refused.stderr).toContain('is missing');
    expect(existsSync(keyFile)).toBe(false);
    await rename(`${keyFile}.away`, keyFile);
    const again = await startServerProcess(env);
    expect(await stop(again)).toBe(0);
  }, 90_000);
});
