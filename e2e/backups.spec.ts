import { randomBytes } from 'node:crypto';
import type { APIRequestContext } from '@playwright/test';
import { expect, expectNoSeriousA11yViolations, signIn, test } from './support/test.ts';
import { bearer } from './support/server.ts';

// The Backups tab of the admin area (issue 18). Every test makes its own user
// through the API; the backup it starts is of the e2e tenant, which the run's
// server (a fresh data dir) writes to its default target inside that data dir.

interface Person {
  slug: string;
  email: string;
  password: string;
}

async function createUser(
  request: APIRequestContext,
  tenant: { slug: string; email: string; password: string },
  options: { isAdmin: boolean; language?: 'en' | 'nl' },
): Promise<Person> {
  const suffix = randomBytes(4).toString('hex');
  const person = {
    slug: tenant.slug,
    email: `${options.isAdmin ? 'admin' : 'rep'}-${suffix}@backups-spec.test`,
    password: `pw ${randomBytes(9).toString('base64url')}`,
  };
  const created = await request.post('/api/v1/users', {
    headers: await bearer(request, tenant),
    data: {
      email: person.email,
      name: `Backup ${options.isAdmin ? 'Admin' : 'Rep'} ${suffix}`,
      password: person.password,
      isAdmin: options.isAdmin,
      language: options.language ?? 'en',
    },
  });
  expect(created.status()).toBe(201);
  return person;
}

interface Overview {
  items: Array<{ id: string; scope: string; status: string; bytes: number | null; rows: number | null }>;
}

test('an admin backs up the tenant from the Backups tab and sees the backup listed; the panel passes axe', async ({
  page,
  request,
  tenant,
}) => {
  test.setTimeout(120_000);
  const admin = await createUser(request, tenant, { isAdmin: true });
  const headers = await bearer(request, admin);
  const before = (await (await request.get('/api/v1/backups', { headers })).json()) as Overview;

  await page.setViewportSize({ width: 1280, height: 800 });
  await signIn(page, admin);
  await expect(page.getByRole('heading', { level: 1, name: 'Contacts' })).toBeVisible();
  await page.getByRole('navigation', { name: 'Main navigation' }).getByRole('link', { name: 'Admin' }).click();
  await page.getByRole('tab', { name: 'Backups' }).click();
  await expect(page.getByRole('tab', { name: 'Backups' })).toHaveAttribute('aria-selected', 'true');
  const panel = page.getByRole('tabpanel');
  await expect(panel.getByRole('heading', { level: 2, name: 'Backups' })).toBeVisible();
  await expect(panel.locator('.mantine-Loader-root')).toHaveCount(0);
  // Where they go and when the next one runs (the e2e server keeps the default schedule and target).
  await expect(panel.getByText('Stored in: a directory on the server')).toBeVisible();
  await expect(panel.getByText('Next scheduled backup:')).toBeVisible();
  // Restores are a CLI step: the panel shows the command, and no button starts one.
  await expect(panel.getByRole('heading', { level: 2, name: 'Restore' })).toBeVisible();
  await expect(panel.getByText(/npx custodia backup restore \S+ --tenant/)).toBeVisible();
  await expect(panel.getByRole('button', { name: /restore/i })).toHaveCount(0);

  // Asked first; cancelling starts nothing.
  await panel.getByRole('button', { name: 'Back up this tenant now' }).click();
  const dialog = page.getByRole('dialog', { name: 'Back up this tenant now?' });
  await expect(dialog).toBeVisible();
  await expectNoSeriousA11yViolations(page);
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toBeHidden();
  const afterCancel = (await (await request.get('/api/v1/backups', { headers })).json()) as Overview;
  expect(afterCancel.items.filter((i) => i.scope === 'tenant').length).toBe(before.items.filter((i) => i.scope === 'tenant').length);

  await panel.getByRole('button', { name: 'Back up this tenant now' }).click();
  await dialog.getByRole('button', { name: 'Start backup' }).click();
  await expect(page.getByText('The backup has started; it appears in the list when it is done.')).toBeVisible();

  // The list refreshes by itself until the backup is done: a finished backup of this organization with its size.
  const table = panel.getByRole('table', { name: /Backups of this organization and of the whole instance/ });
  const done = table
    .getByRole('row')
    .filter({ hasText: 'This organization' })
    .filter({ has: page.getByText('Done', { exact: true }) });
  await expect(done.first()).toBeVisible({ timeout: 60_000 });
  await expect(done.first()).toContainText(/\d+(\.\d)? (kB|MB|bytes)/);

  // What the API holds is what the screen said: one more finished backup of the tenant, with rows in it.
  const after = (await (await request.get('/api/v1/backups', { headers })).json()) as Overview;
  const tenantBackups = after.items.filter((i) => i.scope === 'tenant' && i.status === 'ok');
  expect(tenantBackups.length).toBe(before.items.filter((i) => i.scope === 'tenant' && i.status === 'ok').length + 1);
  expect(tenantBackups.every((b) => (b.rows ?? 0) > 0 && (b.bytes ?? 0) > 0)).toBe(true);

  await expect(panel.locator('.mantine-Loader-root')).toHaveCount(0);
  await expectNoSeriousA11yViolations(page);
  await page.screenshot({ path: 'docs/screenshots/backups-en.png' });
});

test('the Backups tab speaks Dutch', async ({ page, request, tenant }) => {
  const admin = await createUser(request, tenant, { isAdmin: true, language: 'nl' });
  await signIn(page, admin);
  await expect(page.getByRole('heading', { level: 1, name: 'Contactpersonen' })).toBeVisible();
  await page.goto('/admin?section=backups');
  await expect(page.getByRole('heading', { level: 1, name: 'Beheer' })).toBeVisible();
  await expect(page.getByRole('tab', { name: 'Back-ups' })).toHaveAttribute('aria-selected', 'true');
  const panel = page.getByRole('tabpanel');
  await expect(panel.getByRole('heading', { level: 2, name: 'Back-ups' })).toBeVisible();
  await expect(panel.getByRole('button', { name: 'Nu een back-up van deze tenant maken' })).toBeVisible();
  await expect(panel.getByText('Opgeslagen in: een map op de server')).toBeVisible();
  await expect(panel.getByRole('heading', { level: 2, name: 'Terugzetten' })).toBeVisible();
  await expect(panel.locator('.mantine-Loader-root')).toHaveCount(0);
  await expectNoSeriousA11yViolations(page);
});

test('a user who is no administrator sees no Backups tab, and the API refuses them', async ({ page, request, tenant }) => {
  const rep = await createUser(request, tenant, { isAdmin: false });
  await signIn(page, rep);
  await expect(page.getByRole('heading', { level: 1, name: 'Contacts' })).toBeVisible();
  await page.goto('/admin?section=backups');
  await expect(page.getByText('Administrators only')).toBeVisible();
  await expect(page.getByRole('tab')).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Back up this tenant now' })).toHaveCount(0);
  await expect(page.getByRole('heading', { name: 'Backups' })).toHaveCount(0);
  const headers = await bearer(request, rep);
  expect((await request.get('/api/v1/backups', { headers })).status()).toBe(403);
  expect((await request.post('/api/v1/backups', { headers })).status()).toBe(403);
});
