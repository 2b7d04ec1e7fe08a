import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { expect, expectNoSeriousA11yViolations, signIn, test } from './support/test.ts';

// Issue 17 in the privacy center: a data-subject request opened, verified,
// extended with the note that the person must be told, completed, and gone from
// the open list; an old request flagged overdue; a breach recorded with its
// 72-hour deadline counting down. Nothing here changes tenant-wide settings.

test.describe.configure({ timeout: 120_000 });

const SCREENSHOTS = 'docs/screenshots';

/** A datetime-local value `days` ago, in the browser's (and this process's) local time. */
function localDaysAgo(days: number): string {
  const moment = new Date(Date.now() - days * 86_400_000);
  return new Date(moment.getTime() - moment.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
}

test('a request is opened, verified, extended and completed, and leaves the open list; an old one is overdue', async ({ page, tenant }) => {
  const address = `requester-${randomBytes(4).toString('hex')}@example.test`;
  await signIn(page, tenant);
  await expect(page.getByRole('navigation', { name: 'Main navigation' })).toBeVisible();
  await page.goto('/privacy/requests');
  await expect(page.getByRole('heading', { level: 1, name: 'Data-subject requests' })).toBeVisible();

  // Open a case from an e-mail address.
  await page.getByRole('link', { name: 'New request' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'New data-subject request' })).toBeVisible();
  await page.getByRole('textbox', { name: 'E-mail address' }).fill(address);
  await expectNoSeriousA11yViolations(page);
  await page.getByRole('button', { name: 'Open request' }).click();
  const heading = page.getByRole('heading', { level: 1, name: /^Access request R-[0-9A-F]{8}$/ });
  await expect(heading).toBeVisible();
  const reference = ((await heading.textContent()) ?? '').replace('Access request ', '');
  await expect(page.getByText(address)).toBeVisible();
  await expect(page.getByText('Received', { exact: true }).first()).toBeVisible();

  // Verify the requester's identity.
  await page.getByRole('button', { name: 'Verify identity' }).click();
  const verify = page.getByRole('dialog', { name: 'Verify identity' });
  await verify.getByRole('combobox', { name: 'Verification method' }).click();
  await page.getByRole('option', { name: 'Identity document' }).click();
  await verify.getByRole('textbox', { name: 'Note' }).fill('Passport shown at the front desk');
  await verify.getByRole('button', { name: 'Verify identity' }).click();
  await expect(verify).toBeHidden();
  await expect(page.getByText('Verified', { exact: true }).first()).toBeVisible();

  // Extend the deadline: the dialog says the person must be told, and the case keeps saying it.
  await page.getByRole('button', { name: 'Extend deadline' }).click();
  const extend = page.getByRole('dialog', { name: 'Extend deadline' });
  await expect(extend.getByText(/You must tell the person about the extension and its reasons within the first month/)).toBeVisible();
  await extend.getByRole('textbox', { name: 'Reason' }).fill('The data is spread over three old systems');
  await expectNoSeriousA11yViolations(page);
  await extend.getByRole('button', { name: 'Extend deadline' }).click();
  await expect(extend).toBeHidden();
  await expect(page.getByText(/The person must be told of the extension and its reasons by/)).toBeVisible();
  await expect(page.getByText('1 month', { exact: true })).toBeVisible();
  await expect(page.getByText('The data is spread over three old systems')).toBeVisible();

  // Complete it.
  await page.getByRole('button', { name: 'Complete' }).click();
  const complete = page.getByRole('dialog', { name: 'Complete' });
  await complete.getByRole('textbox', { name: 'Note' }).fill('Copy of the data sent by registered mail');
  await complete.getByRole('button', { name: 'Complete' }).click();
  await expect(complete).toBeHidden();
  await expect(page.getByText('This case is closed.')).toBeVisible();
  const history = page.getByRole('region', { name: 'History' });
  for (const step of ['Received', 'Identity verified', 'Deadline extended', 'Completed'])
    await expect(history.getByText(step, { exact: true })).toBeVisible();
  await expectNoSeriousA11yViolations(page);
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: `${SCREENSHOTS}/privacy-request-en.png`, fullPage: true });

  // It has left the open list, and shows among the closed ones.
  await page.getByRole('link', { name: 'Requests', exact: true }).click();
  const table = page.getByRole('table', { name: 'Requests by due date, the earliest first' });
  await expect(page.getByRole('heading', { level: 1, name: 'Data-subject requests' })).toBeVisible();
  await expect(table.or(page.getByText('No requests here.'))).toBeVisible();
  await expect(page.getByRole('link', { name: reference })).toHaveCount(0);
  const show = page.getByRole('radiogroup', { name: 'Show' });
  await show.getByText('Closed', { exact: true }).click();
  await expect(table.getByRole('link', { name: reference })).toBeVisible();

  // A request received 40 days ago is overdue, flagged in the open list.
  await page.getByRole('link', { name: 'New request' }).click();
  await page.getByRole('textbox', { name: 'E-mail address' }).fill(`late-${address}`);
  await page.getByLabel('Received').fill(localDaysAgo(40));
  await page.getByRole('button', { name: 'Open request' }).click();
  const lateHeading = page.getByRole('heading', { level: 1, name: /^Access request R-/ });
  await expect(lateHeading).toBeVisible();
  const lateReference = ((await lateHeading.textContent()) ?? '').replace('Access request ', '');
  await expect(page.getByText('Overdue', { exact: true })).toBeVisible();
  await page.getByRole('link', { name: 'Requests', exact: true }).click();
  const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: lateReference }) });
  await expect(row.getByText('Overdue', { exact: true })).toBeVisible();
  await show.getByText('Overdue', { exact: true }).click();
  await expect(table.getByRole('link', { name: lateReference })).toBeVisible();
  await expect(table.getByRole('link', { name: reference })).toHaveCount(0);
  await expectNoSeriousA11yViolations(page);
});

test('a breach is recorded and its 72-hour deadline counts down', async ({ page, tenant }) => {
  const nature = `Laptop ${randomBytes(3).toString('hex')} with a customer export stolen from a car`;
  await signIn(page, tenant);
  await expect(page.getByRole('navigation', { name: 'Main navigation' })).toBeVisible();
  await page.goto('/privacy/breaches');
  await expect(page.getByRole('heading', { level: 1, name: 'Breach register' })).toBeVisible();
  await page.getByRole('link', { name: 'Record a breach' }).click();
  await page.getByRole('textbox', { name: 'What happened' }).fill(nature);
  const categories = page.getByRole('combobox', { name: 'Categories of personal data' });
  await categories.fill('contact details');
  await categories.press('Enter');
  await page.getByRole('textbox', { name: 'Approximate number of people' }).fill('120');
  await page.getByRole('textbox', { name: 'Likely consequences' }).fill('Phishing of the customers in the export');
  await page.getByRole('textbox', { name: 'Measures taken or proposed' }).fill('Remote wipe requested');
  await expectNoSeriousA11yViolations(page);
  await page.getByRole('button', { name: 'Record breach' }).click();

  await expect(page.getByRole('heading', { level: 1, name: /^Breach detected / })).toBeVisible();
  const countdown = page.getByTestId('breach-countdown');
  await expect(countdown).toHaveText(/^2 d 2\d h \d+ min \d+ s left$/);
  const first = await countdown.textContent();
  await expect(countdown).not.toHaveText(first ?? '', { timeout: 5_000 }); // it is live
  await expect(page.getByText(nature)).toBeVisible();
  await expectNoSeriousA11yViolations(page);
  await page.screenshot({ path: `${SCREENSHOTS}/privacy-breach-en.png`, fullPage: true });

  // Notified within the deadline: the clock stops.
  await page.getByLabel('Authority notified at').fill(localDaysAgo(0));
  await page.getByRole('textbox', { name: "Authority's reference" }).fill('AP-2026-0042');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByText('Authority notified', { exact: true })).toBeVisible();

  await page.getByRole('link', { name: 'Breaches', exact: true }).click();
  const register = page.getByRole('table', { name: 'Breaches, the most recently detected first' });
  await expect(register.getByRole('row').filter({ hasText: nature }).getByText('Authority notified')).toBeVisible();
});

test('a request about a lead found by name links to the lead', async ({ page, request, baseURL, tenant }) => {
  const lastName = `Requester${randomBytes(3).toString('hex')}`;
  const login = await request.post(`${baseURL}/api/v1/auth/login`, {
    data: { tenant: tenant.slug, email: tenant.email, password: tenant.password },
  });
  expect(login.ok()).toBe(true);
  const token = ((await login.json()) as { token: string }).token;
  const lead = await request.post(`${baseURL}/api/v1/leads`, {
    headers: { authorization: `Bearer ${token}` },
    data: { firstName: 'Lotte', lastName, emails: [`${lastName.toLowerCase()}@example.test`] },
  });
  expect(lead.ok()).toBe(true);
  const leadId = ((await lead.json()) as { id: string }).id;

  await signIn(page, tenant);
  await expect(page.getByRole('navigation', { name: 'Main navigation' })).toBeVisible();
  await page.goto('/privacy/requests/new');
  await expect(page.getByRole('heading', { level: 1, name: 'New data-subject request' })).toBeVisible();
  await page.getByRole('combobox', { name: 'Type' }).click();
  await page.getByRole('option', { name: 'Erasure' }).click();
  await page.getByRole('radiogroup', { name: 'Who is the request about?' }).getByText('Lead', { exact: true }).click();
  await page.getByRole('combobox', { name: 'Search leads by name' }).fill(lastName);
  await page.getByRole('option', { name: `Lotte ${lastName}` }).click();
  await expectNoSeriousA11yViolations(page);
  await page.getByRole('button', { name: 'Open request' }).click();
  await expect(page.getByRole('heading', { level: 1, name: /^Erasure request R-/ })).toBeVisible();
  await expect(page.getByText(/^\d+ days left$/)).toBeVisible();
  await page.getByRole('link', { name: 'Lead', exact: true }).click();
  await expect(page).toHaveURL(new RegExp(`/leads/${leadId}$`));
});
