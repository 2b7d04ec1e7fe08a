import { randomBytes } from 'node:crypto';
import type { APIRequestContext, Page } from '@playwright/test';
import { expect, expectNoSeriousA11yViolations, signIn, test } from './support/test.ts';
import { bearer } from './support/server.ts';

// Every test makes its own administrator (and rep) through the API, so nothing here depends on
// or changes what other specs see: the tenant's own admin only creates them.

interface Person {
  id: string;
  slug: string;
  email: string;
  password: string;
  name: string;
}

const SECTIONS = ['Users', 'Roles', 'Profiles', 'Groups', 'Sharing', 'Security', 'Audit trail'] as const;

async function createAdmin(
  request: APIRequestContext,
  tenant: { slug: string; email: string; password: string },
  language: 'en' | 'nl' = 'en',
): Promise<Person> {
  const suffix = randomBytes(4).toString('hex');
  const person = {
    slug: tenant.slug,
    email: `admin-${suffix}@admin-spec.test`,
    password: `pw ${randomBytes(9).toString('base64url')}`,
    name: `Ada Admin ${suffix}`,
  };
  const created = await request.post('/api/v1/users', {
    headers: await bearer(request, tenant),
    data: { email: person.email, name: person.name, password: person.password, isAdmin: true, language },
  });
  expect(created.status()).toBe(201);
  return { ...person, id: ((await created.json()) as { id: string }).id };
}

async function openSection(page: Page, section: (typeof SECTIONS)[number]) {
  await page.getByRole('tab', { name: section }).click();
  await expect(page.getByRole('tab', { name: section })).toHaveAttribute('aria-selected', 'true');
}

test('an admin sets up a role, a profile that hides phones and a rep, who never sees a phone; the audit trail lists it all', async ({
  page,
  request,
  tenant,
  browser,
  baseURL,
}) => {
  test.setTimeout(120_000);
  const admin = await createAdmin(request, tenant);
  const suffix = randomBytes(3).toString('hex');
  const roleName = `Field sales ${suffix}`;
  const profileName = `No phones ${suffix}`;
  const rep = {
    slug: tenant.slug,
    name: `Rob Rep ${suffix}`,
    email: `rep-${suffix}@admin-spec.test`,
    password: `pw ${randomBytes(9).toString('base64url')}`,
  };

  await signIn(page, admin);
  await expect(page.getByRole('heading', { level: 1, name: 'Contacts' })).toBeVisible();
  await page.getByRole('navigation', { name: 'Main navigation' }).getByRole('link', { name: 'Admin' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Administration' })).toBeVisible();

  // A role under the root.
  await openSection(page, 'Roles');
  await page.getByRole('button', { name: 'New role' }).click();
  const roleDialog = page.getByRole('dialog', { name: 'New role' });
  await roleDialog.getByRole('textbox', { name: 'Name' }).fill(roleName);
  await roleDialog.getByRole('button', { name: 'Save' }).click();
  await expect(roleDialog).toBeHidden();
  await expect(page.getByRole('listitem').filter({ hasText: roleName })).toBeVisible();

  // A profile that may work with contacts but never sees their phones.
  await openSection(page, 'Profiles');
  await page.getByRole('button', { name: 'New profile' }).click();
  await page.getByRole('textbox', { name: 'Name', exact: true }).fill(profileName);
  for (const action of ['View', 'Create', 'Edit']) await page.getByRole('checkbox', { name: `Contacts: ${action}` }).check();
  await page.getByRole('group', { name: 'Contacts' }).getByLabel('Phone numbers').selectOption('hidden');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByText(`The profile ${profileName} was saved.`)).toBeVisible();

  // The rep, with that role and profile.
  await openSection(page, 'Users');
  await page.getByRole('button', { name: 'New user' }).click();
  const userDialog = page.getByRole('dialog', { name: 'New user' });
  await userDialog.getByRole('textbox', { name: 'Name', exact: true }).fill(rep.name);
  await userDialog.getByLabel('E-mail address').fill(rep.email);
  await userDialog.getByLabel('First password').fill(rep.password);
  await userDialog.getByRole('combobox', { name: 'Role' }).click();
  await page.getByRole('option', { name: roleName }).click();
  await userDialog.getByRole('combobox', { name: 'Profile' }).click();
  await page.getByRole('option', { name: profileName }).click();
  await userDialog.getByRole('button', { name: 'Save' }).click();
  await expect(userDialog).toBeHidden();
  const repRow = page.getByRole('row').filter({ hasText: rep.email });
  await expect(repRow).toContainText(roleName);
  await expect(repRow).toContainText(profileName);

  // What the API now holds is what the screens said.
  const adminHeaders = await bearer(request, admin);
  const users = (await (await request.get('/api/v1/users', { headers: adminHeaders })).json()) as {
    items: Array<{ id: string; email: string; roleId: string; profileId: string }>;
  };
  const repUser = users.items.find((u) => u.email === rep.email)!;
  const roles = (await (await request.get('/api/v1/roles', { headers: adminHeaders })).json()) as {
    items: Array<{ id: string; name: string }>;
  };
  const profiles = (await (await request.get('/api/v1/profiles', { headers: adminHeaders })).json()) as {
    items: Array<{ id: string; name: string; fields: Record<string, Record<string, string>> }>;
  };
  expect(repUser.roleId).toBe(roles.items.find((r) => r.name === roleName)?.id);
  const profile = profiles.items.find((p) => p.name === profileName)!;
  expect(repUser.profileId).toBe(profile.id);
  expect(profile.fields).toEqual({ contacts: { phones: 'hidden' } });

  // The admin creates a contact with a phone and gives it to the rep.
  const phone = `+31 20 ${String(Math.floor(1_000_000 + Math.random() * 8_999_999))}`;
  const contact = await request.post('/api/v1/contacts', {
    headers: adminHeaders,
    data: {
      firstName: 'Petra',
      lastName: `Phoneless ${suffix}`,
      emails: [`petra-${suffix}@example.test`],
      phones: [phone],
      ownerId: repUser.id,
    },
  });
  expect(contact.status()).toBe(201);
  const { id: contactId } = (await contact.json()) as { id: string };

  // The rep signs in: the contact is theirs, its phone never reaches their browser.
  const repContext = await browser.newContext({ ...(baseURL ? { baseURL } : {}), locale: 'en-GB' });
  const repPage = await repContext.newPage();
  await signIn(repPage, rep);
  await expect(repPage.getByRole('heading', { level: 1, name: 'Contacts' })).toBeVisible();
  const asRep = await repPage.request.get(`/api/v1/contacts/${contactId}`);
  expect(asRep.ok()).toBe(true);
  const seen = (await asRep.json()) as Record<string, unknown>;
  expect(seen.lastName).toBe(`Phoneless ${suffix}`);
  expect(seen).not.toHaveProperty('phones');
  const digits = phone.replace(/\D/g, '').slice(-7);
  await expect(repPage.locator('body')).not.toContainText(digits);
  await repPage.goto(`/contacts/${contactId}`);
  await expect(repPage.getByRole('heading', { level: 1 })).toBeVisible();
  await expect(repPage.locator('body')).not.toContainText(digits);
  // The rep is no administrator: the admin screen says so and shows nothing else.
  await repPage.goto('/admin');
  await expect(repPage.getByText('Administrators only')).toBeVisible();
  await expect(repPage.getByRole('tab')).toHaveCount(0);
  await expectNoSeriousA11yViolations(repPage);
  await repContext.close();

  // The audit trail lists the admin's changes, filtered by the admin.
  await openSection(page, 'Audit trail');
  await page.getByLabel('By', { exact: true }).selectOption({ label: admin.name });
  await page.getByRole('button', { name: 'Filter', exact: true }).click();
  const trail = page.getByRole('table', { name: 'Audit trail' });
  for (const change of ['role.created', 'profile.created'])
    await expect(
      trail
        .getByRole('row')
        .filter({ hasText: 'access.changed' })
        .filter({ hasText: `change: ${change}` }),
    ).toHaveCount(1);
  await expect(trail.getByRole('row').filter({ hasText: 'user.created' }).first()).toBeVisible();
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export CSV' }).click();
  const csv = await (await download).path().then((path) => import('node:fs').then((fs) => fs.readFileSync(path, 'utf8')));
  expect(csv).toContain('access.changed');
  expect(csv).toContain('user.created');
  await expect(page.getByRole('heading', { name: 'Verify the chain' })).toBeVisible();
  await page.getByRole('button', { name: 'Verify now' }).click();
  const verification = page.getByTestId('audit-verification');
  await expect(verification).toContainText('The audit trail is intact');
  await expect(verification).toContainText('entries checked');
});

test('every admin screen passes axe, in English and in Dutch, with screenshots', async ({ page, request, tenant }) => {
  test.setTimeout(180_000);
  const english = await createAdmin(request, tenant, 'en');
  await page.setViewportSize({ width: 1280, height: 800 });
  await signIn(page, english);
  await expect(page.getByRole('heading', { level: 1, name: 'Contacts' })).toBeVisible();
  await page.goto('/admin');
  for (const section of SECTIONS) {
    await openSection(page, section);
    await expect(page.getByRole('tabpanel').getByRole('heading', { level: 2 }).first()).toBeVisible();
    await expect(page.getByRole('tabpanel').locator('.mantine-Loader-root')).toHaveCount(0);
    await expectNoSeriousA11yViolations(page);
    if (['Users', 'Roles', 'Profiles', 'Audit trail'].includes(section)) {
      if (section === 'Profiles') await page.getByRole('button', { name: 'New profile' }).click();
      await page.screenshot({ path: `docs/screenshots/admin-${section.toLowerCase().replace(' ', '-')}-en.png` });
    }
  }
  // The profile editor open, the role dialog open: axe too.
  await openSection(page, 'Profiles');
  await page.getByRole('button', { name: 'New profile' }).click();
  await expectNoSeriousA11yViolations(page);
  await openSection(page, 'Users');
  await page.getByRole('button', { name: 'New user' }).click();
  await expect(page.getByRole('dialog', { name: 'New user' })).toBeVisible();
  await expectNoSeriousA11yViolations(page);
  await page.keyboard.press('Escape');

  const dutch = await createAdmin(request, tenant, 'nl');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await signIn(page, dutch);
  await expect(page.getByRole('heading', { level: 1, name: 'Contactpersonen' })).toBeVisible();
  await page.goto('/admin');
  await expect(page.getByRole('heading', { level: 1, name: 'Beheer' })).toBeVisible();
  const dutchSections = { users: 'Gebruikers', roles: 'Rollen', profiles: 'Profielen', 'audit-trail': 'Auditlogboek' } as const;
  for (const [file, tab] of Object.entries(dutchSections)) {
    await page.getByRole('tab', { name: tab }).click();
    await expect(page.getByRole('tabpanel').getByRole('heading', { level: 2 }).first()).toBeVisible();
    await expect(page.getByRole('tabpanel').locator('.mantine-Loader-root')).toHaveCount(0);
    if (file === 'profiles') await page.getByRole('button', { name: 'Nieuw profiel' }).click();
    await expectNoSeriousA11yViolations(page);
    await page.screenshot({ path: `docs/screenshots/admin-${file}-nl.png` });
  }
});

test('the admin screens work on a phone @phone', async ({ page, request, tenant }) => {
  test.setTimeout(60_000);
  const admin = await createAdmin(request, tenant);
  await signIn(page, admin);
  await expect(page.getByRole('heading', { level: 1, name: 'Contacts' })).toBeVisible();
  await page.goto('/admin?section=roles');
  await expect(page.getByRole('heading', { level: 2, name: 'Role tree' })).toBeVisible();
  await page.getByRole('button', { name: 'New role' }).click();
  const name = `Phone role ${randomBytes(3).toString('hex')}`;
  await page.getByRole('dialog', { name: 'New role' }).getByLabel('Name').fill(name);
  await page.getByRole('dialog', { name: 'New role' }).getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('listitem').filter({ hasText: name })).toBeInViewport();
  await expectNoSeriousA11yViolations(page);
  // A taken group name is refused next to the field.
  await page.goto('/admin?section=groups');
  const group = `Phone group ${randomBytes(3).toString('hex')}`;
  for (let attempt = 0; attempt < 2; attempt++) {
    await page.getByRole('button', { name: 'New group' }).click();
    const dialog = page.getByRole('dialog', { name: 'New group' });
    await dialog.getByRole('textbox', { name: 'Name' }).fill(group);
    await dialog.getByRole('button', { name: 'Save' }).click();
    if (attempt === 0) await expect(dialog).toBeHidden();
  }
  const groupName = page.getByRole('dialog', { name: 'New group' }).getByRole('textbox', { name: 'Name' });
  await expect(groupName).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByRole('dialog', { name: 'New group' }).getByText('This name is taken already.').first()).toBeVisible();
});
