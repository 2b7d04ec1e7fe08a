import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { APIRequestContext, Page } from '@playwright/test';
import { expect, expectNoSeriousA11yViolations, signIn, test } from './support/test.ts';
import type { E2eTenant } from './support/env.ts';

const FIXTURES = 'test/fixtures/imports';
const SCREENSHOTS = 'docs/screenshots';

// Each test signs in, works through several screens and scans each with axe: more than the default 30 s on 2 cores.
test.describe.configure({ timeout: 90_000 });

async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: `${SCREENSHOTS}/${name}.png` });
}

/** A user of its own (made by the tenant admin through the API), so no test leans on another's contacts. */
async function newUser(request: APIRequestContext, baseURL: string, admin: E2eTenant, language: 'en' | 'nl' = 'en'): Promise<E2eTenant> {
  const login = await request.post(`${baseURL}/api/v1/auth/login`, {
    data: { tenant: admin.slug, email: admin.email, password: admin.password },
  });
  const { token } = (await login.json()) as { token: string };
  const email = `importer.${Date.now()}.${Math.floor(Math.random() * 1e6)}@${admin.slug}.test`;
  const password = `pw ${Math.random().toString(36).slice(2)} ${Date.now()}`;
  const created = await request.post(`${baseURL}/api/v1/users`, {
    headers: { authorization: `Bearer ${token}` },
    data: { email, name: 'Import Tester', password, isAdmin: true, language },
  });
  expect(created.ok(), await created.text()).toBe(true);
  return { slug: admin.slug, email, password };
}

async function chooseFile(
  page: Page,
  fieldLabel: string,
  file: string | { name: string; mimeType: string; buffer: Buffer },
): Promise<void> {
  const chooser = page.waitForEvent('filechooser');
  await page.getByLabel(fieldLabel, { exact: true }).click();
  await (await chooser).setFiles(file);
}

async function chooseOption(page: Page, label: string, option: string): Promise<void> {
  await page.getByRole('combobox', { name: label }).click();
  await page.getByRole('option', { name: option, exact: true }).click();
}

/** A small CSV whose headers the server does not know (so they are mapped by hand) with one line that cannot be a person. */
function csvWithOneBadLine(): { name: string; mimeType: string; buffer: Buffer } {
  const unique = `${Date.now()}${Math.floor(Math.random() * 1e6)}`;
  const lines = [
    'Given,Family,Correspondence',
    `Anna,Vos,anna.${unique}@example.com`,
    ',,not an e-mail address',
    `Bram,Smit,bram.${unique}@example.com`,
  ];
  return { name: 'people.csv', mimeType: 'text/csv', buffer: Buffer.from(`${lines.join('\r\n')}\r\n`) };
}

async function countOf(page: Page, label: string): Promise<number> {
  const row = page.getByTestId('import-counts').getByRole('row', { name: label });
  return Number((await row.getByRole('cell').textContent())!.replace(/\D/g, ''));
}

test('a Google Contacts export: mapping preview, lawful basis, dry run, import, and the import page', async ({
  page,
  request,
  tenant,
  baseURL,
}) => {
  const user = await newUser(request, baseURL!, tenant);
  await signIn(page, user);
  await expect(page.getByRole('heading', { level: 1, name: 'Contacts' })).toBeVisible();
  await page.getByRole('navigation', { name: 'Main navigation' }).getByRole('link', { name: 'Import' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Import contacts' })).toBeVisible();
  await page.mouse.move(1000, 700); // off the navigation link just clicked, whose hover shade is the shell's
  await expectNoSeriousA11yViolations(page);

  await chooseFile(page, 'File', path.join(FIXTURES, 'google.csv'));
  await expect(page.getByTestId('file-summary')).toContainText('CSV file with');
  await page.getByRole('button', { name: 'Next' }).click();

  // The header as read in the browser, each column with an example value and what it is read as.
  const mapping = page.getByTestId('column-mapping');
  await expect(mapping.getByRole('row', { name: /^First Name/ })).toContainText('Sanne');
  await expect(mapping.getByRole('combobox', { name: 'Read column E-mail 1 - Value as' })).toHaveValue('Automatic');
  await page.getByRole('button', { name: 'Start the dry run' }).click();
  await expect(page.getByText('Choose the lawful basis for these people')).toBeVisible();
  await chooseOption(page, 'Lawful basis', 'Legitimate interests');
  await expectNoSeriousA11yViolations(page);
  await page.getByRole('button', { name: 'Start the dry run' }).click();

  await expect(page.getByRole('heading', { name: 'What the import would do' })).toBeVisible();
  const wouldCreate = await countOf(page, 'New people');
  expect(wouldCreate).toBeGreaterThan(0);
  await expect(page.getByText('No line was refused.')).toBeVisible();
  await expectNoSeriousA11yViolations(page);
  await screenshot(page, 'import-en');

  // Back to the columns: the dry run told which ones are used.
  await page.getByRole('button', { name: 'Change the settings' }).click();
  await expect(mapping.getByRole('row', { name: /^First Name/ })).toContainText('Used');
  await expect(mapping.getByRole('row', { name: /^Phonetic First Name/ })).toContainText('Not used');
  await page.getByRole('button', { name: 'Start the dry run' }).click();
  await expect(page.getByRole('heading', { name: 'What the import would do' })).toBeVisible();
  const linesRead = await countOf(page, 'Lines read');

  // While the upload is in flight (held here until the bar is seen), the wizard follows the import it named, of the dry run's count.
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  await page.route(/\/api\/v1\/imports\/contacts\?/, async (route) => {
    await held;
    await route.continue();
  });
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  await expect(page.getByTestId('import-progress')).toContainText(`of ${linesRead} lines done`);
  release();

  await expect(page.getByRole('heading', { name: 'Import finished' })).toBeVisible();
  await expect(page.getByTestId('import-progress')).toHaveCount(0);
  expect(await countOf(page, 'New people')).toBe(wouldCreate);
  await expectNoSeriousA11yViolations(page);
  await page.getByRole('link', { name: "Link to this import's result" }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Import' })).toBeVisible();
  await expect(page.getByText('Finished', { exact: true })).toBeVisible();
  expect(await countOf(page, 'New people')).toBe(wouldCreate);
  await expectNoSeriousA11yViolations(page);

  // The people are there: importing the same file again creates nobody and leaves them as they were.
  await page.getByRole('link', { name: 'Import another file' }).click();
  await chooseFile(page, 'File', path.join(FIXTURES, 'google.csv'));
  await page.getByRole('button', { name: 'Next' }).click();
  await chooseOption(page, 'Lawful basis', 'Legitimate interests');
  await page.getByRole('button', { name: 'Start the dry run' }).click();
  await expect(page.getByRole('heading', { name: 'What the import would do' })).toBeVisible();
  expect(await countOf(page, 'New people')).toBe(0);
  expect(await countOf(page, 'Already known, left as they were')).toBe(wouldCreate);
});

test('columns mapped by hand; the line that cannot be imported is refused with its reason, in the dry run and in the result', async ({
  page,
  request,
  tenant,
  baseURL,
}) => {
  const user = await newUser(request, baseURL!, tenant);
  await signIn(page, user);
  await expect(page.getByRole('heading', { level: 1, name: 'Contacts' })).toBeVisible();
  await page.goto('/import');
  await chooseFile(page, 'File', csvWithOneBadLine());
  await page.getByRole('button', { name: 'Next' }).click();
  await chooseOption(page, 'Lawful basis', 'Contract');
  await chooseOption(page, 'Read column Given as', 'First name');
  await chooseOption(page, 'Read column Family as', 'Last name');
  await chooseOption(page, 'Read column Correspondence as', 'E-mail (work)');
  await page.getByRole('button', { name: 'Start the dry run' }).click();

  await expect(page.getByRole('heading', { name: '1 line refused' })).toBeVisible();
  const refused = page.getByTestId('refused-lines').getByRole('row').nth(1);
  await expect(refused.getByRole('cell').first()).toHaveText('3');
  await expect(refused.getByRole('cell').nth(1)).not.toBeEmpty();
  expect(await countOf(page, 'New people')).toBe(2);
  await expectNoSeriousA11yViolations(page);

  await page.getByRole('button', { name: 'Import', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Import finished' })).toBeVisible();
  await expect(page.getByRole('status')).toContainText('2 new, 0 updated, 1 refused.');
  await expect(page.getByTestId('refused-lines').getByRole('row').nth(1).getByRole('cell').first()).toHaveText('3');
});

test('Dutch throughout: a Dutch user imports a file and reads the refused line in Dutch screens', async ({
  page,
  request,
  tenant,
  baseURL,
}) => {
  const user = await newUser(request, baseURL!, tenant, 'nl');
  await signIn(page, user);
  await expect(page.getByRole('heading', { level: 1, name: 'Contactpersonen' })).toBeVisible();
  await page.getByRole('navigation', { name: 'Hoofdnavigatie' }).getByRole('link', { name: 'Importeren' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Contactpersonen importeren' })).toBeVisible();
  await chooseFile(page, 'Bestand', csvWithOneBadLine());
  await expect(page.getByTestId('file-summary')).toContainText('CSV-bestand met 3 kolommen');
  await page.getByRole('button', { name: 'Volgende' }).click();
  await chooseOption(page, 'Rechtsgrond', 'Toestemming');
  await chooseOption(page, 'Kolom Given lezen als', 'Voornaam');
  await chooseOption(page, 'Kolom Family lezen als', 'Achternaam');
  await chooseOption(page, 'Kolom Correspondence lezen als', 'E-mail');
  await expectNoSeriousA11yViolations(page);
  await page.getByRole('button', { name: 'Proefrun starten' }).click();
  await expect(page.getByRole('heading', { name: 'Wat de import zou doen' })).toBeVisible();
  await expect(page.getByRole('heading', { name: '1 regel geweigerd' })).toBeVisible();
  await expect(page.getByTestId('refused-lines').getByRole('row').nth(1).getByRole('cell').first()).toHaveText('3');
  await expectNoSeriousA11yViolations(page);
  await screenshot(page, 'import-nl');
  await page.getByRole('button', { name: 'Importeren', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Import klaar' })).toBeVisible();
  await expect(page.getByRole('status')).toContainText('2 nieuw, 0 bijgewerkt, 1 geweigerd.');
});

test('a vCard file needs no column mapping', async ({ page, request, tenant, baseURL }) => {
  const user = await newUser(request, baseURL!, tenant);
  await signIn(page, user);
  await expect(page.getByRole('heading', { level: 1, name: 'Contacts' })).toBeVisible();
  await page.goto('/import');
  await chooseFile(page, 'File', path.join(FIXTURES, 'android-3.0.vcf'));
  await expect(page.getByTestId('file-summary')).toContainText('vCard file');
  await page.getByRole('button', { name: 'Next' }).click();
  await expect(page.getByTestId('column-mapping')).toHaveCount(0);
  await chooseOption(page, 'Lawful basis', 'Consent');
  await page.getByRole('radio', { name: "Update them with the file's values" }).check();
  await page.getByRole('button', { name: 'Start the dry run' }).click();
  await expect(page.getByRole('heading', { name: 'What the import would do' })).toBeVisible();
  expect(await countOf(page, 'New people')).toBeGreaterThan(0);
});

test('the import wizard works on a phone @phone', async ({ page, request, tenant, baseURL }) => {
  const user = await newUser(request, baseURL!, tenant);
  await signIn(page, user);
  await expect(page.getByRole('heading', { level: 1, name: 'Contacts' })).toBeVisible();
  await page.goto('/import');
  await chooseFile(page, 'File', csvWithOneBadLine());
  await page.getByRole('button', { name: 'Next' }).click();
  await chooseOption(page, 'Lawful basis', 'Contract');
  await chooseOption(page, 'Read column Given as', 'First name');
  await chooseOption(page, 'Read column Family as', 'Last name');
  await chooseOption(page, 'Read column Correspondence as', 'E-mail');
  await page.getByRole('button', { name: 'Start the dry run' }).click();
  await expect(page.getByRole('heading', { name: '1 line refused' })).toBeVisible();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await expectNoSeriousA11yViolations(page);
});
