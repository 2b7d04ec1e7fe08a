import { mkdirSync } from 'node:fs';
import type { APIRequestContext, Page } from '@playwright/test';
import { expect, expectNoSeriousA11yViolations, freshTotpCode, signIn, test, totpCode } from './support/test.ts';
import type { E2eTenant } from './support/env.ts';

const SCREENSHOTS = 'docs/screenshots';

// Each test signs in, works through several screens and scans each with axe: more than the default 30 s on 2 cores.
test.describe.configure({ timeout: 90_000 });

async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: `${SCREENSHOTS}/${name}.png` });
}

async function apiLogin(request: APIRequestContext, baseURL: string, who: E2eTenant): Promise<string> {
  const login = await request.post(`${baseURL}/api/v1/auth/login`, {
    data: { tenant: who.slug, email: who.email, password: who.password },
  });
  expect(login.ok()).toBe(true);
  return ((await login.json()) as { token: string }).token;
}

/** A user of its own for each test (made by the tenant admin through the API), so no test leans on another's state. */
async function newUser(request: APIRequestContext, baseURL: string, admin: E2eTenant, name: string): Promise<E2eTenant> {
  const token = await apiLogin(request, baseURL, admin);
  const email = `${name.toLowerCase().replace(/\W+/g, '.')}.${Date.now()}.${Math.floor(Math.random() * 1e6)}@${admin.slug}.test`;
  const password = `pw ${Math.random().toString(36).slice(2)} ${Date.now()}`;
  const created = await request.post(`${baseURL}/api/v1/users`, {
    headers: { authorization: `Bearer ${token}` },
    data: { email, name, password },
  });
  expect(created.ok(), await created.text()).toBe(true);
  return { slug: admin.slug, email, password };
}

// Set when a test turned the tenant's "2FA required" policy on; turned off after it whatever happened.
let policyAdminToken: string | undefined;

test.afterEach(async ({ request, baseURL }) => {
  if (policyAdminToken) await setRequireMfa(request, baseURL!, policyAdminToken, false);
  policyAdminToken = undefined;
});

async function setRequireMfa(request: APIRequestContext, baseURL: string, adminToken: string, requireMfa: boolean): Promise<void> {
  const answer = await request.put(`${baseURL}/api/v1/settings/security`, {
    headers: { authorization: `Bearer ${adminToken}` },
    data: { requireMfa },
  });
  expect(answer.ok(), await answer.text()).toBe(true);
}

test('under a "2FA required" policy a user enrols (QR code, code check, recovery codes once), then signs in again with a code', async ({
  page,
  request,
  tenant,
  baseURL,
}) => {
  test.setTimeout(120_000); // a code is single-use: signing in again may wait for the next 30 s window
  const user = await newUser(request, baseURL!, tenant, 'Enrol Ment');
  // The admin's session predates the policy, so it can turn it off again afterwards.
  const adminToken = await apiLogin(request, baseURL!, tenant);
  policyAdminToken = adminToken;
  await setRequireMfa(request, baseURL!, adminToken, true);
  let secret: string;
  let enrolCode: string;
  try {
    await signIn(page, user);
    await expect(page).toHaveURL(/\/account\/two-factor$/);
    await expect(page.getByText('Your organization requires two-step verification.')).toBeVisible();
    // Nothing else opens before enrolment.
    await page.goto('/contacts');
    await expect(page).toHaveURL(/\/account\/two-factor$/);
    await expectNoSeriousA11yViolations(page);

    await page.getByRole('button', { name: 'Start' }).click();
    await expect(page.getByRole('img', { name: 'QR code to add Custodia to your authenticator app' })).toBeVisible();
    secret = (await page.getByTestId('totp-secret').textContent())!.trim();
    expect(secret).toMatch(/^[A-Z2-7]+=*$/);
    // The QR code is drawn (not a blank canvas).
    const drawn = await page.getByTestId('totp-qr').evaluate((canvas: HTMLCanvasElement) => {
      const pixels = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
      let dark = 0;
      for (let i = 0; i < pixels.length; i += 4) if (pixels[i]! < 128) dark++;
      return dark;
    });
    expect(drawn).toBeGreaterThan(1000);
    await expectNoSeriousA11yViolations(page);
    await screenshot(page, 'two-factor-en');

    await page.getByLabel('Code from the app').fill('000000');
    await page.getByRole('button', { name: 'Turn on' }).click();
    await expect(page.getByText('That code is not right.')).toBeVisible();
    enrolCode = totpCode(secret);
    await page.getByLabel('Code from the app').fill(enrolCode);
    await page.getByRole('button', { name: 'Turn on' }).click();
    await expect(page.getByRole('heading', { name: 'Your recovery codes' })).toBeVisible();
    await expect(page.getByTestId('recovery-codes').getByRole('listitem')).toHaveCount(10);
    await expect(page.getByRole('button', { name: 'Copy codes' })).toBeVisible();
    const download = page.waitForEvent('download');
    await page.getByRole('link', { name: 'Download codes' }).click();
    const saved = await (await download).path();
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(saved, 'utf8').trim().split('\n')).toHaveLength(10);
    await expectNoSeriousA11yViolations(page);
    await page.getByRole('button', { name: 'I have saved them' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Account' })).toBeVisible();
    await expect(page.getByRole('region', { name: 'Two-step verification' }).getByText('On', { exact: true })).toBeVisible();
  } finally {
    await setRequireMfa(request, baseURL!, adminToken, false);
    policyAdminToken = undefined;
  }

  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await expect(page).toHaveURL(/\/sign-in/);
  await signIn(page, user);
  await expect(page.getByRole('heading', { name: 'Two-step verification' })).toBeVisible();
  await page.getByLabel('Code').fill(await freshTotpCode(secret!, enrolCode!));
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Contacts' })).toBeVisible();
});

test('my sessions: ending another session signs it out; "sign out everywhere" ends this one too', async ({
  page,
  request,
  tenant,
  baseURL,
}) => {
  const user = await newUser(request, baseURL!, tenant, 'Session Keeper');
  const elsewhere = await apiLogin(request, baseURL!, user);
  await signIn(page, user);
  await expect(page.getByRole('heading', { level: 1, name: 'Contacts' })).toBeVisible();
  await page.goto('/account');
  const sessions = page.getByRole('region', { name: 'Where you are signed in' });
  await expect(sessions.getByTestId('session-row')).toHaveCount(2);
  await expect(sessions.getByText('This session')).toBeVisible();
  await expectNoSeriousA11yViolations(page);
  await screenshot(page, 'account-en');

  await sessions.getByRole('button', { name: /^Sign out the session/ }).click();
  await expect(sessions.getByTestId('session-row')).toHaveCount(1);
  const me = await request.get(`${baseURL}/api/v1/me`, { headers: { authorization: `Bearer ${elsewhere}` } });
  expect(me.status()).toBe(401);

  await sessions.getByRole('button', { name: 'Sign out everywhere' }).click();
  await expect(page).toHaveURL(/\/sign-in/);
  await page.goto('/account');
  await expect(page).toHaveURL(/\/sign-in\?redirect=/);
});

test('API tokens: created with scopes and shown once, usable, then revoked', async ({ page, request, tenant, baseURL }) => {
  const user = await newUser(request, baseURL!, tenant, 'Token Maker');
  await signIn(page, user);
  await expect(page.getByRole('heading', { level: 1, name: 'Contacts' })).toBeVisible();
  await page.goto('/account');
  const tokens = page.getByRole('region', { name: 'API tokens' });
  await expect(tokens.getByText('You have no API tokens.')).toBeVisible();
  // A user who is not an administrator is not offered the admin scope.
  await expect(tokens.getByRole('checkbox', { name: 'Admin' })).toHaveCount(0);

  await tokens.getByRole('button', { name: 'Create token' }).click();
  await expect(tokens.getByText('Fill this in')).toBeVisible();
  await tokens.getByLabel('Name').fill('Nightly report');
  await tokens.getByRole('checkbox', { name: 'Write' }).check();
  await tokens.getByRole('button', { name: 'Create token' }).click();
  await expect(tokens.getByText('Token “Nightly report” created')).toBeVisible();
  const token = (await tokens.getByTestId('new-token').textContent())!.trim();
  await expect(tokens.getByTestId('token-row')).toHaveCount(1);
  await expect(tokens.getByTestId('token-row')).toContainText('Nightly report');
  await expect(tokens.getByTestId('token-row')).toContainText('Read');
  await expect(tokens.getByTestId('token-row')).toContainText('Write');
  await expectNoSeriousA11yViolations(page);
  const withToken = { headers: { authorization: `Bearer ${token}` } };
  expect((await request.get(`${baseURL}/api/v1/me`, withToken)).status()).toBe(200);

  // Shown once: after a reload only its name is listed.
  await page.reload();
  await expect(tokens.getByTestId('token-row')).toHaveCount(1);
  await expect(tokens.getByTestId('new-token')).toHaveCount(0);

  await tokens.getByRole('button', { name: 'Revoke token Nightly report' }).click();
  const dialog = page.getByRole('dialog', { name: 'Revoke this token?' });
  await expect(dialog).toBeVisible();
  await expectNoSeriousA11yViolations(page);
  await dialog.getByRole('button', { name: 'Revoke' }).click();
  await expect(tokens.getByText('You have no API tokens.')).toBeVisible();
  expect((await request.get(`${baseURL}/api/v1/me`, withToken)).status()).toBe(401);
});

test('profile and password: the name is saved, a wrong current password is named at its field, a new one works', async ({
  page,
  request,
  tenant,
  baseURL,
}) => {
  const user = await newUser(request, baseURL!, tenant, 'Profile Person');
  await signIn(page, user);
  await expect(page.getByRole('heading', { level: 1, name: 'Contacts' })).toBeVisible();
  await page.goto('/account');
  const profile = page.getByRole('region', { name: 'Profile' });
  await profile.getByLabel('Name').fill('Renamed Person');
  await profile.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByText('Signed in as Renamed Person')).toBeVisible();

  const password = page.getByRole('region', { name: 'Password' });
  await password.getByLabel('Current password').fill('not my password at all');
  await password.getByRole('textbox', { name: 'New password', exact: true }).fill('a much better passphrase 42');
  await password.getByLabel('Repeat the new password').fill('a much better passphrase 42');
  await password.getByRole('button', { name: 'Change password' }).click();
  await expect(password.getByText('This is not your current password')).toBeVisible();
  await password.getByLabel('Current password').fill(user.password);
  await password.getByRole('button', { name: 'Change password' }).click();
  await expect(page.getByText('Your password is changed.')).toBeVisible();
  await expectNoSeriousA11yViolations(page);
  const login = await request.post(`${baseURL}/api/v1/auth/login`, {
    data: { tenant: user.slug, email: user.email, password: 'a much better passphrase 42' },
  });
  expect(login.ok()).toBe(true);
});

test('Dutch throughout: the language saved in my profile turns the app Dutch at once, and so do my account screens', async ({
  page,
  request,
  tenant,
  baseURL,
}) => {
  const user = await newUser(request, baseURL!, tenant, 'Nederlandse Gebruiker');
  await signIn(page, user);
  await expect(page.getByRole('heading', { level: 1, name: 'Contacts' })).toBeVisible();
  await page.goto('/account');
  const profile = page.getByRole('region', { name: 'Profile' });
  await profile.getByRole('combobox', { name: 'Language' }).click();
  await page.getByRole('option', { name: 'Nederlands' }).click();
  await profile.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('heading', { level: 2, name: 'Profiel' })).toBeVisible();
  await expect(page.locator('html')).toHaveAttribute('lang', 'nl');
  await expect(page.getByRole('heading', { level: 2, name: 'Waar je bent aangemeld' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Overal afmelden' })).toBeVisible();
  await expectNoSeriousA11yViolations(page);
  await screenshot(page, 'account-nl');

  // Saved as the user's setting: the API says so.
  const token = await apiLogin(request, baseURL!, user);
  const me = await request.get(`${baseURL}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } });
  expect(((await me.json()) as { language: string }).language).toBe('nl');

  await page.getByRole('link', { name: 'Verificatie in twee stappen instellen' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Verificatie in twee stappen instellen' })).toBeVisible();
  await page.getByRole('button', { name: 'Beginnen' }).click();
  await expect(page.getByRole('img', { name: 'QR-code om Custodia aan je authenticator-app toe te voegen' })).toBeVisible();
  await expectNoSeriousA11yViolations(page);
  await screenshot(page, 'two-factor-nl');
});

test('password reset: the request page always answers the same; a used or unknown link says so', async ({ page, tenant }) => {
  await page.goto('/forgot-password');
  await expect(page.getByRole('heading', { level: 1, name: 'Forgot your password?' })).toBeVisible();
  await expectNoSeriousA11yViolations(page);
  await page.getByRole('textbox', { name: 'Tenant', exact: true }).fill(tenant.slug);
  await page.getByLabel('E-mail address').fill('nobody-at-all@e2e.test');
  await page.getByRole('button', { name: 'Send the link' }).click();
  await expect(page.getByRole('status')).toContainText('If this account exists');
  await screenshot(page, 'password-reset-en');

  await page.goto('/reset-password#token=not-a-real-token-0123456789abcdef');
  await expect(page.getByRole('heading', { level: 1, name: 'Choose a new password' })).toBeVisible();
  await page.getByRole('textbox', { name: 'New password', exact: true }).fill('short');
  await page.getByRole('button', { name: 'Save the new password' }).click();
  await expect(page.getByText('Use 8 to 128 characters')).toBeVisible();
  await page.getByRole('textbox', { name: 'New password', exact: true }).fill('a long enough new password');
  await page.getByLabel('Repeat the new password').fill('a long enough new password');
  await page.getByRole('button', { name: 'Save the new password' }).click();
  await expect(page.getByRole('alert')).toContainText('This link has expired or was used already.');
  await expectNoSeriousA11yViolations(page);

  await page.goto('/reset-password');
  await expect(page.getByRole('alert')).toContainText('This link is not complete.');
});

test('the account screen works on a phone @phone', async ({ page, request, tenant, baseURL }) => {
  const user = await newUser(request, baseURL!, tenant, 'Phone User');
  await signIn(page, user);
  await expect(page.getByRole('heading', { level: 1, name: 'Contacts' })).toBeVisible();
  await page.goto('/account');
  await expect(page.getByRole('heading', { level: 1, name: 'Account' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Sign out everywhere' })).toBeVisible();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await expectNoSeriousA11yViolations(page);
});
