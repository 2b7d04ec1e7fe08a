import { randomBytes } from 'node:crypto';
import { expect, expectNoSeriousA11yViolations, signIn, test } from './support/test.ts';

// A privacy officer restricts a person, sees the restriction, lifts it, and erases the person (issue 17).

test.describe.configure({ timeout: 90_000 });

test('restrict, lift and erase a contact from its page', async ({ page, request, baseURL, tenant }) => {
  const lastName = `Privacy${randomBytes(4)
    .toString('hex')
    .replace(/\d/g, (d) => 'qwrtypsdfg'[Number(d)]!)}`;
  const login = await request.post(`${baseURL}/api/v1/auth/login`, {
    data: { tenant: tenant.slug, email: tenant.email, password: tenant.password },
  });
  const headers = { authorization: `Bearer ${((await login.json()) as { token: string }).token}` };
  const created = await request.post(`${baseURL}/api/v1/contacts`, {
    headers,
    data: { firstName: 'Rosa', lastName, emails: [`${lastName.toLowerCase()}@example.test`] },
  });
  expect(created.ok()).toBe(true);
  const contact = (await created.json()) as { id: string };

  await signIn(page, tenant);
  await page.goto(`/contacts/${contact.id}`);
  await expect(page.getByRole('heading', { level: 1, name: `Rosa ${lastName}` })).toBeVisible();

  await page.getByRole('button', { name: 'Restrict processing' }).click();
  const restrict = page.getByRole('dialog', { name: `Restrict processing of Rosa ${lastName}` });
  await expect(restrict.getByRole('button', { name: 'Restrict' })).toBeDisabled();
  await restrict.getByLabel('Reason').fill('Contests the accuracy of her data');
  await restrict.getByRole('button', { name: 'Restrict' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Processing restricted' })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Edit' })).toHaveCount(0);
  await expectNoSeriousA11yViolations(page);
  const blocked = await request.patch(`${baseURL}/api/v1/contacts/${contact.id}`, { headers, data: { jobTitle: 'x' } });
  expect(blocked.status()).toBe(423);

  await page.getByRole('button', { name: 'Lift restriction' }).click();
  const lift = page.getByRole('dialog', { name: `Lift the restriction of Rosa ${lastName}` });
  await lift.getByLabel('Reason').fill('Accuracy verified with her');
  await lift.getByRole('button', { name: 'Lift restriction' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Processing restricted' })).toHaveCount(0);
  await expect(page.getByRole('link', { name: 'Edit' })).toBeVisible();

  await page.getByRole('button', { name: 'Erase person' }).click();
  const erase = page.getByRole('dialog', { name: `Erase Rosa ${lastName}` });
  await expect(erase).toContainText('cannot be undone');
  await expectNoSeriousA11yViolations(page);
  await erase.getByRole('button', { name: 'Erase for good' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Contacts' })).toBeVisible();
  expect((await request.get(`${baseURL}/api/v1/contacts/${contact.id}`, { headers })).status()).toBe(404);
  const again = await request.post(`${baseURL}/api/v1/contacts`, {
    headers,
    data: { firstName: 'Rosa', lastName, emails: [`${lastName.toLowerCase()}@example.test`] },
  });
  expect(again.status()).toBe(409);

  // The suppression list shows how many, never which; re-admitting needs a new lawful basis.
  await page.getByRole('navigation', { name: 'Main navigation' }).getByRole('link', { name: 'Privacy' }).click();
  await page.getByRole('link', { name: 'Suppression list' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Suppression list' })).toBeVisible();
  await expect(page.getByText(`${lastName.toLowerCase()}@example.test`)).toHaveCount(0);
  await expectNoSeriousA11yViolations(page);
  await page.getByLabel('E-mail address').fill(`${lastName.toLowerCase()}@example.test`);
  await page.getByRole('textbox', { name: 'New lawful basis' }).click();
  await page.getByRole('option', { name: 'Contract' }).click();
  await page.getByLabel('Reason').fill('Signed a new contract');
  await page.getByRole('button', { name: 'Re-admit' }).click();
  await expect(page.getByRole('status').filter({ hasText: '1 entry was removed from the suppression list.' })).toBeVisible();
  const back = await request.post(`${baseURL}/api/v1/contacts`, {
    headers,
    data: { firstName: 'Rosa', lastName, emails: [`${lastName.toLowerCase()}@example.test`] },
  });
  expect(back.status()).toBe(201);
});
