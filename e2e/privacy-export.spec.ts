import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { APIRequestContext } from '@playwright/test';
import { expect, expectNoSeriousA11yViolations, signIn, test } from './support/test.ts';

// Issue 17's public request form and access package: a person files an access
// request on the Dutch form, opens the e-mailed link (the e2e server has no
// SMTP server: `custodia mail outbox` reads the queued mail), confirms, and
// gets the case's reference; the privacy officer finds the verified case and
// downloads its package from the case page.

test.describe.configure({ timeout: 120_000 });

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SCREENSHOTS = 'docs/screenshots';

async function bearer(request: APIRequestContext, who: { slug: string; email: string; password: string }) {
  const login = await request.post('/api/v1/auth/login', { data: { tenant: who.slug, email: who.email, password: who.password } });
  expect(login.ok()).toBe(true);
  return { authorization: `Bearer ${((await login.json()) as { token: string }).token}` };
}

/** The data dir of the server this run started (the `custodia-e2e-*` dir whose lock holder serves baseURL). */
function serverDataDir(baseURL: string): string {
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

/** The verification link mailed to `email`, from `custodia mail outbox --json` over the running server's admin socket. */
function verificationLink(dataDir: string, email: string): Promise<string> {
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
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`custodia mail outbox failed (${code}): ${stderr}`));
      const mail = (JSON.parse(stdout) as Array<{ template: string; to: string; locale: string; text: string }>).find(
        (m) => m.template === 'privacy_request_verify' && m.to === email,
      );
      const link = mail && /https?:\/\/\S+\/requests\/verify\?token=[A-Za-z0-9_-]+/.exec(mail.text);
      if (!mail || mail.locale !== 'nl' || !link) return reject(new Error('no Dutch verification mail in the outbox'));
      resolve(link[0]);
    });
  });
}

test('a Dutch access request on the public form, confirmed by its link; the officer downloads the package from the case', async ({
  page,
  request,
  tenant,
  baseURL,
}) => {
  const suffix = randomBytes(4).toString('hex');
  const email = `sanne-${suffix}@privacy-export.test`;
  const headers = await bearer(request, tenant);
  const person = await request.post('/api/v1/contacts', {
    headers,
    data: { firstName: 'Sanne', lastName: `Jansen ${suffix}`, emails: [email] },
  });
  expect(person.status(), await person.text()).toBe(201);

  // The public form, in Dutch.
  await page.goto(`/api/v1/public/${tenant.slug}/requests/new?lang=nl`);
  await expect(page.getByRole('heading', { level: 1, name: 'Een verzoek over je persoonsgegevens' })).toBeVisible();
  await expect(page.locator('html')).toHaveAttribute('lang', 'nl');
  // The empty form (the address below is random per run).
  await page.screenshot({ path: `${SCREENSHOTS}/public-request-nl.png` });
  await page.getByRole('textbox', { name: 'Je e-mailadres' }).fill(email);
  await page.getByRole('combobox', { name: 'Wat vraag je?' }).selectOption('access');
  await expectNoSeriousA11yViolations(page);
  await page.getByRole('button', { name: 'Verzoek versturen' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Kijk in je mailbox' })).toBeVisible();

  // The mailed link: its page changes nothing; its button files the request.
  const link = await verificationLink(serverDataDir(baseURL!), email);
  await page.goto(link);
  await expect(page.getByRole('heading', { level: 1, name: 'Bevestig je verzoek' })).toBeVisible();
  await expect(page.getByText('Inzage in de persoonsgegevens die jullie van mij hebben')).toBeVisible();
  await expectNoSeriousA11yViolations(page);
  await page.getByRole('button', { name: 'Bevestigen' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Bedankt, je verzoek is ingediend' })).toBeVisible();
  await expectNoSeriousA11yViolations(page);
  const reference = /R-[0-9A-F]{8}/.exec((await page.locator('main').textContent()) ?? '')?.[0];
  expect(reference).toBeDefined();

  // The privacy officer: the form's address on the list, the verified case, the package.
  await signIn(page, tenant);
  await expect(page.getByRole('navigation', { name: 'Main navigation' })).toBeVisible();
  await page.goto('/privacy/requests');
  await expect(page.getByRole('textbox', { name: 'Public request form' })).toHaveValue(
    `${baseURL}/api/v1/public/${tenant.slug}/requests/new`,
  );
  await page.getByRole('link', { name: reference! }).click();
  await expect(page.getByRole('heading', { level: 1, name: `Access request ${reference}` })).toBeVisible();
  await expect(page.getByText('Verified', { exact: true }).first()).toBeVisible();
  await expect(page.getByRole('heading', { level: 2, name: 'Data package' })).toBeVisible();
  await expectNoSeriousA11yViolations(page);
  const download = page.waitForEvent('download');
  await page.getByRole('link', { name: 'Download package' }).click();
  expect((await download).suggestedFilename()).toBe(`access-package-${reference}.zip`);
  await expect(page.getByText('Data package delivered').first()).toBeVisible();
});
