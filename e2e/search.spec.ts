import { randomBytes } from 'node:crypto';
import { expect, expectNoSeriousA11yViolations, signIn, test } from './support/test.ts';

// Global search (issue 15): one box for contacts, leads, organizations and deals.

const uniqueWord = (stem: string) =>
  `${stem}${randomBytes(4)
    .toString('hex')
    .replace(/\d/g, (d) => 'qwrtypsdfg'[Number(d)]!)}`;

test.describe.configure({ timeout: 90_000 });

test('global search finds a contact and a lead by name and by e-mail, and opens them', async ({ page, request, tenant, baseURL }) => {
  const login = await request.post(`${baseURL}/api/v1/auth/login`, {
    data: { tenant: tenant.slug, email: tenant.email, password: tenant.password },
  });
  const headers = { authorization: `Bearer ${((await login.json()) as { token: string }).token}` };
  const lastName = uniqueWord('Zoek');
  const address = `karel.${lastName.toLowerCase()}@example.test`;
  const contact = await request.post(`${baseURL}/api/v1/contacts`, { headers, data: { firstName: 'Karel', lastName, emails: [address] } });
  expect(contact.ok()).toBe(true);
  const { id: contactId } = (await contact.json()) as { id: string };
  const lead = await request.post(`${baseURL}/api/v1/leads`, { headers, data: { firstName: 'Lotte', lastName, emails: [] } });
  expect(lead.ok()).toBe(true);

  await signIn(page, tenant);
  await expect(page.getByRole('heading', { level: 1, name: 'Contacts' })).toBeVisible();
  await page.goto('/search');
  await expect(page.getByRole('heading', { level: 1, name: 'Search' })).toBeVisible();
  const box = page.getByRole('searchbox', { name: 'Search everything' });
  await box.fill(lastName.slice(0, 8));
  await box.press('Enter');
  await expect(page.getByRole('region', { name: 'Contacts' }).getByRole('link', { name: `Karel ${lastName}` })).toBeVisible();
  await expect(page.getByRole('region', { name: 'Leads' }).getByRole('link', { name: `Lotte ${lastName}` })).toBeVisible();
  await expectNoSeriousA11yViolations(page);

  await box.fill(address);
  await box.press('Enter');
  await expect(page).toHaveURL(/\/search\?q=/);
  const hit = page.getByRole('link', { name: `Karel ${lastName}` });
  await expect(hit).toBeVisible();
  await expect(page.getByRole('link', { name: `Lotte ${lastName}` })).toHaveCount(0);
  await hit.click();
  await expect(page).toHaveURL(new RegExp(`/contacts/${contactId}$`));
  await expect(page.getByRole('heading', { level: 1, name: `Karel ${lastName}` })).toBeVisible();
});

test('a search that finds nothing says so; the header box searches from any page', async ({ page, tenant }) => {
  await signIn(page, tenant);
  await expect(page.getByRole('heading', { level: 1, name: 'Contacts' })).toBeVisible();
  const word = uniqueWord('Nobody');
  const box = page.getByRole('banner').getByRole('searchbox', { name: 'Search everything' });
  await box.fill(word);
  await box.press('Enter');
  await expect(page).toHaveURL(new RegExp(`/search\\?q=${word}$`));
  await expect(page.getByText(/^0 results for/)).toBeVisible();
  // On the search page itself the header's box gives way to the page's own.
  await expect(page.getByRole('searchbox', { name: 'Search everything' })).toHaveCount(1);
});
