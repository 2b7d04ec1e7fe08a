import { randomBytes } from 'node:crypto';
import { expect, expectNoSeriousA11yViolations, signIn, test } from './support/test.ts';

// Issue 17, retention in the privacy center: the "2 years after last contact"
// preset, a legal hold placed on a contact picked by name, and a dry run with
// its report and its line among the last runs. The preset's rules erase
// nothing a test session could have made (all of it is minutes old), the dry
// run changes nothing and no real run is started, so the shared tenant keeps
// its data for the other specs.

test.describe.configure({ timeout: 120_000 });

test('the preset adds its rules, a legal hold is placed on a contact, and a dry run shows its report', async ({
  page,
  request,
  baseURL,
  tenant,
}) => {
  const lastName = `Holdsworth${randomBytes(3).toString('hex')}`;
  const login = await request.post(`${baseURL}/api/v1/auth/login`, {
    data: { tenant: tenant.slug, email: tenant.email, password: tenant.password },
  });
  expect(login.ok()).toBe(true);
  const token = ((await login.json()) as { token: string }).token;
  const created = await request.post(`${baseURL}/api/v1/contacts`, {
    headers: { authorization: `Bearer ${token}` },
    data: { firstName: 'Hanna', lastName },
  });
  expect(created.ok(), await created.text()).toBe(true);

  await signIn(page, tenant);
  await expect(page.getByRole('navigation', { name: 'Main navigation' })).toBeVisible();
  await page.goto('/privacy/retention');
  await expect(page.getByRole('heading', { level: 1, name: 'Retention and legal holds' })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Retention' })).toHaveAttribute('aria-current', 'page');

  // The preset: contacts and leads, erased 2 years after the last contact.
  await page.getByRole('button', { name: 'Add the preset: 2 years after last contact' }).click();
  const rules = page.getByRole('table', { name: /Retention rules/ });
  await expect(rules.getByRole('cell', { name: 'Contacts: erase 730 days after the last contact', exact: true })).toBeVisible();
  await expect(rules.getByRole('cell', { name: 'Leads: erase 730 days after the last contact', exact: true })).toBeVisible();

  // A legal hold on the contact, picked by name.
  const holdForm = page.locator('form').filter({ has: page.getByRole('heading', { name: 'Place a legal hold' }) });
  await holdForm.getByRole('combobox', { name: 'Contact' }).fill(lastName);
  await page.getByRole('option', { name: `Hanna ${lastName}` }).click();
  await holdForm.getByRole('textbox', { name: 'Reason' }).fill('Pending warranty claim 2027/31');
  await expectNoSeriousA11yViolations(page);
  await holdForm.getByRole('button', { name: 'Place hold' }).click();
  const holds = page.getByRole('table', { name: /Legal holds/ });
  const holdRow = holds.getByRole('row').filter({ hasText: 'Pending warranty claim 2027/31' });
  await expect(holdRow).toBeVisible();
  await expect(holdRow.getByText('Active')).toBeVisible();

  // A dry run: a report, nothing changed, and the run among the last runs.
  await page.getByRole('button', { name: 'Run now (dry run)' }).click();
  const report = page.getByRole('status').filter({ has: page.getByRole('heading', { name: 'What a run would do' }) });
  await expect(report).toBeVisible();
  await expect(report.getByText(/^Would erase \d+, would anonymize 0; \d+ kept by a hold or restriction; 0 failed\.$/)).toBeVisible();
  const lastRuns = page.getByRole('table', { name: 'The last retention runs, newest first' });
  await expect(lastRuns.getByText('Dry run').first()).toBeVisible();
  await expectNoSeriousA11yViolations(page);

  // Released with a reason, the hold says so.
  await holdRow.getByRole('button', { name: 'Release' }).click();
  const dialog = page.getByRole('dialog', { name: 'Release the legal hold' });
  await dialog.getByRole('textbox', { name: 'Why it is released' }).fill('Claim settled');
  await dialog.getByRole('button', { name: 'Release' }).click();
  await expect(dialog).toBeHidden();
  await expect(holdRow.getByText('Released')).toBeVisible();
  await expect(holdRow.getByText('Claim settled')).toBeVisible();
});
