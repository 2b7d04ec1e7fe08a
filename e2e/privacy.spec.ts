import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { expect, expectNoSeriousA11yViolations, signIn, test } from './support/test.ts';

// The privacy center (issue 16): a consent purpose with its notice, a
// legitimate-interests purpose refused until its LIA is filled in, the Art. 30
// record listing both, and the DPA accepted by an administrator. It runs on the
// sales journey's tenant: accepting the DPA is tenant-wide, and that journey
// signs in only users who never see the DPA banner. The DPA goes first, so the
// screenshots of the purposes show no banner.

test.describe.configure({ timeout: 120_000 });

const SCREENSHOTS = 'docs/screenshots';
const suffix = () =>
  randomBytes(4)
    .toString('hex')
    .replace(/\d/g, (d) => 'qwrtypsdfg'[Number(d)]!);
const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

test('the DPA: an administrator is asked after sign-in, accepts it with name and title, and sees the acceptance', async ({
  page,
  salesTenant,
}) => {
  await signIn(page, salesTenant);
  await expect(page.getByRole('navigation', { name: 'Main navigation' })).toBeVisible();
  const status = await page.request.get('/api/v1/privacy/dpa/status');
  expect(status.ok()).toBe(true);
  const { pending } = (await status.json()) as { pending: boolean };
  if (pending) {
    const banner = page.getByRole('note').filter({ hasText: 'A data processing agreement awaits your acceptance' });
    await expect(banner).toBeVisible();
    await expectNoSeriousA11yViolations(page);
    await banner.getByRole('link', { name: 'Read and accept it' }).click();
  } else {
    await page.goto('/privacy/dpa');
  }
  await expect(page.getByRole('heading', { level: 1, name: 'Data processing agreement' })).toBeVisible();
  await expect(page.getByRole('article', { name: 'Text of the data processing agreement' })).toContainText('Article 28(3)');
  await expect(page.getByRole('table', { name: 'Sub-processors engaged by the operator' })).toBeVisible();
  if (pending) {
    await page.getByRole('textbox', { name: 'Your name' }).fill('Anna de Vries');
    await page.getByRole('textbox', { name: 'Your title' }).fill('Managing director');
    await expectNoSeriousA11yViolations(page);
    await page.getByRole('button', { name: 'Accept the agreement' }).click();
  }
  await expect(page.getByText('Accepted', { exact: true })).toBeVisible();
  const history = page.getByRole('table', { name: 'Acceptances by your organization, newest first' });
  await expect(history).toContainText('Managing director');
  await expect(history).toContainText('2026-12');
  await expectNoSeriousA11yViolations(page);
  await page.getByRole('link', { name: 'Purposes', exact: true }).click();
  await expect(page.getByText('A data processing agreement awaits your acceptance')).toHaveCount(0);
});

test('purposes: a consent purpose with its notice, a legitimate-interests one only with its LIA, both in the record', async ({
  page,
  salesTenant,
}) => {
  const id = suffix();
  const newsletter = `Newsletter ${id}`;
  const updates = `Service updates ${id}`;
  const noticeText = `We send you our newsletter ${id} every month. Unsubscribe with one click.`;

  await signIn(page, salesTenant);
  await page.getByRole('navigation', { name: 'Main navigation' }).getByRole('link', { name: 'Privacy' }).click();
  await expect(page).toHaveURL(/\/privacy\/purposes$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Purposes' })).toBeVisible();

  // A consent purpose with its first notice.
  await page.getByRole('link', { name: 'New purpose' }).click();
  await page.getByRole('textbox', { name: 'Name', exact: true }).fill(newsletter);
  const categories = page.getByRole('combobox', { name: 'Categories of personal data' });
  await categories.fill('name');
  await categories.press('Enter');
  await categories.fill('e-mail address');
  await categories.press('Enter');
  await page.getByRole('textbox', { name: 'Retention' }).fill('730');
  await page.getByRole('checkbox', { name: 'Direct marketing' }).check();
  await page.getByRole('textbox', { name: 'Notice text' }).fill(noticeText);
  await page.getByRole('button', { name: 'Create purpose' }).click();
  await expect(page.getByRole('heading', { level: 1, name: newsletter })).toBeVisible();
  await expect(page.getByRole('textbox', { name: 'Public sign-up form' })).toHaveValue(
    new RegExp(`/api/v1/public/${salesTenant.slug}/subscribe\\?purpose=[0-9a-f-]{36}$`),
  );
  const notices = page.getByRole('table', { name: 'Notice versions, newest first' });
  await expect(notices).toContainText(sha256(noticeText));
  await expectNoSeriousA11yViolations(page);
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: `${SCREENSHOTS}/privacy-purpose-en.png`, fullPage: true });

  // A legitimate-interests purpose is refused until its LIA is complete.
  await page.getByRole('link', { name: 'Purposes', exact: true }).click();
  await page.getByRole('link', { name: 'New purpose' }).click();
  await page.getByRole('textbox', { name: 'Name', exact: true }).fill(updates);
  await page.getByRole('combobox', { name: 'Lawful basis' }).click();
  await page.getByRole('option', { name: 'Legitimate interests' }).click();
  const lia = page.getByRole('group', { name: 'Legitimate Interests Assessment' });
  await expect(lia).toBeVisible();
  const categoriesLi = page.getByRole('combobox', { name: 'Categories of personal data' });
  await categoriesLi.fill('e-mail address');
  await categoriesLi.press('Enter');
  await page.getByRole('textbox', { name: 'Retention' }).fill('365');
  await page.getByRole('button', { name: 'Create purpose' }).click();
  await expect(page.getByRole('alert')).toContainText('needs a complete Legitimate Interests Assessment');
  await expectNoSeriousA11yViolations(page);

  await lia.getByRole('textbox', { name: 'Purpose test' }).fill('Telling customers about changes to the service they use.');
  await lia.getByRole('textbox', { name: 'Necessity test' }).fill('E-mail to the address they gave us is the least intrusive way.');
  await lia.getByRole('textbox', { name: 'Balancing test' }).fill('Customers expect it; every message has an opt-out.');
  await lia.getByRole('textbox', { name: 'Outcome' }).fill('Proceed, with an opt-out in every message.');
  await lia.getByRole('textbox', { name: 'Reviewed by' }).fill('Data protection officer');
  await lia.getByLabel('Review date').fill('2026-11-30');
  await page.getByRole('button', { name: 'Create purpose' }).click();
  await expect(page.getByRole('heading', { level: 1, name: updates })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Legitimate Interests Assessment' })).toBeVisible();
  await expect(page.getByText('Data protection officer')).toBeVisible();

  // The record of processing lists both, with basis, categories and retention.
  await page.getByRole('link', { name: 'Record of processing' }).click();
  const record = page.getByRole('table', { name: 'Active processing activities' });
  const newsletterRow = record.getByRole('row').filter({ hasText: newsletter });
  await expect(newsletterRow).toContainText('Consent (Art. 6(1)(a))');
  await expect(newsletterRow).toContainText('name, e-mail address');
  await expect(newsletterRow).toContainText('730 days');
  const updatesRow = record.getByRole('row').filter({ hasText: updates });
  await expect(updatesRow).toContainText('Legitimate interests (Art. 6(1)(f))');
  await expect(updatesRow).toContainText('365 days');
  // The default schedule: the record describes it, with the key store kept apart (never where the backups go).
  await expect(
    page.getByText(/^Backups: Automatic backups on the schedule “0 7,12,17 \* \* \*”.*key store is backed up apart/),
  ).toBeVisible();
  await expectNoSeriousA11yViolations(page);
  await page.screenshot({ path: `${SCREENSHOTS}/privacy-record-en.png`, fullPage: true });

  const csv = await page.request.get('/api/v1/privacy/record-of-processing?format=csv');
  expect(csv.ok()).toBe(true);
  const text = await csv.text();
  expect(text).toContain(newsletter);
  expect(text).toContain(updates);
  const html = await page.request.get('/api/v1/privacy/record-of-processing?format=html&lang=nl');
  expect(await html.text()).toContain('Register van verwerkingsactiviteiten');
});
