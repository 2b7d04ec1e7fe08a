import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { APIRequestContext, Download, Page } from '@playwright/test';
import { bearer } from './support/server.ts';
import { expect, expectNoSeriousA11yViolations, signIn, test } from './support/test.ts';

// Files on a record (issue 19), as a new user tries them: a PDF on a contact,
// a new version, the history, restore of the first, every version downloaded
// byte for byte, the previews, and what a user without the files permission
// or looking at a restricted person sees. Every test makes its own people.

test.describe.configure({ timeout: 120_000 });

type Who = { slug: string; email: string; password: string };

// Letters only: names are searched by word.
const unique = () =>
  randomBytes(4)
    .toString('hex')
    .replace(/\d/g, (d) => 'qwrtypsdfg'[Number(d)]!);

/** A small valid one-page PDF saying `text`, with a correct cross-reference table. */
function pdfSaying(text: string): Buffer {
  const stream = `BT /F1 18 Tf 40 100 Td (${text}) Tj ET`;
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 200] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let body = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((object, index) => {
    offsets.push(body.length);
    body += `${index + 1} 0 obj\n${object}\nendobj\n`;
  });
  const xref = body.length;
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) body += `${String(offset).padStart(10, '0')} 00000 n \n`;
  body += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(body, 'latin1');
}

/** A 2×2 red PNG. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP8z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg==',
  'base64',
);

async function adminApi(request: APIRequestContext, who: Who) {
  const headers = await bearer(request, who);
  return async <T>(path: string, body: unknown): Promise<T> => {
    const response = await request.post(`/api/v1${path}`, { headers, data: body });
    expect(response.ok(), `POST ${path}: ${response.status()} ${await response.text()}`).toBe(true);
    return (await response.json()) as T;
  };
}

async function newContact(post: Awaited<ReturnType<typeof adminApi>>, firstName: string) {
  const lastName = `Files${unique()}`;
  const contact = await post<{ id: string }>('/contacts', { firstName, lastName, lawfulBasis: 'contract' });
  return { id: contact.id, name: `${firstName} ${lastName}` };
}

async function openFiles(page: Page, contactId: string, heading = 'Files') {
  await page.goto(`/contacts/${contactId}?tab=files`);
  await expect(page.getByRole('heading', { level: 2, name: heading })).toBeVisible();
}

async function bytesOf(download: Download): Promise<Buffer> {
  return readFile((await download.path())!);
}

function row(page: Page, name: string) {
  return page.getByRole('row').filter({ has: page.getByRole('cell', { name, exact: true }) });
}

async function fileAction(page: Page, name: string, action: string) {
  // The messages in the corner fade out first: a row's menu near the bottom opens where they are.
  await expect(page.locator('.mantine-Notifications-notification')).toHaveCount(0);
  await page.getByRole('button', { name: `Actions for ${name}` }).click();
  await page.getByRole('menuitem', { name: action }).click();
}

test('a PDF on a contact: upload, a new version, restore the first from the history, every version downloads byte for byte; previews open', async ({
  page,
  request,
  tenant,
}) => {
  const post = await adminApi(request, tenant);
  const contact = await newContact(post, 'Pia');
  const first = pdfSaying('Quote, first draft');
  const second = pdfSaying('Quote, signed by both parties');
  const cspViolations: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy|Refused to (frame|load)/i.test(message.text())) cspViolations.push(message.text());
  });

  await signIn(page, tenant);
  await expect(page.getByRole('heading', { level: 1, name: 'Contacts' })).toBeVisible();
  await openFiles(page, contact.id);
  await expect(page.getByText('No files yet.')).toBeVisible();
  await expectNoSeriousA11yViolations(page);

  // Upload through the labelled file input.
  await page.getByLabel('Files to upload').setInputFiles({ name: 'quote.pdf', mimeType: 'application/pdf', buffer: first });
  await expect(page.getByText('quote.pdf uploaded')).toBeVisible();
  const quote = row(page, 'quote.pdf');
  await expect(quote).toContainText('PDF');
  await expect(quote.getByRole('cell').nth(3)).toHaveText('1');
  await expect(quote.getByRole('cell').nth(1)).toHaveText(`${first.length} bytes`);

  // The file's menu, open, passes axe too.
  await expect(page.locator('.mantine-Notifications-notification')).toHaveCount(0);
  await page.getByRole('button', { name: 'Actions for quote.pdf' }).click();
  await expect(page.getByRole('menuitem', { name: 'Delete' })).toBeVisible();
  await expectNoSeriousA11yViolations(page);
  await page.keyboard.press('Escape');

  // A new version, through the file chooser the menu opens.
  const chooser = page.waitForEvent('filechooser');
  await fileAction(page, 'quote.pdf', 'Upload new version');
  await (await chooser).setFiles({ name: 'quote-signed.pdf', mimeType: 'application/pdf', buffer: second });
  await expect(page.getByText('Version 2 of quote.pdf uploaded')).toBeVisible();
  await expect(quote.getByRole('cell').nth(3)).toHaveText('2');
  await expect(quote.getByRole('cell').nth(1)).toHaveText(`${second.length} bytes`);

  // The history: both versions, who and when; restore the first.
  await fileAction(page, 'quote.pdf', 'Version history');
  const history = page.getByRole('dialog', { name: 'Versions of quote.pdf' });
  await expect(history.getByRole('row')).toHaveCount(3);
  await expect(history.getByRole('row').nth(1)).toContainText('Current');
  await expectNoSeriousA11yViolations(page);
  await history.getByRole('button', { name: 'Restore version 1' }).click();
  const confirm = page.getByRole('dialog', { name: 'Restore version 1?' });
  await expect(confirm).toContainText('A copy of version 1 becomes the newest version of quote.pdf');
  await confirm.getByRole('button', { name: 'Restore this version' }).click();
  await expect(page.getByText('Version 1 restored as version 3')).toBeVisible();
  await expect(history.getByRole('row')).toHaveCount(4);
  await expect(history.getByRole('row').nth(1)).toContainText('restored from version 1');
  await expect(history.getByRole('row').nth(1)).toContainText('Current');

  // Every version downloads exactly as uploaded; version 3 is version 1 again.
  const expected = new Map([
    [1, first],
    [2, second],
    [3, first],
  ]);
  for (const [version, bytes] of expected) {
    const download = page.waitForEvent('download');
    await history.getByRole('button', { name: `Download version ${version}` }).click();
    expect((await bytesOf(await download)).equals(bytes), `version ${version} byte for byte`).toBe(true);
  }
  await history.getByRole('button', { name: 'Close' }).click();
  await expect(quote.getByRole('cell').nth(3)).toHaveText('3');
  const newest = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Download: quote.pdf' }).click();
  expect((await bytesOf(await newest)).equals(first)).toBe(true);

  // The PDF preview frames the inline content; the app's policy lets it in.
  await fileAction(page, 'quote.pdf', 'Preview');
  const preview = page.getByRole('dialog', { name: 'Preview of quote.pdf' });
  const frame = preview.locator('iframe[title="quote.pdf (PDF)"]');
  await expect(frame).toHaveAttribute('src', /\/content\?version=3&inline=1$/);
  const inline = await page.request.get((await frame.getAttribute('src'))!);
  expect(inline.status()).toBe(200);
  expect(inline.headers()['content-type']).toContain('application/pdf');
  expect(inline.headers()['content-disposition']).toMatch(/^inline/);
  expect((await inline.body()).equals(first)).toBe(true);
  // Chromium's PDF viewer took the frame over: it was neither refused by a policy nor turned into a download.
  await expect.poll(() => page.frames().some((frame) => frame.url().startsWith('chrome-extension://'))).toBe(true);
  await preview.getByRole('button', { name: 'Close' }).click();

  // An image by drag and drop; its preview loads; then it is deleted after a confirmation.
  const dataTransfer = await page.evaluateHandle((base64) => {
    const transfer = new DataTransfer();
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    transfer.items.add(new File([bytes], 'dot.png', { type: 'image/png' }));
    return transfer;
  }, PNG.toString('base64'));
  await page.getByTestId('files-dropzone').dispatchEvent('drop', { dataTransfer });
  await expect(page.getByText('dot.png uploaded')).toBeVisible();
  await expect(row(page, 'dot.png')).toContainText('PNG image');
  await fileAction(page, 'dot.png', 'Preview');
  const image = page.getByRole('dialog', { name: 'Preview of dot.png' }).getByRole('img', { name: 'dot.png' });
  await expect(image).toBeVisible();
  await expect.poll(() => image.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(2);
  await page.getByRole('dialog', { name: 'Preview of dot.png' }).getByRole('button', { name: 'Close' }).click();
  await fileAction(page, 'dot.png', 'Delete');
  await page.getByRole('dialog', { name: 'Delete dot.png?' }).getByRole('button', { name: 'Delete' }).click();
  await expect(page.getByText('dot.png deleted')).toBeVisible();
  await expect(row(page, 'dot.png')).toHaveCount(0);
  await expect(row(page, 'quote.pdf')).toHaveCount(1);
  expect(cspViolations).toEqual([]);
});

test('an organization, a deal and an activity have their files too', async ({ page, request, tenant }) => {
  const post = await adminApi(request, tenant);
  const suffix = unique();
  const organization = await post<{ id: string }>('/organizations', { name: `Archief ${suffix} BV` });
  const pipeline = await post<{ id: string }>('/pipelines', { name: `Files ${suffix}`, stages: [{ name: 'Open', probability: 10 }] });
  const deal = await post<{ id: string }>('/deals', {
    title: `Contract ${suffix}`,
    amount: 250000,
    currency: 'EUR',
    pipelineId: pipeline.id,
    organizationId: organization.id,
  });
  const subject = `Sign the contract ${suffix}`;
  await post('/activities', { type: 'meeting', subject, dealId: deal.id });

  await signIn(page, tenant);
  await expect(page.getByRole('heading', { level: 1, name: 'Contacts' })).toBeVisible();
  const uploadTo = async (panel: ReturnType<Page['getByRole']>, name: string) => {
    await panel.getByLabel('Files to upload').setInputFiles({ name, mimeType: 'application/pdf', buffer: pdfSaying(name) });
    await expect(page.getByText(`${name} uploaded`)).toBeVisible();
    await expect(panel.getByRole('cell', { name, exact: true })).toBeVisible();
  };

  await page.goto(`/organizations/${organization.id}`);
  await uploadTo(page.getByRole('region', { name: 'Files' }), 'statutes.pdf');
  await page.goto(`/deals/${deal.id}`);
  const dealFiles = page.getByRole('region', { name: 'Files' });
  await expect(dealFiles.getByText('No files yet.')).toBeVisible();
  await uploadTo(dealFiles, 'contract.pdf');
  await expect(dealFiles.getByRole('cell', { name: 'statutes.pdf' })).toHaveCount(0);

  await page.goto('/activities');
  await page.getByRole('tab', { name: 'All' }).click();
  await page.getByRole('button', { name: `Files of ${subject}` }).click();
  const dialog = page.getByRole('dialog', { name: `Files of ${subject}` });
  await expect(dialog.getByText('No files yet.')).toBeVisible();
  await uploadTo(dialog, 'agenda.pdf');
  await expectNoSeriousA11yViolations(page);
});

test('a refused upload says why: too large, or the storage full; a slow one can be cancelled', async ({ page, request, tenant }) => {
  const post = await adminApi(request, tenant);
  const contact = await newContact(post, 'Rik');
  await signIn(page, tenant);
  await expect(page.getByRole('heading', { level: 1, name: 'Contacts' })).toBeVisible();
  await openFiles(page, contact.id);

  // The limits are the server's (100 MiB, 10 GiB): the answers are stood in for, the messages are the app's.
  const refusals = [
    { status: 413, code: 'file_too_large', message: 'big.pdf was not uploaded: the file is larger than this server accepts' },
    { status: 409, code: 'quota_exceeded', message: "full.pdf was not uploaded: your organization's storage for files is full" },
  ];
  for (const [index, refusal] of refusals.entries()) {
    await page.route('**/api/v1/files', (route) =>
      route.request().method() === 'POST'
        ? route.fulfill({
            status: refusal.status,
            contentType: 'application/problem+json',
            body: JSON.stringify({ status: refusal.status, code: refusal.code, title: 'refused', detail: 'refused' }),
          })
        : route.fallback(),
    );
    const name = index === 0 ? 'big.pdf' : 'full.pdf';
    await page.getByLabel('Files to upload').setInputFiles({ name, mimeType: 'application/pdf', buffer: pdfSaying(name) });
    await expect(page.getByRole('alert').filter({ hasText: refusal.message })).toBeVisible();
    await page.unroute('**/api/v1/files');
  }

  // An upload that does not get through can be cancelled: it leaves no error and no file.
  let held: (() => void) | undefined;
  await page.route('**/api/v1/files', async (route) => {
    if (route.request().method() !== 'POST') return route.fallback();
    await new Promise<void>((resolve) => (held = resolve));
    await route.abort().catch(() => {});
  });
  await page.getByLabel('Files to upload').setInputFiles({ name: 'slow.pdf', mimeType: 'application/pdf', buffer: pdfSaying('slow') });
  await expect(page.getByRole('progressbar', { name: 'Uploading slow.pdf' })).toBeAttached();
  await page.getByRole('button', { name: 'Cancel the upload of slow.pdf' }).click();
  await expect(page.getByRole('progressbar', { name: 'Uploading slow.pdf' })).toHaveCount(0);
  held?.();
  await page.unroute('**/api/v1/files');
  await expect(page.getByRole('alert').filter({ hasText: 'slow.pdf' })).toHaveCount(0);
  await expect(page.getByText('No files yet.')).toBeVisible();
});

test('without the files permission there is no Files tab; view only changes nothing, edit gives new versions only; a restricted person’s files are the privacy officer’s', async ({
  page,
  request,
  tenant,
}) => {
  const post = await adminApi(request, tenant);
  const suffix = unique();
  const all = { view: true, create: true, edit: true, delete: true, export: false };
  const noFiles = await post<{ id: string }>('/profiles', { name: `No files ${suffix}`, permissions: { contacts: all } });
  const viewFiles = await post<{ id: string }>('/profiles', {
    name: `View files ${suffix}`,
    permissions: { contacts: all, files: { view: true } },
  });
  const editFiles = await post<{ id: string }>('/profiles', {
    name: `Edit files ${suffix}`,
    permissions: { contacts: all, files: { view: true, edit: true } },
  });
  const user = (stem: string) => ({
    slug: tenant.slug,
    email: `${stem}.${suffix}@example.test`,
    password: `e2e ${stem} ${suffix} passphrase`,
  });
  const blind = user('blind');
  const viewer = user('viewer');
  await post('/users', { email: blind.email, name: `Bo ${suffix}`, password: blind.password, profileId: noFiles.id });
  await post('/users', { email: viewer.email, name: `Vi ${suffix}`, password: viewer.password, profileId: viewFiles.id });
  const editor = user('editor');
  await post('/users', { email: editor.email, name: `Ed ${suffix}`, password: editor.password, profileId: editFiles.id });

  const contact = await newContact(post, 'Ida');
  const scan = pdfSaying('ID');
  const headers = await bearer(request, tenant);
  const upload = await request.post('/api/v1/files', {
    headers,
    multipart: { contactId: contact.id, file: { name: 'id-scan.pdf', mimeType: 'application/pdf', buffer: scan } },
  });
  expect(upload.status(), await upload.text()).toBe(201);

  await signIn(page, blind);
  await expect(page.getByRole('heading', { level: 1, name: 'Contacts' })).toBeVisible();
  await page.goto(`/contacts/${contact.id}`);
  await expect(page.getByRole('heading', { level: 1, name: contact.name })).toBeVisible();
  await expect(page.getByRole('tab', { name: 'Who accessed this person' })).toBeVisible();
  await expect(page.getByRole('tab', { name: 'Files' })).toHaveCount(0);

  await page.context().clearCookies();
  await signIn(page, viewer);
  await expect(page.getByRole('heading', { level: 1, name: 'Contacts' })).toBeVisible();
  await openFiles(page, contact.id);
  await expect(row(page, 'id-scan.pdf')).toHaveCount(1);
  await expect(page.getByRole('button', { name: 'Choose files' })).toHaveCount(0);
  await page.getByRole('button', { name: 'Actions for id-scan.pdf' }).click();
  await expect(page.getByRole('menuitem', { name: 'Version history' })).toBeVisible();
  await expect(page.getByRole('menuitem', { name: 'Upload new version' })).toHaveCount(0);
  await expect(page.getByRole('menuitem', { name: 'Delete' })).toHaveCount(0);
  await page.keyboard.press('Escape');

  // files.edit without create or delete: a new version of a file, not a new file, and nothing deleted.
  await page.context().clearCookies();
  await signIn(page, editor);
  await expect(page.getByRole('heading', { level: 1, name: 'Contacts' })).toBeVisible();
  await openFiles(page, contact.id);
  await expect(page.getByRole('button', { name: 'Choose files' })).toHaveCount(0);
  await page.getByRole('button', { name: 'Actions for id-scan.pdf' }).click();
  await expect(page.getByRole('menuitem', { name: 'Upload new version' })).toBeVisible();
  await expect(page.getByRole('menuitem', { name: 'Delete' })).toHaveCount(0);
  await page.keyboard.press('Escape');

  // Restricted: staff cannot open the file any more; the refusal is a message, not a saved error page.
  await post(`/contacts/${contact.id}/restriction`, { reason: 'Contests the accuracy of the scan' });
  await page.reload();
  await expect(page.getByText('Processing of this person is restricted: their files cannot be changed')).toBeVisible();
  let saved = false;
  page.on('download', () => (saved = true));
  await page.getByRole('button', { name: 'Download: id-scan.pdf' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'processing of this person is restricted' })).toBeVisible();
  expect(saved).toBe(false);

  await page.context().clearCookies();
  await signIn(page, tenant);
  await expect(page.getByRole('heading', { level: 1, name: 'Contacts' })).toBeVisible();
  await openFiles(page, contact.id);
  await expect(page.getByText('Processing of this person is restricted: their files cannot be changed')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Choose files' })).toHaveCount(0);
  await page.getByRole('button', { name: 'Actions for id-scan.pdf' }).click();
  await expect(page.getByRole('menuitem', { name: 'Upload new version' })).toHaveCount(0);
  await expect(page.getByRole('menuitem', { name: 'Delete' })).toHaveCount(0);
  // An administrator holds the privacy module: as the privacy officer they may still open the file.
  await expect(page.getByRole('menuitem', { name: 'Preview' })).toBeVisible();
  await page.keyboard.press('Escape');
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Download: id-scan.pdf' }).click();
  expect((await bytesOf(await download)).equals(scan)).toBe(true);
  await page.mouse.move(0, 0); // a hovered light button is darker than at rest
  await expectNoSeriousA11yViolations(page);
});

test('the files panel in Dutch, and screenshots in English and Dutch', async ({ request, tenant, browser, baseURL }) => {
  const post = await adminApi(request, tenant);
  const suffix = unique();
  const contact = await newContact(post, 'Noor');
  const headers = await bearer(request, tenant);
  for (const [name, buffer] of [
    ['offerte.pdf', pdfSaying('Offerte')],
    ['handtekening.png', PNG],
  ] as const) {
    const upload = await request.post('/api/v1/files', {
      headers,
      multipart: { contactId: contact.id, file: { name, mimeType: 'application/octet-stream', buffer } },
    });
    expect(upload.status(), await upload.text()).toBe(201);
  }
  const dutch = { slug: tenant.slug, email: `files.nl.${suffix}@example.test`, password: `e2e files ${suffix} passphrase` };
  await post('/users', { email: dutch.email, name: 'Fenna de Vries', password: dutch.password, isAdmin: true, language: 'nl' });

  for (const [language, who] of [
    ['en', tenant],
    ['nl', dutch],
  ] as const) {
    const context = await browser.newContext({ baseURL: baseURL!, viewport: { width: 1280, height: 800 }, locale: 'en-GB' });
    const page = await context.newPage();
    await signIn(page, who);
    await expect(page.getByRole('heading', { level: 1, name: language === 'en' ? 'Contacts' : 'Contactpersonen' })).toBeVisible();
    await openFiles(page, contact.id, language === 'en' ? 'Files' : 'Bestanden');
    const offerte = row(page, 'offerte.pdf');
    await expect(offerte).toBeVisible();
    if (language === 'nl') {
      await expect(page.locator('html')).toHaveAttribute('lang', 'nl');
      for (const header of ['Naam', 'Grootte', 'Type', 'Versie', 'Gewijzigd'])
        await expect(page.getByRole('columnheader', { name: header, exact: true })).toBeVisible();
      await expect(page.getByText('Sleep bestanden hierheen om ze te uploaden')).toBeVisible();
      await expect(page.getByRole('button', { name: 'Bestanden kiezen' })).toBeVisible();
      await expect(row(page, 'handtekening.png')).toContainText('PNG-afbeelding');
      await expectNoSeriousA11yViolations(page);
      // By keyboard: the menu opens on Enter with focus on its first item, arrows move, Enter chooses.
      await page.getByRole('button', { name: 'Acties voor offerte.pdf' }).focus();
      await page.keyboard.press('Enter');
      await expect(page.getByRole('menuitem', { name: 'Voorbeeld' })).toBeFocused();
      await page.keyboard.press('ArrowDown');
      await expect(page.getByRole('menuitem', { name: 'Versiegeschiedenis' })).toBeFocused();
      await page.keyboard.press('Enter');
      const history = page.getByRole('dialog', { name: 'Versies van offerte.pdf' });
      await expect(history.getByRole('columnheader', { name: 'Geüpload door' })).toBeVisible();
      await expect(history.getByText('Huidig')).toBeVisible();
      await expect(history.getByRole('button', { name: 'Versie 1 downloaden' })).toBeVisible();
      await history.getByRole('button', { name: 'Sluiten' }).click();
    }
    // The panel at the top of the window, so the list is in the picture rather than the contact's details.
    await page
      .getByRole('region', { name: language === 'en' ? 'Files' : 'Bestanden' })
      .evaluate((panel) => panel.scrollIntoView({ block: 'start' }));
    await page.screenshot({ path: `docs/screenshots/files-${language}.png` });
    await context.close();
  }
});

test('a lead’s files on a phone: the page does not scroll sideways, upload and the list pass axe @phone', async ({
  page,
  request,
  tenant,
}) => {
  const post = await adminApi(request, tenant);
  const lead = await post<{ id: string }>('/leads', { firstName: 'Lot', lastName: `Files${unique()}`, emails: [] });
  await signIn(page, tenant);
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
  await page.goto(`/leads/${lead.id}?tab=files`);
  const panel = page.getByRole('region', { name: 'Files' });
  await expect(panel.getByText('No files yet.')).toBeVisible();
  await panel.getByLabel('Files to upload').setInputFiles({ name: 'cv.pdf', mimeType: 'application/pdf', buffer: pdfSaying('CV') });
  await expect(page.getByText('cv.pdf uploaded')).toBeVisible();
  await expect(panel.getByRole('cell', { name: 'cv.pdf', exact: true })).toBeVisible();
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
  await expectNoSeriousA11yViolations(page);
});
