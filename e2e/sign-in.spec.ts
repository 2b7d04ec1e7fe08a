import { gzipSync } from 'node:zlib';
import { expect, expectNoSeriousA11yViolations, signIn, test, totpCode } from './support/test.ts';

test('the sign-in page passes axe and labels its fields', async ({ page }) => {
  await page.goto('/');
  await expect(page).toHaveURL(/\/sign-in/);
  await expect(page.getByRole('heading', { name: 'Sign in to Custodia' })).toBeVisible();
  await expect(page.getByRole('textbox', { name: 'Tenant', exact: true })).toBeVisible();
  await expect(page.getByRole('textbox', { name: 'E-mail address', exact: true })).toBeVisible();
  await expect(page.getByRole('textbox', { name: 'Password', exact: true })).toBeVisible();
  await expectNoSeriousA11yViolations(page);
  await page.getByRole('link', { name: 'Forgot your password?' }).click();
  await expect(page).toHaveURL(/\/forgot-password$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Forgot your password?' })).toBeVisible();
});

test('a wrong password shows the error and no session', async ({ page, tenant }) => {
  await signIn(page, { ...tenant, password: 'not the password' });
  await expect(page.getByRole('alert')).toContainText('The tenant, e-mail address or password is not right.');
  await expect(page).toHaveURL(/\/sign-in/);
  await expect(page.getByRole('textbox', { name: 'Password', exact: true })).toHaveValue('not the password');
});

test('signing in opens the app, whose shell passes axe; signing out ends the session', async ({ page, tenant }) => {
  await signIn(page, tenant);
  await expect(page).toHaveURL(/\/contacts$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Contacts' })).toBeVisible();
  const nav = page.getByRole('navigation', { name: 'Main navigation' });
  for (const item of ['Contacts', 'Organizations', 'Leads', 'Deals', 'Activities', 'Notes', 'Import', 'Admin', 'Account']) {
    await expect(nav.getByRole('link', { name: item })).toBeVisible();
  }
  await expectNoSeriousA11yViolations(page);
  // The session is the HttpOnly cookie; nothing is kept in storage.
  expect(await page.evaluate(() => JSON.stringify(localStorage))).not.toContain('token');
  const cookie = (await page.context().cookies()).find((c) => c.name === 'custodia_session');
  expect(cookie?.httpOnly).toBe(true);

  await nav.getByRole('link', { name: 'Deals' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Deals' })).toBeVisible();

  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/sign-in/);
  await page.goto('/contacts');
  await expect(page).toHaveURL(/\/sign-in\?redirect=/);
});

test('a deep link survives sign-in', async ({ page, tenant }) => {
  await page.goto('/contacts/some-contact?tab=notes');
  await expect(page).toHaveURL(/\/sign-in\?redirect=/);
  await signIn(page, tenant);
  await expect(page).toHaveURL(/\/contacts\/some-contact\?tab=notes$/);
});

test('the first Tab reaches the skip link, which moves focus to the content', async ({ page, tenant }) => {
  await signIn(page, tenant);
  await expect(page.getByRole('heading', { level: 1, name: 'Contacts' })).toBeVisible();
  await page.keyboard.press('Tab');
  const skip = page.getByRole('link', { name: 'Skip to main content' });
  await expect(skip).toBeFocused();
  await expect(skip).toBeInViewport();
  await page.keyboard.press('Enter');
  await expect(page.locator('#main')).toBeFocused();
});

test("the language switch turns the app Dutch and is kept as the user's setting", async ({ page, tenant }) => {
  await signIn(page, tenant);
  await expect(page.getByRole('heading', { level: 1, name: 'Contacts' })).toBeVisible();
  await page.getByRole('combobox', { name: 'Language' }).click();
  await page.getByRole('option', { name: 'Nederlands' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Contactpersonen' })).toBeVisible();
  await expect(page.locator('html')).toHaveAttribute('lang', 'nl');
  // Another device (a fresh context, English browser) follows the user's setting after sign-in.
  const other = await page.context().browser()!.newContext({ baseURL: page.url(), locale: 'en-GB' });
  const second = await other.newPage();
  await second.goto('/sign-in');
  await signIn(second, tenant);
  await expect(second.getByRole('heading', { level: 1, name: 'Contactpersonen' })).toBeVisible();
  await second.getByRole('combobox', { name: 'Taal' }).click();
  await second.getByRole('option', { name: 'English' }).click();
  await expect(second.getByRole('heading', { level: 1, name: 'Contacts' })).toBeVisible();
  await other.close();
});

test('with 2FA on, sign-in asks for a code: a wrong one is refused, a recovery code signs in', async ({
  page,
  request,
  mfaTenant,
  baseURL,
}) => {
  // Turn 2FA on through the API, as the enrolment screen will.
  const login = await request.post(`${baseURL}/api/v1/auth/login`, {
    data: { tenant: mfaTenant.slug, email: mfaTenant.email, password: mfaTenant.password },
  });
  const { token } = (await login.json()) as { token: string };
  const headers = { authorization: `Bearer ${token}` };
  const started = await request.post(`${baseURL}/api/v1/me/mfa/totp`, { headers });
  const { secret } = (await started.json()) as { secret: string };
  const enrolCode = totpCode(secret);
  const verified = await request.post(`${baseURL}/api/v1/me/mfa/totp/verify`, { headers, data: { code: enrolCode } });
  expect(verified.ok()).toBe(true);
  const { recoveryCodes } = (await verified.json()) as { recoveryCodes: string[] };

  await signIn(page, mfaTenant);
  await expect(page.getByRole('heading', { name: 'Two-step verification' })).toBeVisible();
  await page.getByRole('textbox', { name: 'Code', exact: true }).fill('000000');
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page.getByRole('alert')).toBeVisible();
  await expectNoSeriousA11yViolations(page);
  await page.getByRole('textbox', { name: 'Code', exact: true }).fill(recoveryCodes[0]!);
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Contacts' })).toBeVisible();
});

test('the navigation sits behind a burger on a phone @phone', async ({ page, tenant }) => {
  await signIn(page, tenant);
  await expect(page.getByRole('heading', { level: 1, name: 'Contacts' })).toBeVisible();
  const nav = page.getByRole('navigation', { name: 'Main navigation' });
  await expect(nav.getByRole('link', { name: 'Leads' })).not.toBeInViewport();
  await page.getByRole('button', { name: 'Toggle navigation' }).click();
  await nav.getByRole('link', { name: 'Leads' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Leads' })).toBeVisible();
  await expect(nav.getByRole('link', { name: 'Leads' })).not.toBeInViewport();
  await expectNoSeriousA11yViolations(page);
});

test('the sign-in route loads at most 250 KB of compressed JavaScript', async ({ page }) => {
  const scripts: Promise<Buffer>[] = [];
  page.on('response', (response) => {
    if (response.request().resourceType() === 'script') scripts.push(response.body());
  });
  await page.goto('/sign-in');
  await expect(page.getByRole('button', { name: 'Sign in' })).toBeVisible();
  await page.waitForLoadState('networkidle');
  const bodies = await Promise.all(scripts);
  const compressed = bodies.reduce((total, body) => total + gzipSync(body, { level: 9 }).length, 0);
  expect(bodies.length).toBeGreaterThan(0);
  expect(compressed, `${bodies.length} scripts, ${compressed} bytes gzipped`).toBeLessThanOrEqual(250 * 1024);
});
