import { randomBytes } from 'node:crypto';
import { expect, expectNoSeriousA11yViolations, test } from './support/test.ts';
import { bearer, mailedLink } from './support/server.ts';

// A person signs up on the public form in Dutch, opens the e-mailed link (the
// e2e server has no SMTP server: the operator's `custodia mail outbox` reads
// the queued mail), sees the Dutch confirmation page, confirms with its
// button and gets the Dutch thank-you page; the link then confirms nothing more.

const SCREENSHOTS = 'docs/screenshots';

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
  const link = await mailedLink(baseURL!, {
    template: 'consent_confirmation',
    to: email,
    locale: 'nl',
    pattern: /https?:\/\/\S+\/subscriptions\/confirm\?token=[A-Za-z0-9_-]+/,
  });
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
