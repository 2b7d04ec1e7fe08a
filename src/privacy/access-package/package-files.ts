import { stringify } from 'csv-stringify/sync';
import { ZipFile } from 'yazl';
import { Readable } from 'node:stream';
import type { AccessPackage } from './access-package.service.js';
import { summaryHtml } from './summary.js';

// The files of the access package and the zip that carries them. The zip is
// written as the response is read (yazl streams its output); every file is
// made from the compiled package one at a time, and nothing touches the disk.

/** A cell a spreadsheet would run as a formula is prefixed with ', as contact exports do. */
function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = value instanceof Date ? value.toISOString() : typeof value === 'object' ? JSON.stringify(value) : String(value);
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}

/** A CSV file, a line at a time (UTF-8 with a BOM, so that spreadsheet programs read it as such). */
function* csv(columns: string[], rows: readonly object[]): Generator<string> {
  yield `\uFEFF${stringify([columns], { record_delimiter: '\r\n' })}`;
  for (const row of rows) yield stringify([columns.map((c) => cell((row as Record<string, unknown>)[c]))], { record_delimiter: '\r\n' });
}

const PERSON_COLUMNS = [
  'id',
  'firstName',
  'lastName',
  'emails',
  'phones',
  'jobTitle',
  'address',
  'birthday',
  'language',
  'custom',
  'lawfulBasis',
  'restricted',
  'createdAt',
  'updatedAt',
  'deletedAt',
];

const labelled = (list: Array<{ value: string; label: string | null }>) =>
  list.map((v) => (v.label ? `${v.value} (${v.label})` : v.value)).join('; ');

/** The CSV files, one per record type, in the order the zip lists them. */
export function csvFiles(pkg: AccessPackage): Array<{ name: string; content: Iterable<string> }> {
  const people = (list: AccessPackage['contacts']) => list.map((p) => ({ ...p, emails: labelled(p.emails), phones: labelled(p.phones) }));
  return [
    { name: 'contacts.csv', content: csv([...PERSON_COLUMNS, 'organizationId'], people(pkg.contacts)) },
    { name: 'leads.csv', content: csv([...PERSON_COLUMNS, 'company', 'source', 'status'], people(pkg.leads)) },
    { name: 'organizations.csv', content: csv(['id', 'name', 'domain', 'website'], pkg.organizations) },
    {
      name: 'deals.csv',
      content: csv(
        ['id', 'title', 'amount', 'currency', 'stage', 'status', 'expectedCloseDate', 'closedAt', 'organizationId', 'createdAt'],
        pkg.deals,
      ),
    },
    {
      name: 'activities.csv',
      content: csv(
        ['id', 'type', 'subject', 'description', 'dueAt', 'startAt', 'endAt', 'done', 'contactId', 'leadId', 'createdAt'],
        pkg.activities,
      ),
    },
    { name: 'notes.csv', content: csv(['id', 'body', 'contactId', 'leadId', 'createdAt', 'updatedAt'], pkg.notes) },
    {
      name: 'email-messages.csv',
      content: csv(
        ['id', 'direction', 'from', 'to', 'subject', 'body', 'sentAt', 'contactId'],
        pkg.emailMessages.map((m) => ({ ...m, to: m.to.join('; ') })),
      ),
    },
    {
      name: 'consents.csv',
      content: csv(
        ['at', 'purposeId', 'purposeName', 'action', 'source', 'noticeHash', 'ip', 'userAgent', 'recordedBy', 'id'],
        pkg.consents.events,
      ),
    },
    {
      name: 'purposes.csv',
      content: csv(
        ['id', 'name', 'description', 'lawfulBasis', 'dataCategories', 'recipients', 'transfers', 'retentionDays', 'appliesBecause'],
        pkg.purposes.map((p) => ({
          ...p,
          dataCategories: p.dataCategories.join('; '),
          recipients: p.recipients.join('; '),
          transfers: p.transfers.map((t) => `${t.country}: ${t.safeguard}`).join('; '),
        })),
      ),
    },
    {
      name: 'access-log.csv',
      content: csv(
        ['at', 'action', 'actorKind', 'actorUserId', 'actorLabel', 'entity', 'entityId', 'fields'],
        pkg.accessLog.map((e) => ({ ...e, fields: e.fields.join('; ') })),
      ),
    },
  ];
}

const FILES_README = {
  en:
    'Each folder here holds one file kept about you, in its current version (folder name: the file id). ' +
    'files.csv lists every version of each file: when it was stored, its size and its SHA-256 checksum.\n',
  nl:
    'Elke map hier bevat een bestand dat over je bewaard wordt, in de huidige versie (mapnaam: het id van het bestand). ' +
    'files.csv noemt elke versie van elk bestand: wanneer die is opgeslagen, de grootte en de SHA-256-controlesom.\n',
};

/** Opens a packaged file's current content, as it is added to the zip. */
export type PackagedFileOpener = (file: AccessPackage['files'][number]) => Promise<Readable>;

/**
 * The zip, as a stream that is written while it is read: each file is made
 * only when the zip reaches it (its CSV a row at a time), so no more than one
 * file's text exists at once besides the compiled package.
 */
export function packageZip(pkg: AccessPackage, openFile?: PackagedFileOpener): Readable {
  const zip = new ZipFile();
  const options = { mtime: pkg.generatedAt, mode: 0o100644 };
  const add = (name: string, content: () => Iterable<string>) =>
    zip.addReadStreamLazy(name, options, (done) => done(null, Readable.from(content(), { objectMode: false })));
  add('summary.html', () => [summaryHtml(pkg)]);
  add('data.json', () => [`${JSON.stringify(pkg, null, 2)}\n`]);
  for (const file of csvFiles(pkg)) add(file.name, () => file.content);
  add('files/README.txt', () => [FILES_README[pkg.language]]);
  add('files/files.csv', () =>
    csv(
      ['fileId', 'name', 'version', 'current', 'contentType', 'size', 'checksum', 'createdAt', 'expired', 'path'],
      pkg.files.flatMap((f) =>
        f.versions.map((v) => ({
          fileId: f.id,
          name: f.name,
          ...v,
          current: v.version === f.currentVersion,
          path: v.version === f.currentVersion ? f.path : '',
        })),
      ),
    ),
  );
  // The content, decrypted as the zip reads it (one file at a time, never whole in memory).
  if (openFile)
    for (const file of pkg.files)
      zip.addReadStreamLazy(file.path, options, (done) => {
        openFile(file).then(
          (stream) => done(null, stream),
          (error: unknown) => done(error as Error, undefined as unknown as Readable),
        );
      });
  zip.end();
  return zip.outputStream as Readable;
}

/** The zip's file name: the case reference, never the person's name. */
export function packageFileName(pkg: AccessPackage): string {
  return `access-package-${pkg.request.reference}.zip`;
}
