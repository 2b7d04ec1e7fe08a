import { Readable } from 'node:stream';
import { stringify } from 'csv-stringify';
import type { Kysely } from 'kysely';
import { requirePermission } from '../../access/access.service.js';
import type { Database } from '../../db/schema.js';
import type { Authenticated } from '../../shared/actor.js';
import type { Keyring } from '../../keys/keyring.js';
import { safeCell } from './contact-csv.js';
import { listContacts, type Contact, type ContactListParams } from '../people/contacts.service.js';
import { fieldsOf } from '../custom-fields/custom-fields.service.js';
import { organizationNames } from '../organizations/organizations.service.js';

/**
 * CSV export of contacts, streamed a page at a time: memory stays flat
 * however many there are. The header uses the import's own names, so an
 * export imports back; cells that a spreadsheet would run as formulas are
 * defused.
 */

const EXPORT_PAGE = 200;

const BASE_COLUMNS = [
  'id',
  'firstName',
  'lastName',
  'email',
  'email2',
  'email3',
  'phone',
  'phone2',
  'organization',
  'jobTitle',
  'street',
  'postalCode',
  'city',
  'region',
  'country',
  'birthday',
  'language',
  'tags',
  'lawfulBasis',
  'ownerId',
  'createdAt',
  'updatedAt',
];

/** The CSV columns that carry each field a profile can hide. */
const COLUMNS_OF: Record<string, string[]> = {
  firstName: ['firstName'],
  lastName: ['lastName'],
  emails: ['email', 'email2', 'email3'],
  phones: ['phone', 'phone2'],
  organizationId: ['organization'],
  jobTitle: ['jobTitle'],
  address: ['street', 'postalCode', 'city', 'region', 'country'],
  birthday: ['birthday'],
  language: ['language'],
  tags: ['tags'],
  lawfulBasis: ['lawfulBasis'],
};

function cells(contact: Contact, organization: string | null, customKeys: string[]): string[] {
  const v = (value: string | number | boolean | string[] | null | undefined) =>
    value === null || value === undefined ? '' : Array.isArray(value) ? value.join('; ') : String(value);
  return [
    contact.id,
    v(contact.firstName),
    v(contact.lastName),
    v(contact.emails?.[0]?.value),
    v(contact.emails?.[1]?.value),
    v(contact.emails?.slice(2).map((e) => e.value)),
    v(contact.phones?.[0]?.value),
    v(contact.phones?.slice(1).map((p) => p.value)),
    v(organization),
    v(contact.jobTitle),
    v(contact.address?.street),
    v(contact.address?.postalCode),
    v(contact.address?.city),
    v(contact.address?.region),
    v(contact.address?.country),
    v(contact.birthday),
    v(contact.language),
    v(contact.tags),
    v(contact.lawfulBasis),
    contact.ownerId,
    contact.createdAt.toISOString(),
    contact.updatedAt.toISOString(),
    ...customKeys.map((k) => v(contact.custom[k])),
  ].map(safeCell);
}

/** The contacts matching the filters, as a CSV stream (UTF-8 with a BOM, so spreadsheets read accents right). */
export async function exportContacts(
  db: Kysely<Database>,
  keyring: Keyring,
  actor: Authenticated,
  filters: Omit<ContactListParams, 'limit' | 'cursor'>,
): Promise<Readable> {
  const access = await requirePermission(db, actor, 'contacts', 'export');
  const customKeys = (await fieldsOf(db, actor.tenantId, 'contacts')).map((f) => f.key);
  // Columns of fields the actor's profile hides are left out altogether.
  const hidden = new Set(
    Object.entries(COLUMNS_OF).flatMap(([field, columns]) => (access.field('contacts', field) === 'hidden' ? columns : [])),
  );
  const keep = [...BASE_COLUMNS, ...customKeys.map((k) => `custom.${k}`)].map((c) => !hidden.has(c));
  const visible = <T>(row: T[]) => row.filter((_v, i) => keep[i]);
  async function* rows() {
    yield visible([...BASE_COLUMNS, ...customKeys.map((k) => `custom.${k}`)]);
    let cursor: string | undefined;
    do {
      const page = await listContacts(db, keyring, actor, {
        ...filters,
        limit: EXPORT_PAGE,
        auditAs: 'export',
        ...(cursor ? { cursor } : {}),
      });
      const names = await organizationNames(
        db,
        actor,
        page.items.map((c) => c.organizationId).filter((id): id is string => id !== null),
      );
      for (const contact of page.items)
        yield visible(cells(contact, contact.organizationId ? (names.get(contact.organizationId) ?? null) : null, customKeys));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
  }
  // A lone LF or CR inside a value must be quoted too, not only the CRLF that ends records.
  const csv = stringify({ bom: true, record_delimiter: '\r\n', quoted_match: /[\r\n]/ });
  const source = Readable.from(rows());
  source.on('error', (error) => csv.destroy(error));
  return source.pipe(csv);
}
