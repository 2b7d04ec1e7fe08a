import { randomBytes } from 'node:crypto';
import { expect, expectNoSeriousA11yViolations, signIn, test } from './support/test.ts';
import { bearer, mailOutbox } from './support/server.ts';

// An administrator invites a user through the admin screen; the invited user
// opens the e-mailed link, chooses a password and signs in. The e2e server has
// no SMTP server, so the mail waits in the outbox, where the operator's
// `custodia mail outbox` reads it (over the running server's admin socket).

/** The link of the newest invitation mailed to `email`. */
async function invitationLink(baseURL: string, email: string): Promise<{ link: string; count: number }> {
  const mails = (await mailOutbox(baseURL))
    .filter((mail) => mail.template === 'invitation' && mail.to === email)
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  expect(mails.length).toBeGreaterThan(0);
  const link = /https?:\/\/\S+\/reset-password#token=[A-Za-z0-9_-]+&invitation=1/.exec(mails[0]!.text);
  expect(link).not.toBeNull();
  return { link: link![0], count: mails.length };
}

test('an admin invites a user by e-mail; the Invited badge shows until they choose a password through the link and sign in', async ({
  page,
  request,
  tenant,
  baseURL,
}) => {
  test.setTimeout(120_000);
  const suffix = randomBytes(4).toString('hex');
  const admin = {
    slug: tenant.slug,
    email: `admin-${suffix}@invite-spec.test`,
    password: `pw ${randomBytes(9).toString('base64url')}`,
    name: `Ida Inviter ${suffix}`,
  };
  const created = await request.post('/api/v1/users', {
    headers: await bearer(request, tenant),
    data: { email: admin.email, name: admin.name, password: admin.password, isAdmin: true },
  });
  expect(created.status()).toBe(201);
  const invited = { slug: tenant.slug, name: `Nina Newcomer ${suffix}`, email: `nina-${suffix}@invite-spec.test`, password: '' };

  await signIn(page, admin);
  await expect(page.getByRole('heading', { level: 1, name: 'Contacts' })).toBeVisible();
  await page.getByRole('navigation', { name: 'Main navigation' }).getByRole('link', { name: 'Admin' }).click();
  await page.getByRole('tab', { name: 'Users' }).click();

  await page.getByRole('button', { name: 'New user' }).click();
  const dialog = page.getByRole('dialog', { name: 'New user' });
  await dialog.getByRole('textbox', { name: 'Name', exact: true }).fill(invited.name);
  await dialog.getByLabel('E-mail address').fill(invited.email);
  await expect(dialog.getByLabel('First password')).toBeVisible();
  await dialog.getByRole('switch', { name: 'Invite by e-mail' }).check();
  await expect(dialog.getByLabel('First password')).toHaveCount(0);
  await expectNoSeriousA11yViolations(page);
  await dialog.getByRole('button', { name: 'Save' }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByText(`${invited.name} was invited; the e-mail is on its way.`)).toBeVisible();

  const row = page.getByRole('row').filter({ hasText: invited.email });
  await expect(row.getByText('Invited', { exact: true })).toBeVisible();
  await page.mouse.move(0, 0); // the dialog closed above the new row: no hover highlight under the scan
  await expectNoSeriousA11yViolations(page);

  // Resending makes a new link; only that one works.
  const first = await invitationLink(baseURL!, invited.email);
  expect(first.count).toBe(1);
  await row.getByRole('button', { name: `Resend invitation to ${invited.name}` }).click();
  await expect(page.getByText(`A new invitation is on its way to ${invited.name}; the earlier link no longer works.`)).toBeVisible();
  const second = await invitationLink(baseURL!, invited.email);
  expect(second.count).toBe(2);
  expect(second.link).not.toBe(first.link);

  // The invited user cannot sign in yet.
  const refused = await request.post('/api/v1/auth/login', {
    data: { tenant: tenant.slug, email: invited.email, password: 'a guess at a password' },
  });
  expect(refused.status()).toBe(401);

  // The invited user, in a browser of their own, opens the link, chooses a password and signs in.
  const context = await page.context().browser()!.newContext({ baseURL: baseURL! });
  const newcomer = await context.newPage();
  invited.password = `chosen ${randomBytes(9).toString('base64url')}`;
  await newcomer.goto(second.link);
  await expect(newcomer.getByRole('heading', { name: 'Choose your password' })).toBeVisible();
  await expectNoSeriousA11yViolations(newcomer);
  await newcomer.getByRole('textbox', { name: 'New password', exact: true }).fill(invited.password);
  await newcomer.getByLabel('Repeat the new password').fill(invited.password);
  await newcomer.getByRole('button', { name: 'Save the new password' }).click();
  await expect(newcomer.getByText('Your password is set.')).toBeVisible();
  await newcomer.getByRole('link', { name: 'Sign in with your new password' }).click();
  await signIn(newcomer, invited);
  await expect(newcomer.getByRole('heading', { level: 1, name: 'Contacts' })).toBeVisible();

  // The first link was replaced by the resend, and the second one is used up.
  for (const used of [first.link, second.link]) {
    await newcomer.goto('about:blank'); // a new document: the links differ only in their fragment
    await newcomer.goto(used);
    await newcomer.getByRole('textbox', { name: 'New password', exact: true }).fill('another long passphrase');
    await newcomer.getByLabel('Repeat the new password').fill('another long passphrase');
    await newcomer.getByRole('button', { name: 'Save the new password' }).click();
    await expect(newcomer.getByRole('alert')).toContainText('This invitation has expired or was used already.');
  }
  await context.close();

  // The admin's list no longer calls them invited.
  await page.reload();
  await expect(row).toBeVisible();
  await expect(row.getByText('Invited', { exact: true })).toHaveCount(0);
  await expect(row.getByRole('button', { name: `Resend invitation to ${invited.name}` })).toHaveCount(0);
});
