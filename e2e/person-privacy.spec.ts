import { randomBytes } from 'node:crypto';
import { expect, expectNoSeriousA11yViolations, signIn, test } from './support/test.ts';
import { bearer } from './support/server.ts';

// A privacy officer restricts a person, sees the restriction, lifts it, and erases the person (issue 17).

test.describe.configure({ timeout: 90_000 });

test('restrict, lift and erase a contact from its page', async ({ page, request, baseURL, tenant }) => {
  const lastName = `Privacy${randomBytes(4)
    .toString('hex')
    .replace(/\d/g, (d) => 'qwrtypsdfg'[Number(d)]!)}`;
  const headers = await bearer(request, tenant);
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
  await page.getByRole('combobox', { name: 'New lawful basis' }).click();
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

test('an erasure request is carried out from its case page', async ({ page, request, baseURL, tenant }) => {
  const lastName = `Case${randomBytes(4)
    .toString('hex')
    .replace(/\d/g, (d) => 'qwrtypsdfg'[Number(d)]!)}`;
  const headers = await bearer(request, tenant);
  const contact = (await (await request.post(`${baseURL}/api/v1/contacts`, { headers, data: { firstName: 'Erik', lastName } })).json()) as {
    id: string;
  };
  const opened = await request.post(`${baseURL}/api/v1/privacy/requests`, { headers, data: { type: 'erasure', contactId: contact.id } });
  expect(opened.status()).toBe(201);
  const { id } = (await opened.json()) as { id: string };
  expect((await request.post(`${baseURL}/api/v1/privacy/requests/${id}/verify`, { headers, data: { method: 'id_document' } })).ok()).toBe(
    true,
  );

  await signIn(page, tenant);
  await page.goto(`/privacy/requests/${id}`);
  await expect(page.getByText(`This is an erasure request: erase Erik ${lastName} here`)).toBeVisible();
  await page.getByRole('button', { name: 'Erase person' }).click();
  await page
    .getByRole('dialog', { name: `Erase Erik ${lastName}` })
    .getByRole('button', { name: 'Erase for good' })
    .click();
  await expect(page.getByText('The person of this request no longer exists')).toBeVisible();
  expect((await request.get(`${baseURL}/api/v1/contacts/${contact.id}`, { headers })).status()).toBe(404);
  const trail = await request.get(`${baseURL}/api/v1/audit?action=person.erased&entity=contacts&entityId=${contact.id}`, { headers });
  expect(((await trail.json()) as { items: Array<{ details: { requestId: string } }> }).items[0]?.details.requestId).toBe(id);
});
