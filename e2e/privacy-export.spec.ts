import { randomBytes } from 'node:crypto';
import { expect, expectNoSeriousA11yViolations, signIn, test } from './support/test.ts';
import { bearer, mailedLink } from './support/server.ts';

// Issue 17's public request form and access package: a person files an access
// request on the Dutch form, opens the e-mailed link (the e2e server has no
// SMTP server: `custodia mail outbox` reads the queued mail), confirms, and
// gets the case's reference; the privacy officer finds the verified case and
// downloads its package from the case page.

test.describe.configure({ timeout: 120_000 });

const SCREENSHOTS = 'docs/screenshots';

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
  const link = await mailedLink(baseURL!, {
    template: 'privacy_request_verify',
    to: email,
    locale: 'nl',
    pattern: /https?:\/\/\S+\/requests\/verify\?token=[A-Za-z0-9_-]+/,
  });
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
