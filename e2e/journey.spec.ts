import { randomBytes } from 'node:crypto';
import type { APIRequestContext } from '@playwright/test';
import { expect, expectNoSeriousA11yViolations, freshTotpCode, signIn, test, totpCode } from './support/test.ts';

// The journey: the admin sets up a manager over two reps, whose profile hides phones and whose
// contacts are private; a rep signs in with 2FA (a TOTP computed here), creates a contact, cannot see the
// other rep's private contact and never sees a phone; the manager sees both.

interface Account {
  slug: string;
  email: string;
  password: string;
}

async function tokenOf(request: APIRequestContext, who: Account): Promise<string> {
  const login = await request.post('/api/v1/auth/login', { data: { tenant: who.slug, email: who.email, password: who.password } });
  expect(login.status(), await login.text()).toBe(200);
  return ((await login.json()) as { token: string }).token;
}

async function call(request: APIRequestContext, token: string, method: 'POST' | 'PUT', url: string, data: object) {
  const answer = await request.fetch(url, { method, data, headers: { authorization: `Bearer ${token}` } });
  expect(answer.status(), await answer.text()).toBeLessThan(300);
  return (await answer.json()) as { id: string };
}

test('a rep with 2FA sees only their own contacts and never a phone; the manager sees both', async ({ browser, request, salesTenant }) => {
  test.setTimeout(150_000);
  const suffix = randomBytes(4).toString('hex');
  const admin = await tokenOf(request, salesTenant);
  await call(request, admin, 'PUT', '/api/v1/sharing/defaults', { contacts: 'private' });
  const managerRole = await call(request, admin, 'POST', '/api/v1/roles', { name: `Sales manager ${suffix}` });
  const repRole = await call(request, admin, 'POST', '/api/v1/roles', { name: `Sales rep ${suffix}`, parentId: managerRole.id });
  const crud = { view: true, create: true, edit: true, delete: false, export: false };
  const repProfile = await call(request, admin, 'POST', '/api/v1/profiles', {
    name: `Rep without phones ${suffix}`,
    permissions: { contacts: crud, organizations: crud, deals: crud, activities: crud },
    fields: { contacts: { phones: 'hidden' } },
  });
  const account = (name: string): Account => ({
    slug: salesTenant.slug,
    email: `${name}-${suffix}@journey.test`,
    password: `pw ${randomBytes(9).toString('base64url')}`,
  });
  const [rep, otherRep, manager] = [account('rep'), account('other-rep'), account('manager')];
  const ids: string[] = [];
  for (const [who, name, roleId, profileId] of [
    [rep, 'Rita Rep', repRole.id, repProfile.id],
    [otherRep, 'Olaf Rep', repRole.id, repProfile.id],
    [manager, 'Mona Manager', managerRole.id, undefined],
  ] as const) {
    const user = await call(request, admin, 'POST', '/api/v1/users', {
      email: who.email,
      name,
      password: who.password,
      roleId,
      ...(profileId ? { profileId } : {}),
    });
    ids.push(user.id);
  }

  // The other rep's private contact, with a phone (entered by the admin: reps cannot write phones).
  const phone = '+31 20 555 0199';
  await call(request, admin, 'POST', '/api/v1/contacts', {
    firstName: 'Bram',
    lastName: `Private${suffix}`,
    phones: [phone],
    ownerId: ids[1],
  });

  // One of the rep's own contacts has a phone too: the profile hides it from the rep all the same.
  const ownPhone = '+31 20 555 0123';
  const ownWithPhone = await call(request, admin, 'POST', '/api/v1/contacts', {
    firstName: 'Pia',
    lastName: `Phoned${suffix}`,
    phones: [ownPhone],
    ownerId: ids[0],
  });

  // The rep turns on 2FA (as the account screen does) with a code from "their authenticator app".
  const repToken = await tokenOf(request, rep);
  const { secret } = (await call(request, repToken, 'POST', '/api/v1/me/mfa/totp', {})) as unknown as { secret: string };
  const enrolCode = totpCode(secret);
  await call(request, repToken, 'POST', '/api/v1/me/mfa/totp/verify', { code: enrolCode });

  const repContext = await browser.newContext({ locale: 'en-GB' });
  const page = await repContext.newPage();
  await signIn(page, rep);
  await page.getByRole('textbox', { name: 'Code', exact: true }).fill(await freshTotpCode(secret, enrolCode));
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Contacts' })).toBeVisible();

  await page.getByRole('link', { name: 'New contact' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'New contact' })).toBeVisible();
  await page.getByLabel('First name').fill('Rosa');
  await page.getByLabel('Last name').fill(`Own${suffix}`);
  await expect(page.getByLabel(/Phone/)).toHaveCount(0);
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('heading', { level: 1, name: `Rosa Own${suffix}` })).toBeVisible();
  await expectNoSeriousA11yViolations(page);

  await page.goto('/contacts');
  const list = page.getByRole('table', { name: 'Contacts' });
  await expect(list.getByRole('link', { name: `Rosa Own${suffix}` })).toBeVisible();
  await expect(list.getByText(`Private${suffix}`)).toHaveCount(0);
  await page.goto(`/search?q=Private${suffix}`);
  await expect(page.getByText(`Bram Private${suffix}`)).toHaveCount(0);
  expect(await page.content()).not.toContain(phone);
  await page.goto(`/contacts/${ownWithPhone.id}`);
  await expect(page.getByRole('heading', { level: 1, name: `Pia Phoned${suffix}` })).toBeVisible();
  await expect(page.getByText('Phone numbers')).toHaveCount(0);
  expect(await page.content()).not.toContain(ownPhone);
  await repContext.close();

  const managerContext = await browser.newContext({ locale: 'en-GB' });
  const managerPage = await managerContext.newPage();
  await signIn(managerPage, manager);
  await expect(managerPage.getByRole('heading', { level: 1, name: 'Contacts' })).toBeVisible();
  const managerList = managerPage.getByRole('table', { name: 'Contacts' });
  await expect(managerList.getByRole('link', { name: `Rosa Own${suffix}` })).toBeVisible();
  await managerList.getByRole('link', { name: `Bram Private${suffix}` }).click();
  await expect(managerPage.getByRole('heading', { level: 1, name: `Bram Private${suffix}` })).toBeVisible();
  await expect(managerPage.getByText(phone)).toBeVisible();
  await managerContext.close();
});
