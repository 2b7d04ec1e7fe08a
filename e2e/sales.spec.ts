import { randomBytes } from 'node:crypto';
import type { APIRequestContext, Page } from '@playwright/test';
import { expect, expectNoSeriousA11yViolations, signIn, test } from './support/test.ts';

// Every test makes its own records with a unique suffix; totals are checked on a pipeline of the test's own,
// so deals other specs create in the shared tenant never change them.

const unique = () => randomBytes(4).toString('hex');

interface Api {
  headers: { authorization: string };
  post: <T>(path: string, data: unknown) => Promise<T>;
}

async function apiFor(
  request: APIRequestContext,
  baseURL: string | undefined,
  who: { slug: string; email: string; password: string },
): Promise<Api> {
  const login = await request.post(`${baseURL}/api/v1/auth/login`, {
    data: { tenant: who.slug, email: who.email, password: who.password },
  });
  expect(login.ok()).toBe(true);
  const { token } = (await login.json()) as { token: string };
  const headers = { authorization: `Bearer ${token}` };
  return {
    headers,
    post: async <T>(path: string, data: unknown) => {
      const response = await request.post(`${baseURL}/api/v1${path}`, { headers, data });
      expect(response.ok(), `POST ${path}: ${await response.text()}`).toBe(true);
      return (await response.json()) as T;
    },
  };
}

interface Pipeline {
  id: string;
  name: string;
  stages: Array<{ id: string; name: string }>;
}

/** A pipeline of this test's own, with three open stages and a won one. */
function newPipeline(api: Api, suffix: string): Promise<Pipeline> {
  return api.post<Pipeline>('/pipelines', {
    name: `Pipeline ${suffix}`,
    stages: [
      { name: 'Lead in', probability: 10 },
      { name: 'Proposal', probability: 50 },
      { name: 'Negotiation', probability: 80 },
      { name: 'Signed', probability: 100, kind: 'won' },
    ],
  });
}

async function chooseOption(page: Page, scope: ReturnType<Page['getByRole']>, label: string, option: string) {
  await scope.getByRole('combobox', { name: label }).click();
  await page.getByRole('option', { name: option, exact: true }).click();
}

test('an organization with a deal: the deal moves across the board by drag and by its stage menu, and the totals follow', async ({
  page,
  request,
  baseURL,
  tenant,
}) => {
  test.setTimeout(150_000);
  const suffix = unique();
  const api = await apiFor(request, baseURL, tenant);
  const pipeline = await newPipeline(api, suffix);
  const organization = `Voorbeeld ${suffix} BV`;
  const deal = `Renewal ${suffix}`;

  await signIn(page, tenant);
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
  await page.goto('/organizations');
  await expect(page.getByRole('heading', { level: 1, name: 'Organizations' })).toBeVisible();
  await expectNoSeriousA11yViolations(page);

  // Create: a missing name is refused next to its field, then the organization is made.
  await page.getByRole('button', { name: 'New organization' }).click();
  const dialog = page.getByRole('dialog', { name: 'New organization' });
  await dialog.getByRole('button', { name: 'Save' }).click();
  await expect(dialog.getByText('Fill this in')).toBeVisible();
  await expectNoSeriousA11yViolations(page);
  await dialog.getByLabel('Name').fill(organization);
  await dialog.getByLabel('Industry').fill('Manufacturing');
  await dialog.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('heading', { level: 1, name: organization })).toBeVisible();

  // The list finds it by a part of its name.
  await page.getByRole('link', { name: '← All organizations' }).click();
  await page.getByLabel('Search name or domain').fill(suffix);
  await expect(page.getByRole('link', { name: organization })).toBeVisible();
  await page.getByRole('link', { name: organization }).click();
  await expect(page.getByRole('heading', { level: 1, name: organization })).toBeVisible();

  // A note on the organization.
  await page.getByLabel('New note').fill(`Spoke to purchasing about ${suffix}.`);
  await page.getByRole('button', { name: 'Add note' }).click();
  await expect(page.getByText(`Spoke to purchasing about ${suffix}.`)).toBeVisible();

  // A deal for the organization, in this test's pipeline; the amount is typed in euros and shown as money.
  await page.getByRole('button', { name: 'New deal' }).click();
  const dealDialog = page.getByRole('dialog', { name: 'New deal' });
  await dealDialog.getByLabel('Title').fill(deal);
  await dealDialog.getByLabel('Amount').fill('1250.5');
  await chooseOption(page, dealDialog, 'Pipeline', pipeline.name);
  await expectNoSeriousA11yViolations(page);
  await dealDialog.getByRole('button', { name: 'Save' }).click();
  await expect(dealDialog).toBeHidden();
  const dealsSection = page.getByRole('region', { name: 'Deals' });
  await expect(dealsSection.getByRole('link', { name: deal })).toBeVisible();
  await expect(dealsSection.getByText('€1,250.50')).toBeVisible();
  await expectNoSeriousA11yViolations(page);

  // The board of that pipeline: the deal starts in the first stage.
  await page.goto(`/deals/board?pipelineId=${pipeline.id}`);
  await expect(page.getByRole('heading', { level: 1, name: 'Pipeline board' })).toBeVisible();
  const column = (name: string) => page.getByRole('region', { name });
  const card = page.getByRole('listitem', { name: deal });
  await expect(column('Lead in').getByRole('listitem', { name: deal })).toBeVisible();
  await expect(column('Lead in').getByText('Total: €1,250.50')).toBeVisible();
  await expect(column('Proposal').getByText('Total: 0')).toBeVisible();
  await expectNoSeriousA11yViolations(page);

  // Drag the card to the next stage.
  await card.dragTo(column('Proposal'));
  await expect(column('Proposal').getByRole('listitem', { name: deal })).toBeVisible();
  await expect(column('Proposal').getByText('Total: €1,250.50')).toBeVisible();
  await expect(column('Lead in').getByText('Total: 0')).toBeVisible();

  // Without a mouse: the card's stage menu, by keyboard.
  const stageMenu = page.getByRole('combobox', { name: `Stage of ${deal}` });
  await stageMenu.focus();
  await expect(stageMenu).toBeFocused();
  await stageMenu.selectOption({ label: 'Negotiation' });
  await expect(column('Negotiation').getByRole('listitem', { name: deal })).toBeVisible();
  await expect(column('Negotiation').getByText('Total: €1,250.50')).toBeVisible();
  await expect(column('Proposal').getByText('Total: 0')).toBeVisible();
  await expect(page.getByRole('status')).toHaveText(`${deal} moved to Negotiation`);

  // The moves survive a reload and are in the deal's stage history.
  await page.reload();
  await expect(column('Negotiation').getByRole('listitem', { name: deal })).toBeVisible();
  await column('Negotiation').getByRole('link', { name: deal }).click();
  await expect(page.getByRole('heading', { level: 1, name: deal })).toBeVisible();
  const history = page.getByRole('region', { name: 'Stage history' });
  await expect(history.getByRole('row')).toHaveCount(4); // header, created, two moves
  await expect(history.getByRole('row').nth(2)).toContainText('Lead in');
  await expect(history.getByRole('row').nth(3)).toContainText('Negotiation');
  await expect(page.getByText(pipeline.name + ' · Negotiation')).toBeVisible();
  await expectNoSeriousA11yViolations(page);

  // The deals list shows it with its amount.
  await page.getByRole('link', { name: '← All deals' }).click();
  await page.getByLabel('Search title').fill(suffix);
  await expect(page.getByRole('row', { name: new RegExp(deal) })).toContainText('€1,250.50');
  await expectNoSeriousA11yViolations(page);
});

test('an edit based on an old version shows the conflict and reloads the latest', async ({ page, request, baseURL, tenant }) => {
  const suffix = unique();
  const api = await apiFor(request, baseURL, tenant);
  const created = await api.post<{ id: string }>('/organizations', { name: `Conflict ${suffix} BV` });
  await signIn(page, tenant);
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
  await page.goto(`/organizations/${created.id}`);
  await expect(page.getByRole('heading', { level: 1, name: `Conflict ${suffix} BV` })).toBeVisible();
  await page.getByRole('button', { name: 'Edit organization' }).click();
  // Someone else saves first.
  const other = await request.patch(`${baseURL}/api/v1/organizations/${created.id}`, {
    headers: api.headers,
    data: { industry: 'Retail', version: 1 },
  });
  expect(other.ok()).toBe(true);
  const dialog = page.getByRole('dialog', { name: 'Edit organization' });
  await dialog.getByLabel('Industry').fill('Logistics');
  await dialog.getByRole('button', { name: 'Save' }).click();
  await expect(dialog.getByRole('alert')).toContainText('changed');
  await dialog.getByRole('button', { name: 'Reload' }).click();
  await expect(dialog.getByLabel('Industry')).toHaveValue('Retail');
  await dialog.getByLabel('Industry').fill('Logistics');
  await dialog.getByRole('button', { name: 'Save' }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByText('Logistics')).toBeVisible();
});

test('a task due yesterday is overdue until it is marked done', async ({ page, tenant }) => {
  const subject = `Send the quote ${unique()}`;
  const yesterday = new Date(Date.now() - 24 * 3600_000);
  const local = new Date(yesterday.getTime() - yesterday.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);

  await signIn(page, tenant);
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
  await page.goto('/activities');
  await expect(page.getByRole('heading', { level: 1, name: 'Activities' })).toBeVisible();
  await page.getByRole('button', { name: 'New activity' }).click();
  const dialog = page.getByRole('dialog', { name: 'New activity' });
  await expect(dialog.getByRole('combobox', { name: 'Type' })).toHaveValue('Task');
  await dialog.getByLabel('Subject').fill(subject);
  await dialog.getByLabel('Due').fill(local);
  await expectNoSeriousA11yViolations(page);
  await dialog.getByRole('button', { name: 'Save' }).click();
  await expect(dialog).toBeHidden();

  await page.getByRole('tab', { name: 'Overdue' }).click();
  const item = page.getByRole('listitem', { name: subject });
  await expect(item).toBeVisible();
  await expect(item).toContainText('Overdue since');
  await expectNoSeriousA11yViolations(page);

  await item.getByRole('button', { name: `Mark done: ${subject}` }).click();
  await expect(item).toBeHidden();
  await page.getByRole('tab', { name: 'All, including done' }).click();
  await expect(page.getByRole('listitem', { name: subject })).toContainText('Done');
});

test('notes: added to an organization from the notes page, edited and deleted', async ({ page, request, baseURL, tenant }) => {
  const suffix = unique();
  const api = await apiFor(request, baseURL, tenant);
  const organization = `Notitie ${suffix} BV`;
  await api.post('/organizations', { name: organization });

  await signIn(page, tenant);
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
  await page.goto('/notes');
  await expect(page.getByRole('heading', { level: 1, name: 'Notes' })).toBeVisible();
  await page.getByRole('combobox', { name: 'Record' }).fill(suffix);
  await page.getByRole('option', { name: organization }).click();
  await page.getByLabel('Note', { exact: true }).fill(`First call ${suffix}`);
  await page.getByRole('button', { name: 'Add note' }).click();
  const note = page.getByRole('article').filter({ hasText: `First call ${suffix}` });
  await expect(note).toBeVisible();
  await expect(note.getByRole('link', { name: 'Organization' })).toBeVisible();
  await expectNoSeriousA11yViolations(page);

  await note.getByRole('button', { name: 'Edit' }).click();
  // Only the note being edited has a text field.
  const editing = page.getByRole('article').filter({ has: page.getByLabel('Note', { exact: true }) });
  await editing.getByLabel('Note', { exact: true }).fill(`Second call ${suffix}`);
  await editing.getByRole('button', { name: 'Save' }).click();
  const edited = page.getByRole('article').filter({ hasText: `Second call ${suffix}` });
  await expect(edited).toBeVisible();

  await edited.getByRole('link', { name: 'Organization' }).click();
  await expect(page.getByRole('heading', { level: 1, name: organization })).toBeVisible();
  const onOrganization = page.getByRole('article').filter({ hasText: `Second call ${suffix}` });
  await onOrganization.getByRole('button', { name: 'Delete' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Move to recycle bin' }).click();
  await expect(onOrganization).toBeHidden();
  await expect(page.getByText('No notes yet.')).toBeVisible();
});

test('the board on a phone: columns scroll sideways and a card moves by its stage menu @phone', async ({
  page,
  request,
  baseURL,
  tenant,
}) => {
  const suffix = unique();
  const api = await apiFor(request, baseURL, tenant);
  const pipeline = await newPipeline(api, suffix);
  const deal = `Phone deal ${suffix}`;
  await api.post('/deals', { title: deal, amount: 99900, currency: 'EUR', pipelineId: pipeline.id });

  await signIn(page, tenant);
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
  await page.goto(`/deals/board?pipelineId=${pipeline.id}`);
  await expect(page.getByRole('heading', { level: 1, name: 'Pipeline board' })).toBeVisible();
  const column = (name: string) => page.getByRole('region', { name });
  await expect(column('Lead in').getByText('Total: €999.00')).toBeVisible();
  await expectNoSeriousA11yViolations(page);
  // The page itself does not scroll sideways; the board does.
  expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
  await page.getByRole('combobox', { name: `Stage of ${deal}` }).selectOption({ label: 'Signed' });
  await column('Signed').scrollIntoViewIfNeeded();
  await expect(column('Signed').getByText('Total: €999.00')).toBeVisible();
  await expect(column('Lead in').getByText('Total: 0')).toBeAttached();
});

test('screenshots of the sales screens in English and Dutch', async ({ page, request, baseURL, tenant }) => {
  test.setTimeout(120_000);
  const suffix = unique();
  const api = await apiFor(request, baseURL, tenant);
  const pipeline = await newPipeline(api, suffix);
  const organization = await api.post<{ id: string }>('/organizations', {
    name: `Bakkerij Jansen ${suffix}`,
    industry: 'Food',
    tags: ['customer'],
  });
  for (const [title, amount, stage] of [
    ['Ovens 2027', 1_250_000, 0],
    ['Maintenance contract', 480_000, 1],
    ['Extra delivery van', 3_500_000, 2],
  ] as const) {
    await api.post('/deals', {
      title,
      amount,
      currency: 'EUR',
      pipelineId: pipeline.id,
      stageId: pipeline.stages[stage]!.id,
      organizationId: organization.id,
    });
  }
  await api.post('/activities', {
    type: 'call',
    subject: 'Call about the ovens',
    dueAt: new Date(Date.now() + 86_400_000).toISOString(),
    organizationId: organization.id,
  });
  await api.post('/notes', { body: 'Wants delivery before the summer.', organizationId: organization.id });
  // A Dutch-speaking colleague, so the shared admin's language setting is left alone.
  const dutch = { slug: tenant.slug, email: `nl-${suffix}@${tenant.slug}.test`, password: `Dutch colleague ${suffix} pass` };
  await api.post('/users', { email: dutch.email, name: 'Sanne de Boer', password: dutch.password, isAdmin: true, language: 'nl' });

  const shots: Array<[string, string, string]> = [
    ['organizations', '/organizations', 'h1'],
    ['organization', `/organizations/${organization.id}`, 'h1'],
    ['deals-board', `/deals/board?pipelineId=${pipeline.id}`, 'h1'],
    ['activities', '/activities', 'h1'],
    ['notes', '/notes', 'h1'],
  ];
  for (const [language, who] of [
    ['en', tenant],
    ['nl', dutch],
  ] as const) {
    await page.context().clearCookies();
    await page.goto('/sign-in');
    await signIn(page, who);
    await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
    for (const [name, path] of shots) {
      await page.goto(path);
      await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
      await page.waitForLoadState('networkidle');
      if (language === 'nl') await expect(page.locator('html')).toHaveAttribute('lang', 'nl');
      await page.screenshot({ path: `docs/screenshots/${name}-${language}.png` });
    }
  }
});
