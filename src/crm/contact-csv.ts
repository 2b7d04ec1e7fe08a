import { CrmError } from './crm.errors.js';
import type { Address, PersonInput } from './people.js';

/**
 * The CSV shape of a contact: which header names mean which field (ours, and
 * the ones Google Contacts and Outlook export), and how one row becomes a
 * contact's input. Pure functions; the streaming lives in imports.service.
 */

export type CsvField =
  | 'firstName'
  | 'lastName'
  | 'name'
  | 'email'
  | 'phone'
  | 'organization'
  | 'jobTitle'
  | 'street'
  | 'postalCode'
  | 'city'
  | 'region'
  | 'country'
  | 'birthday'
  | 'language'
  | 'tags';

/** Header names folded: lower case, letters and digits only ("E-mail Address" → "emailaddress"). */
function fold(header: string): string {
  return header.toLowerCase().normalize('NFKD').replace(/[^a-z0-9]/g, '');
}

const ALIASES: Record<CsvField, string[]> = {
  firstName: ['firstname', 'givenname', 'first', 'voornaam', 'forename'],
  lastName: ['lastname', 'surname', 'familyname', 'last', 'achternaam'],
  name: ['name', 'fullname', 'displayname', 'naam', 'contactname'],
  email: [
    'email',
    'emailaddress',
    'mail',
    'primaryemail',
    'email1',
    'email1value',
    'email2',
    'email2value',
    'email2address',
    'email3',
    'email3value',
    'email3address',
    'otheremail',
    'emails',
    'workemail',
    'homeemail',
  ],
  phone: [
    'phone',
    'phonenumber',
    'telephone',
    'tel',
    'mobile',
    'mobilephone',
    'cellphone',
    'businessphone',
    'homephone',
    'primaryphone',
    'phone1value',
    'phone2',
    'phone2value',
    'phone3value',
    'telefoon',
    'phones',
    'workphone',
  ],
  organization: ['organization', 'organisation', 'company', 'companyname', 'organization1name', 'account', 'accountname', 'bedrijf', 'employer'],
  jobTitle: ['jobtitle', 'title', 'organization1title', 'position', 'role', 'functie'],
  street: ['street', 'address', 'streetaddress', 'businessstreet', 'homestreet', 'address1street', 'adres'],
  postalCode: ['postalcode', 'zip', 'zipcode', 'postcode', 'businesspostalcode', 'homepostalcode', 'address1postalcode'],
  city: ['city', 'town', 'businesscity', 'homecity', 'address1city', 'plaats', 'woonplaats'],
  region: ['region', 'state', 'province', 'businessstate', 'homestate', 'address1region'],
  country: ['country', 'businesscountry', 'businesscountryregion', 'homecountry', 'homecountryregion', 'address1country', 'land'],
  birthday: ['birthday', 'birthdate', 'dateofbirth', 'dob', 'geboortedatum'],
  language: ['language', 'locale', 'taal'],
  tags: ['tags', 'labels', 'categories', 'grouplabels', 'groupmembership'],
};

const BY_ALIAS = new Map<string, CsvField>(Object.entries(ALIASES).flatMap(([field, names]) => names.map((n) => [n, field as CsvField])));

export interface HeaderMapping {
  /** Column index → field (several columns may feed one list field, e.g. e-mails). */
  columns: Array<CsvField | null>;
  /** Header names that mean nothing here; reported, never guessed at. */
  ignored: string[];
}

export function mapHeader(header: string[]): HeaderMapping {
  const columns = header.map((h) => BY_ALIAS.get(fold(h)) ?? null);
  const ignored = header.filter((_h, i) => columns[i] === null).map((h) => h.slice(0, 100));
  const has = (f: CsvField) => columns.includes(f);
  if (!has('firstName') && !has('lastName') && !has('name') && !has('email')) {
    throw new CrmError('invalid_csv', 'the first line must be a header naming contact fields, e.g. firstName,lastName,email,phone,organization');
  }
  // Single-valued fields: a second column of the same meaning would silently win or lose.
  for (const field of ['firstName', 'lastName', 'name', 'organization', 'jobTitle', 'birthday', 'language'] as CsvField[]) {
    if (columns.filter((c) => c === field).length > 1) throw new CrmError('invalid_csv', `the header names ${field} more than once`);
  }
  return { columns, ignored };
}

export interface CsvContact {
  input: PersonInput & { tags?: string[] };
  organization: string | null;
}

/** One data row as a contact's input; throws CrmError with a message naming no personal value. */
export function rowToContact(mapping: HeaderMapping, row: string[]): CsvContact {
  if (row.length > mapping.columns.length) throw new CrmError('invalid_field', `has ${row.length} fields where the header has ${mapping.columns.length}`);
  const emails: string[] = [];
  const phones: string[] = [];
  const one: Partial<Record<CsvField, string>> = {};
  const address: Partial<Address> = {};
  row.forEach((raw, i) => {
    const field = mapping.columns[i];
    // A leading ' is how exports keep a cell like +31… or =… from running as a formula.
    const value = raw.trim().replace(/^'(?=[=+\-@])/, '');
    if (!field || !value) return;
    if (field === 'email') emails.push(...value.split(/\s*[;,]\s*|\s+:::\s+/).filter(Boolean));
    else if (field === 'phone') phones.push(...value.split(/\s*;\s*|\s+:::\s+/).filter(Boolean));
    else if (field === 'street' || field === 'postalCode' || field === 'city' || field === 'region' || field === 'country') {
      address[field] = address[field] ? `${address[field]} ${value}` : value;
    } else one[field] = value;
  });
  let firstName = one.firstName ?? '';
  let lastName = one.lastName ?? '';
  if (!firstName && !lastName && one.name) {
    const cut = one.name.lastIndexOf(' ');
    firstName = cut > 0 ? one.name.slice(0, cut) : one.name;
    lastName = cut > 0 ? one.name.slice(cut + 1) : '';
  }
  if (!firstName && !lastName) throw new CrmError('invalid_field', 'has no name');
  const input: CsvContact['input'] = {
    firstName,
    lastName,
    emails: [...new Map(emails.map((e) => [e.toLowerCase(), e])).values()],
    phones: [...new Set(phones)],
  };
  if (one.jobTitle) input.jobTitle = one.jobTitle;
  if (Object.keys(address).length > 0) input.address = address;
  if (one.birthday) input.birthday = one.birthday;
  if (one.language) input.language = one.language;
  if (one.tags) input.tags = one.tags.split(/\s*[;,]\s*|\s+:::\s+/).map((t) => t.replace(/^\*\s*/, '')).filter(Boolean);
  return { input, organization: one.organization ?? null };
}

/**
 * The separator of a CSV file from its header line: `;` (as Excel writes in
 * much of Europe) or `,`, counting only outside quotes.
 */
export function detectDelimiter(headerLine: string): ',' | ';' | '\t' {
  const counts = { ',': 0, ';': 0, '\t': 0 };
  let quoted = false;
  for (const ch of headerLine) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && (ch === ',' || ch === ';' || ch === '\t')) counts[ch]++;
  }
  if (counts[';'] > counts[','] && counts[';'] >= counts['\t']) return ';';
  if (counts['\t'] > counts[','] && counts['\t'] > counts[';']) return '\t';
  return ',';
}

/** A cell that a spreadsheet would run as a formula is prefixed so it stays text (CSV injection). */
export function safeCell(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}
