import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import type { APIRequestContext } from '@playwright/test';
import { expect, expectNoSeriousA11yViolations, signIn, test } from './support/test.ts';
import type { E2eTenant } from './support/env.ts';

// The consent panel on a contact (issue 16): a purpose with its notice is made
// over the API, then a consent is recorded in the panel, shown with its proof
// in the history, withdrawn as if by phone, and the state follows.

test.describe.configure({ timeout: 90_000 });

const SCREENSHOTS = 'docs/screenshots';

async function apiAs(request: APIRequestContext, baseURL: string, who: E2eTenant) {
  const login = await request.post(`${baseURL}/api/v1/auth/login`, {
    data: { tenant: who.slug, email: who.email, password: who.password },
  });
  expect(login.ok()).toBe(true);
  const { token } = (await login.json()) as { token: string };
  return async <T>(path: string, body: unknown): Promise<T> => {
    const response = await request.post(`${baseURL}/api/v1${path}`, { headers: { authorization: `Bearer ${token}` }, data: body });
    expect(response.ok(), `POST ${path}: ${response.status()} ${await response.text()}`).toBe(true);
    return (await response.json()) as T;
  };
}

const unique = () =>
  randomBytes(4)
    .toString('hex')
    .replace(/\d/g, (d) => 'qwrtypsdfg'[Number(d)]!);

test('a consent recorded on a contact shows in the panel with its proof; a withdrawal by phone changes the state', async ({
  page,
  request,
  tenant,
  baseURL,
}) => {
  const post = await apiAs(request, baseURL!, tenant);
  const purposeName = `Newsletter ${unique()}`;
  const noticeText = `We send the ${purposeName} once a month. You can withdraw at any time.`;
  await post('/privacy/purposes', {
    name: purposeName,
    lawfulBasis: 'consent',
    dataCategories: ['contact details'],
    retentionDays: 730,
    marketing: true,
    notice: { language: 'en', text: noticeText },
  });
  const hash = createHash('sha256').update(noticeText, 'utf8').digest('hex');
  const lastName = `Consent${unique()}`;
  const contact = await post<{ id: string }>('/contacts', {
    firstName: 'Pia',
    lastName,
    emails: [`pia.${lastName.toLowerCase()}@example.test`],
  });

  await signIn(page, tenant);
  await expect(page.getByRole('heading', { level: 1, name: 'Contacts' })).toBeVisible();
  await page.goto(`/contacts/${contact.id}`);
  await expect(page.getByRole('heading', { level: 1, name: `Pia ${lastName}` })).toBeVisible();
  const panel = page.getByRole('region', { name: 'Consents' });
  await expect(panel).toBeVisible();
  const states = panel.getByRole('table', { name: 'Consent per purpose' });
  const stateRow = states.getByRole('row', { name: new RegExp(purposeName) });
  await expect(stateRow).toContainText('Never given');
  await expect(panel.getByText('Nothing recorded yet.')).toBeVisible();
  await expectNoSeriousA11yViolations(page);

  // Record the consent: the purpose from the select, source staff.
  await panel.getByRole('button', { name: 'Record consent' }).click();
  const grant = page.getByRole('dialog', { name: 'Record consent' });
  await expect(grant).toBeVisible();
  await grant.getByRole('combobox', { name: 'Purpose' }).click();
  await page.getByRole('option', { name: purposeName, exact: true }).click();
  await expectNoSeriousA11yViolations(page);
  await grant.getByRole('button', { name: 'Record consent' }).click();
  await expect(grant).toBeHidden();
  await expect(stateRow).toContainText('Granted');
  await expect(stateRow).toContainText('Staff (phone, letter, in person)');

  const history = panel.getByRole('table', { name: 'Every consent event, newest first, with its proof' });
  const rows = history.getByRole('row');
  await expect(rows).toHaveCount(2); // the header and one event
  const granted = rows.nth(1);
  await expect(granted).toContainText(purposeName);
  await expect(granted).toContainText('Granted');
  // The notice's hash, short in the table and whole in its title.
  await expect(granted.getByText(`${hash.slice(0, 12)}…`)).toHaveAttribute('title', hash);
  await expect(granted).toContainText('v1 EN');
  await expect(granted).toContainText('(you)');

  // A withdrawal received by phone.
  await panel.getByRole('button', { name: 'Record withdrawal' }).click();
  const withdraw = page.getByRole('dialog', { name: 'Record withdrawal' });
  await expect(withdraw.getByRole('combobox', { name: 'Purpose' })).toHaveValue(`${purposeName} (granted)`);
  await withdraw.getByRole('button', { name: 'Record withdrawal' }).click();
  await expect(withdraw).toBeHidden();
  await expect(stateRow).toContainText('Withdrawn');
  await expect(rows).toHaveCount(3);
  await expect(rows.nth(1)).toContainText('Withdrawn');
  await expect(rows.nth(2)).toContainText('Granted');
  await expectNoSeriousA11yViolations(page);

  // The notifications close by themselves; the picture shows the panel without them.
  await expect(page.getByText('Consent recorded')).toBeHidden({ timeout: 15_000 });
  await expect(page.getByText('Withdrawal recorded')).toBeHidden({ timeout: 15_000 });
  await panel.scrollIntoViewIfNeeded();
  mkdirSync(SCREENSHOTS, { recursive: true });
  await panel.screenshot({ path: `${SCREENSHOTS}/consents-en.png` });

  // The objection to direct marketing asks first, then shows its badge.
  await panel.getByRole('button', { name: 'Record objection to direct marketing' }).click();
  const confirm = page.getByRole('dialog', { name: 'Objection to direct marketing' });
  await expect(confirm).toContainText('This cannot be undone.');
  await confirm.getByRole('button', { name: 'Record objection to direct marketing' }).click();
  await expect(panel.getByText(/^Objected to direct marketing on /)).toBeVisible();
  await expect(rows.nth(1)).toContainText('All marketing purposes');
  // Staff can no longer grant a marketing purpose: the refusal comes from the problem code.
  await panel.getByRole('button', { name: 'Record consent' }).click();
  const again = page.getByRole('dialog', { name: 'Record consent' });
  await again.getByRole('combobox', { name: 'Purpose' }).click();
  await page.getByRole('option', { name: purposeName, exact: true }).click();
  await again.getByRole('button', { name: 'Record consent' }).click();
  await expect(again.getByRole('alert')).toContainText('objected to direct marketing');
  await expectNoSeriousA11yViolations(page);
});

test('a consent given on a lead shows on its page and on the contact it converts to', async ({ page, request, tenant, baseURL }) => {
  const post = await apiAs(request, baseURL!, tenant);
  const purposeName = `Events ${unique()}`;
  const purpose = await post<{ id: string }>('/privacy/purposes', {
    name: purposeName,
    lawfulBasis: 'consent',
    dataCategories: ['contact details'],
    retentionDays: 365,
    notice: { language: 'en', text: `Invitations to ${purposeName}.` },
  });
  const lastName = `Lead${unique()}`;
  const lead = await post<{ id: string }>('/leads', { firstName: 'Lev', lastName, emails: [] });
  await post(`/leads/${lead.id}/consents`, { purposeId: purpose.id, action: 'grant', source: 'form' });

  await signIn(page, tenant);
  await expect(page.getByRole('heading', { level: 1, name: 'Contacts' })).toBeVisible();
  await page.goto(`/leads/${lead.id}`);
  const onLead = page.getByRole('region', { name: 'Consents' });
  await expect(
    onLead.getByRole('table', { name: 'Consent per purpose' }).getByRole('row', { name: new RegExp(purposeName) }),
  ).toContainText('Granted');
  await expectNoSeriousA11yViolations(page);

  const { contactId } = await post<{ contactId: string }>(`/leads/${lead.id}/convert`, {});
  await page.goto(`/contacts/${contactId}`);
  const onContact = page.getByRole('region', { name: 'Consents' });
  await expect(
    onContact.getByRole('table', { name: 'Consent per purpose' }).getByRole('row', { name: new RegExp(purposeName) }),
  ).toContainText('Form');
  const history = onContact.getByRole('table', { name: 'Every consent event, newest first, with its proof' }).getByRole('row');
  await expect(history).toHaveCount(2);
  await expect(history.nth(1)).toContainText('on the lead');
  await expectNoSeriousA11yViolations(page);
});
