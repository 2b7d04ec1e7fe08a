import AxeBuilder from '@axe-core/playwright';
import { test as base, expect, type Page } from '@playwright/test';
import * as OTPAuth from 'otpauth';
import { E2E_ENV, e2eTenant, type E2eTenant } from './env.ts';

/** Playwright's test with the server's address as baseURL and the tenants the global setup created. */
export const test = base.extend<{ tenant: E2eTenant; mfaTenant: E2eTenant; salesTenant: E2eTenant }>({
  baseURL: async ({}, use) => {
    await use(process.env[E2E_ENV.url]);
  },
  tenant: async ({}, use) => {
    await use(e2eTenant('tenant'));
  },
  mfaTenant: async ({}, use) => {
    await use(e2eTenant('mfaTenant'));
  },
  /** A tenant of its own for the sales journey, which changes tenant-wide sharing. */
  salesTenant: async ({}, use) => {
    await use(e2eTenant('salesTenant'));
  },
});
export { expect };

/** Fills the sign-in form by its labels (English UI) and submits it. */
export async function signIn(page: Page, who: { slug: string; email: string; password: string }): Promise<void> {
  if (!page.url().includes('/sign-in')) await page.goto('/sign-in');
  await page.getByRole('textbox', { name: 'Tenant', exact: true }).fill(who.slug);
  await page.getByRole('textbox', { name: 'E-mail address', exact: true }).fill(who.email);
  await page.getByRole('textbox', { name: 'Password', exact: true }).fill(who.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** The current six-digit code for a base32 TOTP secret (RFC 6238, as any authenticator app computes it). */
export function totpCode(secret: string, at = Date.now()): string {
  return new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), digits: 6, period: 30, algorithm: 'SHA1' }).generate({
    timestamp: at,
  });
}

/** Codes are single-use: waits for the next 30 s window when the current code was just used. */
export async function freshTotpCode(secret: string, used: string): Promise<string> {
  let code = totpCode(secret);
  while (code === used) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    code = totpCode(secret);
  }
  return code;
}

/**
 * Fails on any serious or critical axe-core violation on the page as it is now —
 * once its transitions have ended: a dialog fading in has, for a moment, text
 * whose contrast is the fade's, not the page's (spinners, which never end, are not waited for).
 */
export async function expectNoSeriousA11yViolations(page: Page): Promise<void> {
  await page.waitForFunction(
    () => document.getAnimations().every((a) => a.playState !== 'running' || a.effect?.getTiming().iterations === Infinity),
    undefined,
    {
      timeout: 5_000,
    },
  );
  const results = await new AxeBuilder({ page }).analyze();
  const serious = results.violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map(
      (violation) =>
        `${violation.id} (${violation.impact}): ${violation.help} — ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`,
    );
  expect(serious, 'serious or critical accessibility violations').toEqual([]);
}
