import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, type APIRequestContext } from '@playwright/test';

// What browser tests ask of the server the global setup started, beside the
// browser: an API bearer for a tenant's admin, and the mail it queued (the e2e
// server has no SMTP server; the operator's `custodia mail outbox` reads it
// over the running server's admin socket).

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

type Who = { slug: string; email: string; password: string };

/** The Authorization header of a fresh API session of `who` (request must carry the run's baseURL). */
export async function bearer(request: APIRequestContext, who: Who): Promise<{ authorization: string }> {
  const login = await request.post('/api/v1/auth/login', { data: { tenant: who.slug, email: who.email, password: who.password } });
  expect(login.ok()).toBe(true);
  return { authorization: `Bearer ${((await login.json()) as { token: string }).token}` };
}

/**
 * The data dir of the server this run started: the global setup makes it in
 * the temp dir and hands the tests only the URL, so it is the `custodia-e2e-*`
 * dir whose lock holder was started with this URL as its public address.
 */
export function serverDataDir(baseURL: string): string {
  for (const name of readdirSync(tmpdir()).filter((entry) => entry.startsWith('custodia-e2e-'))) {
    const dir = path.join(tmpdir(), name);
    try {
      const { pid } = JSON.parse(readFileSync(path.join(dir, 'custodia.lock'), 'utf8')) as { pid: number };
      const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
      if (environ.includes(`CUSTODIA_PUBLIC_URL=${baseURL}`)) return dir;
    } catch {
      // another run's dir, gone or not ours
    }
  }
  throw new Error(`no data dir of the server at ${baseURL}`);
}

export interface OutboxMessage {
  template: string;
  to: string;
  locale: string;
  text: string;
  createdAt: string;
}

/** The pending mail of the run's server, from `custodia mail outbox --json`. */
export function mailOutbox(baseURL: string): Promise<OutboxMessage[]> {
  const dataDir = serverDataDir(baseURL);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/custodia.js', 'mail', 'outbox', '--json', '--status', 'pending', '--limit', '1000'], {
      cwd: root,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'test', LOG_LEVEL: 'warn', CUSTODIA_DATA_DIR: dataDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve(JSON.parse(stdout) as OutboxMessage[]) : reject(new Error(`custodia mail outbox failed (${code}): ${stderr}`)),
    );
  });
}

/** The link matching `pattern` in the newest mail of `template` to `to` (in `locale` when given); fails the test when there is none. */
export async function mailedLink(
  baseURL: string,
  mail: { template: string; to: string; pattern: RegExp; locale?: string },
): Promise<string> {
  const found = (await mailOutbox(baseURL))
    .filter((m) => m.template === mail.template && m.to === mail.to)
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0];
  expect(found, `a ${mail.template} mail to the address`).toBeDefined();
  if (mail.locale) expect(found!.locale).toBe(mail.locale);
  const link = mail.pattern.exec(found!.text);
  expect(link, `a link in the ${mail.template} mail`).not.toBeNull();
  return link![0];
}
