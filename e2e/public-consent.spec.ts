import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { APIRequestContext } from '@playwright/test';
import { expect, expectNoSeriousA11yViolations, test } from './support/test.ts';

// A person signs up on the public form in Dutch, opens the e-mailed link (the
// e2e server has no SMTP server: the operator's `custodia mail outbox` reads
// the queued mail), sees the Dutch confirmation page, confirms with its
// button and gets the Dutch thank-you page; the link then confirms nothing more.

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

/** The confirmation link mailed to `email`, from `custodia mail outbox --json` over the running server's admin socket. */
function confirmationLink(dataDir: string, email: string): Promise<string> {
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
        (m) => m.template === 'consent_confirmation' && m.to === email,
      );
      const link = mail && /https?:\/\/\S+\/subscriptions\/confirm\?token=[A-Za-z0-9_-]+/.exec(mail.text);
      if (!mail || mail.locale !== 'nl' || !link) return reject(new Error('no Dutch confirmation mail in the outbox'));
      resolve(link[0]);
    });
  });
}

test('a public sign-up in Dutch: the form, the link page with its Confirm button, the thank-you page; the link then confirms nothing', async ({
  page,
  request,
  tenant,
  baseURL,
}) => {
  test.setTimeout(90_000);
  const suffix = randomBytes(4).toString('hex');
  const headers = await bearer(request, tenant);
  const created = await request.post('/api/v1/privacy/purposes', {
    headers,
    data: {
      name: `Nieuwsbrief ${suffix}`,
      lawfulBasis: 'consent',
      dataCategories: ['e-mailadres', 'voornaam'],
      retentionDays: 730,
      marketing: true,
      notice: { language: 'en', text: 'We send you our monthly newsletter until you unsubscribe.' },
    },
  });
  expect(created.status(), await created.text()).toBe(201);
  const purpose = (await created.json()) as { id: string };
  const dutch = await request.post(`/api/v1/privacy/purposes/${purpose.id}/notices`, {
    headers,
    data: { language: 'nl', text: 'We sturen je elke maand onze nieuwsbrief, tot je je afmeldt.' },
  });
  expect(dutch.ok(), await dutch.text()).toBe(true);

  // The public form, in Dutch.
  await page.goto(`/api/v1/public/${tenant.slug}/subscribe?purpose=${purpose.id}&lang=nl`);
  await expect(page.getByRole('heading', { level: 1, name: `Aanmelden: Nieuwsbrief ${suffix}` })).toBeVisible();
  await expect(page.getByText('We sturen je elke maand onze nieuwsbrief, tot je je afmeldt.')).toBeVisible();
  await expectNoSeriousA11yViolations(page);
  const email = `lotte-${suffix}@public-consent.test`;
  await page.getByRole('textbox', { name: 'E-mailadres' }).fill(email);
  await page.getByRole('textbox', { name: 'Voornaam (optioneel)' }).fill('Lotte');
  await page.getByRole('button', { name: 'Aanmelden' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Kijk in je mailbox' })).toBeVisible();

  // The mailed link opens the Dutch confirmation page; opening it changes nothing.
  const link = await confirmationLink(serverDataDir(baseURL!), email);
  await page.goto(link);
  await expect(page.getByRole('heading', { level: 1, name: 'Bevestig je aanmelding' })).toBeVisible();
  await expect(page.locator('html')).toHaveAttribute('lang', 'nl');
  await expect(page.getByText('We sturen je elke maand onze nieuwsbrief, tot je je afmeldt.')).toBeVisible();
  await expect(page.locator('p.tenant')).not.toBeEmpty(); // the tenant's name above the heading
  await expectNoSeriousA11yViolations(page);
  await page.screenshot({ path: `${SCREENSHOTS}/public-confirm-nl.png` });

  await page.getByRole('button', { name: 'Bevestigen' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Bedankt, je bent aangemeld' })).toBeVisible();
  await expect(page.getByText(`Je toestemming voor "Nieuwsbrief ${suffix}" is vastgelegd.`, { exact: false })).toBeVisible();
  await expectNoSeriousA11yViolations(page);

  // A second click on the link: nothing more to confirm.
  await page.goto(link);
  await expect(page.getByRole('heading', { level: 1, name: 'Al bevestigd' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Bevestigen' })).toHaveCount(0);
});
