import { randomBytes } from 'node:crypto';
import type { APIRequestContext, Page } from '@playwright/test';
import { expect, expectNoSeriousA11yViolations, signIn, test } from './support/test.ts';

// People screens (issue 15): contacts and leads, their forms, the recycle bin, conversion and the access log.
// Every test makes its own people through the API with names no other test uses.

// Several axe scans per test on a shared 2-core machine take longer than the default 30 s.
test.describe.configure({ timeout: 90_000 });

interface Api {
  post: <T>(path: string, body: unknown) => Promise<T>;
  patch: <T>(path: string, body: unknown) => Promise<T>;
}

async function apiAs(request: APIRequestContext, baseURL: string, who: { slug: string; email: string; password: string }): Promise<Api> {
  const login = await request.post(`${baseURL}/api/v1/auth/login`, {
    data: { tenant: who.slug, email: who.email, password: who.password },
  });
  expect(login.ok()).toBe(true);
  const { token } = (await login.json()) as { token: string };
  const headers = { authorization: `Bearer ${token}` };
  const send = async <T>(method: 'post' | 'patch', path: string, body: unknown): Promise<T> => {
    const response = await request[method](`${baseURL}/api/v1${path}`, { headers, data: body });
    expect(response.ok(), `${method} ${path}: ${response.status()} ${await response.text()}`).toBe(true);
    return (await response.json()) as T;
  };
  return { post: (path, body) => send('post', path, body), patch: (path, body) => send('patch', path, body) };
}

/** A surname nobody else has, so searches find exactly this test's person. */
const uniqueName = (stem: string) =>
  `${stem}${randomBytes(4)
    .toString('hex')
    .replace(/\d/g, (d) => 'qwrtypsdfg'[Number(d)]!)}`;

interface Person {
  id: string;
  version: number;
}

async function openContacts(page: Page, tenant: { slug: string; email: string; password: string }) {
  await signIn(page, tenant);
  await expect(page.getByRole('heading', { level: 1, name: 'Contacts' })).toBeVisible();
}

test('a contact with a bad e-mail shows the error next to the field, a good one is saved; list, form and detail pass axe', async ({
  page,
  tenant,
}) => {
  const lastName = uniqueName('Badmail');
  await openContacts(page, tenant);
  await expect(page.getByRole('table')).toBeVisible();
  await expectNoSeriousA11yViolations(page);

  await page.getByRole('link', { name: 'New contact' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'New contact' })).toBeVisible();
  await expectNoSeriousA11yViolations(page);
  await page.getByLabel('First name').fill('Anna');
  await page.getByLabel('Last name').fill(lastName);
  const email = page.getByLabel('E-mail address 1');
  await email.fill('anna-at-nowhere');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(email).toHaveAttribute('aria-invalid', 'true');
  // The API's message, tied to the field (aria-describedby) rather than a general alert.
  const describedBy = (await email.getAttribute('aria-describedby')) ?? '';
  await expect(page.locator(`[id="${describedBy.split(' ').find((id) => id.includes('error'))}"]`)).toContainText(
    'e-mail address is not valid',
  );
  await expect(page).toHaveURL(/\/contacts\/new$/);

  await email.fill(`anna.${lastName.toLowerCase()}@example.test`);
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page).toHaveURL(/\/contacts\/[0-9a-f-]{36}$/);
  await expect(page.getByRole('heading', { level: 1, name: `Anna ${lastName}` })).toBeVisible();
  await expect(page.getByRole('link', { name: `anna.${lastName.toLowerCase()}@example.test` })).toBeVisible();
  await expectNoSeriousA11yViolations(page);
});

test('an edit is saved; an edit based on an old version shows the conflict and a reload', async ({ page, request, tenant, baseURL }) => {
  const api = await apiAs(request, baseURL!, tenant);
  const lastName = uniqueName('Stale');
  const contact = await api.post<Person>('/contacts', { firstName: 'Bram', lastName, emails: [`bram.${lastName}@example.test`] });

  await openContacts(page, tenant);
  await page.goto(`/contacts/${contact.id}/edit`);
  await expect(page.getByRole('heading', { level: 1, name: `Edit Bram ${lastName}` })).toBeVisible();
  await page.getByLabel('Job title').fill('Buyer');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page).toHaveURL(new RegExp(`/contacts/${contact.id}$`));
  await expect(page.getByText('Buyer', { exact: true })).toBeVisible();

  // Open the form, then someone else changes the contact before it is saved.
  await page.getByRole('link', { name: 'Edit' }).click();
  await expect(page.getByLabel('Job title')).toHaveValue('Buyer');
  const current = await request.get(`${baseURL}/api/v1/contacts/${contact.id}`, { headers: await bearer(request, baseURL!, tenant) });
  const { version } = (await current.json()) as Person;
  await api.patch(`/contacts/${contact.id}`, { jobTitle: 'Head of purchasing', version });
  await page.getByLabel('Job title').fill('Sales director');
  await page.getByRole('button', { name: 'Save' }).click();
  const conflict = page.getByRole('alert').filter({ hasText: 'Someone else changed this record' });
  await expect(conflict).toBeVisible();
  await expect(page).toHaveURL(/\/edit$/);
  await conflict.getByRole('button', { name: 'Reload' }).click();
  await expect(page.getByLabel('Job title')).toHaveValue('Head of purchasing');
  await expect(conflict).toHaveCount(0);
  await page.getByLabel('Job title').fill('Sales director');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page).toHaveURL(new RegExp(`/contacts/${contact.id}$`));
  await expect(page.getByText('Sales director', { exact: true })).toBeVisible();
});

async function bearer(request: APIRequestContext, baseURL: string, who: { slug: string; email: string; password: string }) {
  const login = await request.post(`${baseURL}/api/v1/auth/login`, {
    data: { tenant: who.slug, email: who.email, password: who.password },
  });
  return { authorization: `Bearer ${((await login.json()) as { token: string }).token}` };
}

test('the contacts list finds a contact by name prefix and by exact e-mail', async ({ page, request, tenant, baseURL }) => {
  const api = await apiAs(request, baseURL!, tenant);
  const lastName = uniqueName('Findme');
  const address = `cees.${lastName.toLowerCase()}@example.test`;
  await api.post<Person>('/contacts', { firstName: 'Cees', lastName, emails: [address] });
  await api.post<Person>('/contacts', { firstName: 'Other', lastName: uniqueName('Nobody'), emails: [`other.${lastName}@example.test`] });

  await openContacts(page, tenant);
  const search = page.getByRole('search', { name: 'Search contacts' });
  await search.getByLabel('Name').fill(lastName.slice(0, 9));
  await search.getByRole('button', { name: 'Search' }).click();
  await expect(page).toHaveURL(/q=/);
  const rows = page.getByRole('table').getByRole('row');
  await expect(rows.filter({ hasText: `Cees ${lastName}` })).toHaveCount(1);
  await expect(rows).toHaveCount(2); // the header and the one contact

  await search.getByLabel('Name').fill('');
  await search.getByLabel('E-mail address').fill(address.toUpperCase());
  await search.getByRole('button', { name: 'Search' }).click();
  await expect(rows.filter({ hasText: `Cees ${lastName}` })).toHaveCount(1);
  await expect(rows).toHaveCount(2);

  await search.getByLabel('E-mail address').fill(`nobody.${lastName}@example.test`);
  await search.getByRole('button', { name: 'Search' }).click();
  await expect(page.getByText('No contact matches.')).toBeVisible();
});

test('a deleted contact goes to the recycle bin and is restored from there', async ({ page, request, tenant, baseURL }) => {
  const api = await apiAs(request, baseURL!, tenant);
  const lastName = uniqueName('Binned');
  const contact = await api.post<Person>('/contacts', { firstName: 'Dirk', lastName, emails: [] });

  await openContacts(page, tenant);
  await page.goto(`/contacts/${contact.id}`);
  await expect(page.getByRole('heading', { level: 1, name: `Dirk ${lastName}` })).toBeVisible();
  await page.getByRole('button', { name: 'Delete' }).click();
  const dialog = page.getByRole('dialog', { name: 'Delete this contact?' });
  await dialog.getByRole('button', { name: 'Delete' }).click();
  await expect(page).toHaveURL(/\/contacts(\?.*)?$/);

  await page.goto('/recycle-bin');
  await expect(page.getByRole('heading', { level: 1, name: 'Recycle bin' })).toBeVisible();
  const row = page.getByRole('row').filter({ hasText: `Dirk ${lastName}` });
  await expect(row).toBeVisible();
  await expectNoSeriousA11yViolations(page);
  await row.getByRole('button', { name: `Restore Dirk ${lastName}` }).click();
  await expect(page.getByText(`Dirk ${lastName} was restored`)).toBeVisible();
  await expect(row).toHaveCount(0);

  await page.goto(`/contacts/${contact.id}`);
  await expect(page.getByRole('heading', { level: 1, name: `Dirk ${lastName}` })).toBeVisible();
});

test('converting a lead opens the new contact', async ({ page, request, tenant, baseURL }) => {
  const api = await apiAs(request, baseURL!, tenant);
  const lastName = uniqueName('Convert');
  const lead = await api.post<Person>('/leads', {
    firstName: 'Eva',
    lastName,
    emails: [`eva.${lastName}@example.test`],
    company: `${lastName} BV`,
  });

  await signIn(page, tenant);
  await expect(page.getByRole('heading', { level: 1, name: 'Contacts' })).toBeVisible();
  await page.getByRole('navigation', { name: 'Main navigation' }).getByRole('link', { name: 'Leads' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Leads' })).toBeVisible();
  await page.getByRole('link', { name: `Eva ${lastName}` }).click();
  await expect(page.getByRole('heading', { level: 1, name: `Eva ${lastName}` })).toBeVisible();
  await expectNoSeriousA11yViolations(page);
  await page.getByRole('button', { name: 'Convert' }).click();
  const dialog = page.getByRole('dialog', { name: 'Convert this lead into a contact' });
  await expect(dialog.getByLabel(`Create or reuse the organization ${lastName} BV`)).toBeChecked();
  await dialog.getByRole('button', { name: 'Convert' }).click();

  await expect(page).toHaveURL(/\/contacts\/[0-9a-f-]{36}$/);
  await expect(page.getByRole('heading', { level: 1, name: `Eva ${lastName}` })).toBeVisible();
  await expect(page.getByRole('link', { name: `${lastName} BV` })).toBeVisible();
  await page.getByRole('link', { name: 'Converted from a lead' }).click();
  await expect(page).toHaveURL(new RegExp(`/leads/${lead.id}`));
  await expect(page.getByText('Converted', { exact: true }).first()).toBeVisible();
  await expect(page.getByRole('button', { name: 'Convert' })).toHaveCount(0);
});

test('"who accessed this person" lists the reads of a contact and of a lead', async ({ page, request, tenant, baseURL }) => {
  const api = await apiAs(request, baseURL!, tenant);
  const lastName = uniqueName('Watched');
  const contact = await api.post<Person>('/contacts', { firstName: 'Fenna', lastName, emails: [] });
  const lead = await api.post<Person>('/leads', { firstName: 'Gijs', lastName, emails: [] });

  await openContacts(page, tenant);
  await page.goto(`/contacts/${contact.id}`);
  await expect(page.getByRole('heading', { level: 1, name: `Fenna ${lastName}` })).toBeVisible();
  await page.getByRole('tab', { name: 'Who accessed this person' }).click();
  const log = page.getByRole('table', { name: 'Who accessed this person, newest first' });
  await expect(log.getByRole('row').filter({ hasText: 'Viewed' }).first()).toContainText('(you)');
  await expect(log.getByRole('row').filter({ hasText: 'Created' })).toHaveCount(1);
  await expectNoSeriousA11yViolations(page);

  await page.goto(`/leads/${lead.id}?tab=access`);
  await expect(page.getByRole('heading', { level: 1, name: `Gijs ${lastName}` })).toBeVisible();
  await expect(log.getByRole('row').filter({ hasText: 'Viewed' }).first()).toContainText('(you)');
});

test('a lead is created through its form and found by status; the form passes axe', async ({ page, tenant }) => {
  const lastName = uniqueName('Newlead');
  await signIn(page, tenant);
  await expect(page.getByRole('heading', { level: 1, name: 'Contacts' })).toBeVisible();
  await page.goto('/leads/new');
  await expect(page.getByRole('heading', { level: 1, name: 'New lead' })).toBeVisible();
  await expectNoSeriousA11yViolations(page);
  await page.getByLabel('First name').fill('Hanna');
  await page.getByLabel('Last name').fill(lastName);
  await page.getByLabel('Company').fill(`${lastName} Ltd`);
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('heading', { level: 1, name: `Hanna ${lastName}` })).toBeVisible();
  await page.goto(`/leads?status=new&q=${lastName.slice(0, 10)}`);
  await expect(page.getByRole('row').filter({ hasText: `Hanna ${lastName}` })).toBeVisible();
  await page.goto(`/leads?status=qualified&q=${lastName.slice(0, 10)}`);
  await expect(page.getByText('No lead matches.')).toBeVisible();
});

test('screenshots of the people screens in English and Dutch', async ({ request, tenant, baseURL, browser }) => {
  const api = await apiAs(request, baseURL!, tenant);
  const lastName = uniqueName('Jansen');
  const contact = await api.post<Person>('/contacts', {
    firstName: 'Jan',
    lastName,
    emails: [`jan.${lastName.toLowerCase()}@example.test`],
    phones: ['+31 20 123 4567'],
    jobTitle: 'Buyer',
    tags: ['newsletter'],
    lawfulBasis: 'contract',
  });
  // A Dutch-speaking colleague, so the shared admin's language is never changed.
  const dutch = {
    slug: tenant.slug,
    email: `${lastName.toLowerCase()}@e2e.test`,
    password: `e2e ${randomBytes(12).toString('base64url')}`,
  };
  await api.post('/users', { email: dutch.email, name: 'Jet Visser', password: dutch.password, isAdmin: true, language: 'nl' });

  const shoot = async (who: typeof tenant, lang: 'en' | 'nl') => {
    const context = await browser.newContext({ baseURL: baseURL!, viewport: { width: 1280, height: 800 }, locale: 'en-GB' });
    const shot = await context.newPage();
    await signIn(shot, who);
    await expect(shot.getByRole('heading', { level: 1, name: lang === 'en' ? 'Contacts' : 'Contactpersonen' })).toBeVisible();
    await expect(shot.getByRole('table')).toBeVisible();
    await shot.screenshot({ path: `docs/screenshots/contacts-${lang}.png` });
    await shot.goto(`/contacts/${contact.id}`);
    await expect(shot.getByRole('heading', { level: 1, name: `Jan ${lastName}` })).toBeVisible();
    await shot.screenshot({ path: `docs/screenshots/contact-${lang}.png` });
    await shot.goto(`/contacts/${contact.id}/edit`);
    await expect(shot.getByLabel(lang === 'en' ? 'Job title' : 'Functie')).toHaveValue('Buyer');
    await shot.screenshot({ path: `docs/screenshots/contact-form-${lang}.png` });
    await shot.goto('/leads');
    await expect(shot.getByRole('table')).toBeVisible();
    await shot.screenshot({ path: `docs/screenshots/leads-${lang}.png` });
    await shot.goto('/recycle-bin');
    await expect(shot.getByRole('heading', { level: 1, name: lang === 'en' ? 'Recycle bin' : 'Prullenbak' })).toBeVisible();
    await expect(shot.getByRole('table')).toBeVisible();
    await shot.screenshot({ path: `docs/screenshots/recycle-bin-${lang}.png` });
    await context.close();
  };
  await shoot(tenant, 'en');
  await shoot(dutch, 'nl');
});

test('the contacts list fits a phone @phone', async ({ page, request, tenant, baseURL }) => {
  const api = await apiAs(request, baseURL!, tenant);
  const lastName = uniqueName('Phone');
  await api.post<Person>('/contacts', { firstName: 'Ilse', lastName, emails: [`ilse.${lastName}@example.test`] });
  await openContacts(page, tenant);
  await page.goto(`/contacts?q=${lastName.slice(0, 9)}`);
  const link = page.getByRole('link', { name: `Ilse ${lastName}` });
  await expect(link).toBeInViewport();
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
  await expect(page.getByRole('button', { name: 'New contact' }).or(page.getByRole('link', { name: 'New contact' }))).toBeVisible();
  await expectNoSeriousA11yViolations(page);
  await link.click();
  await expect(page.getByRole('heading', { level: 1, name: `Ilse ${lastName}` })).toBeVisible();
});

test('an administrator exports the contacts as CSV from the list', async ({ page, request, tenant, baseURL }) => {
  const api = await apiAs(request, baseURL!, tenant);
  const lastName = uniqueName('Export');
  await api.post<Person>('/contacts', { firstName: 'Joost', lastName, emails: [], tags: [lastName.toLowerCase()] });
  await openContacts(page, tenant);
  await page.goto(`/contacts?tag=${lastName.toLowerCase()}`);
  await expect(page.getByRole('row').filter({ hasText: `Joost ${lastName}` })).toBeVisible();
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Export CSV' }).click()]);
  const csv = await (await download.createReadStream()).toArray();
  const text = Buffer.concat(csv as Buffer[]).toString('utf8');
  expect(text).toContain(lastName);
  expect(text.split('\n').filter((line) => line.trim() !== '')).toHaveLength(2); // the header and the one tagged contact
});
