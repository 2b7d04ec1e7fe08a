import { CrmError } from '../common/crm.errors.js';
import { withoutInvalidFields, type Address, type PersonInput } from '../people/people.js';
import { tagNames } from '../tags/tags.service.js';

/**
 * The CSV shape of a contact: which header names mean which field (ours, and
 * the ones Google Contacts, Outlook classic and new, Apple, HubSpot,
 * Salesforce, LinkedIn and Dutch or German spreadsheets write), and how one
 * row becomes a contact's input. Pure functions; the streaming lives in
 * imports.service.
 *
 * The most specific column wins: `Job Title` is the job title and Outlook's
 * `Title` (an honorific) is then ignored, while Salesforce's `Title`, alone,
 * is the job title. E-mail and phone columns all count, each with its label
 * (`Business Phone` → work, `Mobile Phone` → mobile, Google's `Phone 1 - Label`).
 * Addresses come in groups (business, home, other…): a row takes the first
 * group it fills. Columns that mean nothing here are listed, never refused.
 */

/** The fields a column (or an explicit mapping) can name. */
export const IMPORT_FIELDS = [
  'firstName',
  'middleName',
  'lastNamePrefix',
  'lastName',
  'name',
  'email',
  'phone',
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
  'note',
  'ignore',
] as const;

export type SingleField =
  | 'firstName'
  | 'middleName'
  | 'lastNamePrefix'
  | 'lastName'
  | 'name'
  | 'organization'
  | 'jobTitle'
  | 'birthday'
  | 'language'
  | 'tags'
  | 'note';
type AddressPart = 'street' | 'street2' | 'street3' | 'postalCode' | 'city' | 'region' | 'country';

export type ColumnSpec =
  | { kind: 'single'; field: SingleField; rank: number }
  | { kind: 'email' | 'phone'; label: string | null; pair?: string }
  | { kind: 'label'; of: string }
  | { kind: 'address'; group: string; order: number; part: AddressPart };

/** Header names folded: lower case, letters and digits only ("E-mail 2 Address" → "email2address", "Straße" → "strasse"). */
export function fold(header: string): string {
  return header
    .toLowerCase()
    .replace(/ß/g, 'ss')
    .normalize('NFKD')
    .replace(/[^a-z0-9]/g, '');
}

// Single-valued fields, most specific name first: a column of a better rank makes the others of that field unused.
const SINGLE: Record<SingleField, string[]> = {
  firstName: ['firstname', 'givenname', 'voornaam', 'vorname', 'prenom', 'forename', 'first'],
  middleName: ['middlename', 'additionalname', 'secondname', 'middelstenaam', 'weiterevornamen'],
  lastNamePrefix: ['tussenvoegsel', 'tussenvoegsels', 'voorvoegsel'],
  lastName: ['lastname', 'familyname', 'surname', 'achternaam', 'nachname', 'nom', 'last'],
  name: ['name', 'fullname', 'displayname', 'naam', 'volledigenaam', 'contactname'],
  organization: [
    'company',
    'companyname',
    'organization',
    'organisation',
    'organizationname',
    'organization1name',
    'bedrijf',
    'bedrijfsnaam',
    'firma',
    'unternehmen',
    'employer',
    'accountname',
    'associatedcompany',
  ],
  jobTitle: ['jobtitle', 'organizationtitle', 'organization1title', 'functie', 'functietitel', 'position', 'occupation', 'title', 'role'],
  birthday: ['birthday', 'birthdate', 'dateofbirth', 'dob', 'geboortedatum', 'verjaardag', 'geburtstag', 'geburtsdatum'],
  language: ['language', 'preferredlanguage', 'locale', 'taal', 'sprache'],
  tags: ['tags', 'labels', 'categories', 'grouplabels', 'groupmembership', 'groups', 'categorieen', 'categorien', 'kategorien'],
  note: ['notes', 'note', 'description', 'comments', 'comment', 'opmerkingen', 'opmerking', 'notities', 'notizen', 'bemerkungen'],
};

/**
 * Names too general to stand beside a more specific one: Outlook's `Title` is
 * an honorific next to its `Job Title`. Other lower-ranked columns stand in,
 * row by row, where the better one is empty (HubSpot's `Associated Company`).
 */
const GENERIC = new Set(['title', 'role', 'first', 'last']);

const EMAILS: Record<string, string | null> = {
  ...Object.fromEntries(
    [
      ...[
        'email',
        'emailaddress',
        'mail',
        'emails',
        'emailadres',
        'mailadres',
        'primaryemail',
        'email1',
        'email2',
        'email3',
        'email2address',
        'email3address',
        'emailadresse',
      ],
      // Outlook in Dutch ("E-mailadres 2") and German ("E-Mail 2: Adresse")
      ...['emailadres2', 'emailadres3', 'email2adresse', 'email3adresse'],
    ].map((n) => [n, null]),
  ),
  workemail: 'work',
  businessemail: 'work',
  homeemail: 'home',
  personalemail: 'home',
  privateemail: 'home',
  otheremail: 'other',
};

const PHONES: Record<string, string | null> = {
  ...Object.fromEntries(
    [
      'phone',
      'phonenumber',
      'telephone',
      'telephonenumber',
      'tel',
      'telefoon',
      'telefoonnummer',
      'telefon',
      'telefonnummer',
      'phones',
      'primaryphone',
      'phone1',
      'hoofdtelefoon',
      'haupttelefon',
    ].map((n) => [n, null]),
  ),
  ...Object.fromEntries(
    [
      'businessphone',
      'businessphone2',
      'workphone',
      'officephone',
      'telefoonopwerk',
      'telefoonopwerk2',
      'telefongeschaftlich',
      'telefongeschaftlich2',
    ].map((n) => [n, 'work']),
  ),
  ...Object.fromEntries(
    [
      'mobile',
      'mobilephone',
      'mobilephonenumber',
      'mobilenumber',
      'cellphone',
      'cell',
      'mobiel',
      'mobielnummer',
      'mobieletelefoon',
      'handy',
      'mobil',
      'mobiltelefon',
      'mobiltelefon2',
    ].map((n) => [n, 'mobile']),
  ),
  ...Object.fromEntries(
    ['homephone', 'homephone2', 'telefoonthuis', 'telefoonthuis2', 'telefonprivat', 'telefonprivat2'].map((n) => [n, 'home']),
  ),
  ...Object.fromEntries(
    [
      'fax',
      'faxnumber',
      'businessfax',
      'homefax',
      'otherfax',
      'faxopwerk',
      'faxthuis',
      'anderefax',
      'faxgeschaftlich',
      'faxprivat',
      'weiteresfax',
    ].map((n) => [n, 'fax']),
  ),
  ...Object.fromEntries(['otherphone', 'anderetelefoon', 'weiterestelefon'].map((n) => [n, 'other'])),
  ...Object.fromEntries(['companymainphone', 'hoofdtelefoonbedrijf', 'telefonfirma'].map((n) => [n, 'company'])),
  pager: 'pager',
  ...Object.fromEntries(['carphone', 'autotelefoon', 'autotelefon'].map((n) => [n, 'car'])),
  ...Object.fromEntries(['assistantsphone', 'assistantphone', 'telefoonassistent', 'telefonassistent'].map((n) => [n, 'assistant'])),
  ...Object.fromEntries(['callback', 'terugbellen', 'ruckmeldung'].map((n) => [n, 'callback'])),
  isdn: 'isdn',
  ...Object.fromEntries(['radiophone', 'radiotelefoon'].map((n) => [n, 'radio'])),
  ...Object.fromEntries(['ttytddphone', 'teksttelefoon', 'telefonfurhorbehinderte'].map((n) => [n, 'tty'])),
};

const ADDRESS_PARTS: Record<string, AddressPart> = {
  ...Object.fromEntries(
    ['street', 'streetaddress', 'address', 'adres', 'straat', 'strasse', 'street1', 'addressline1'].map((n) => [n, 'street' as const]),
  ),
  ...Object.fromEntries(
    ['street2', 'streetaddress2', 'addressline2', 'extendedaddress', 'straat2', 'strasse2'].map((n) => [n, 'street2' as const]),
  ),
  ...Object.fromEntries(['street3', 'streetaddress3', 'addressline3', 'straat3', 'strasse3'].map((n) => [n, 'street3' as const])),
  ...Object.fromEntries(['city', 'town', 'plaats', 'woonplaats', 'ort', 'stad', 'locality'].map((n) => [n, 'city' as const])),
  ...Object.fromEntries(
    ['state', 'region', 'stateregion', 'province', 'stateprovince', 'provincie', 'bundesland', 'bundeslandkanton', 'county'].map((n) => [
      n,
      'region' as const,
    ]),
  ),
  ...Object.fromEntries(
    ['postalcode', 'zip', 'zipcode', 'zippostalcode', 'postcode', 'plz', 'postleitzahl'].map((n) => [n, 'postalCode' as const]),
  ),
  ...Object.fromEntries(['country', 'countryregion', 'land', 'landregio', 'landregion'].map((n) => [n, 'country' as const])),
};

/**
 * Address groups in the order a row looks at them: a generic or work address before home, home
 * before other. Outlook in Dutch names the group first ("Werkadres, straat", "Ander adres, plaats")
 * or last ("Land/regio (werk)"), in German last ("Straße geschäftlich", "Ort privat") or first
 * ("Weitere Straße", "Weiteres/e Land/Region").
 */
const ADDRESS_GROUPS: Record<string, number> = {
  '': 0,
  business: 1,
  work: 1,
  mailing: 1,
  postal: 1,
  werkadres: 1,
  billing: 2,
  home: 5,
  private: 5,
  prive: 5,
  huisadres: 5,
  other: 9,
  anderadres: 9,
  weitere: 9,
  weiterer: 9,
  weiteres: 9,
  weiteresr: 9,
  weiterese: 9,
};
const ADDRESS_GROUP_SUFFIXES: Record<string, number> = { geschaftlich: 1, werk: 1, privat: 5, thuis: 5, anders: 9 };
/** One group whichever end of the header names it ("Werkadres, straat" and "Land/regio (werk)"). */
const SAME_GROUP: Record<string, string> = {
  werkadres: 'business',
  werk: 'business',
  geschaftlich: 'business',
  huisadres: 'home',
  thuis: 'home',
  privat: 'home',
  anderadres: 'other',
  anders: 'other',
};
const groupKey = (group: string) => SAME_GROUP[group] ?? (group.startsWith('weitere') ? 'other' : group);

const SINGLE_BY_NAME = new Map<string, { field: SingleField; rank: number }>(
  Object.entries(SINGLE).flatMap(([field, names]) => names.map((n, rank) => [n, { field: field as SingleField, rank }] as const)),
);

/** What one header name means, or null. */
export function classify(header: string): ColumnSpec | null {
  const name = fold(header);
  const single = SINGLE_BY_NAME.get(name);
  if (single) return { kind: 'single', ...single };
  if (name in EMAILS) return { kind: 'email', label: EMAILS[name]! };
  if (name in PHONES) return { kind: 'phone', label: PHONES[name]! };
  // Google: "E-mail 1 - Value" with "E-mail 1 - Label" (or "- Type"), the same for phones.
  const pair = /^(email|phone)(\d+)(value|label|type)$/.exec(name);
  if (pair) {
    const key = `${pair[1]}${pair[2]}`;
    return pair[3] === 'value' ? { kind: pair[1] as 'email' | 'phone', label: null, pair: key } : { kind: 'label', of: key };
  }
  // Google: "Address 1 - Street" …; its "Formatted", "PO Box" and "Label" columns repeat or qualify what the parts say.
  const google = /^(address\d+)(street|extendedaddress|city|region|postalcode|country)$/.exec(name);
  if (google) return { kind: 'address', group: google[1]!, order: 1 + Number(google[1]!.slice(7)), part: ADDRESS_PARTS[google[2]!]! };
  for (const [group, order] of Object.entries(ADDRESS_GROUPS)) {
    if (!name.startsWith(group)) continue;
    // "Werkadres 2, straat" is the second street line of the work address.
    const part = ADDRESS_PARTS[name.slice(group.length).replace(/^(\d)(\D+)$/, '$2$1')];
    if (part) return { kind: 'address', group: groupKey(group), order, part };
  }
  const suffixed = /^(.*?)(geschaftlich|werk|privat|thuis|anders)(\d?)$/.exec(name);
  const part = suffixed && ADDRESS_PARTS[suffixed[1]! + suffixed[3]!];
  if (part) return { kind: 'address', group: groupKey(suffixed[2]!), order: ADDRESS_GROUP_SUFFIXES[suffixed[2]!]!, part };
  return null;
}

export interface HeaderMapping {
  /** Column index → what it means (several columns may feed one list field, e.g. e-mails). */
  columns: Array<ColumnSpec | null>;
  /** Header names that are not used; reported, never guessed at. */
  ignored: string[];
}

/**
 * An explicit mapping as the query gives it: `Naam:lastName,Mail:email,Mobiel:phone.mobile,Extra:ignore`,
 * header names matched as folded (case, spaces and punctuation do not count).
 */
export function parseMapping(text: string | undefined): Map<string, ColumnSpec | null> | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const mapping = new Map<string, ColumnSpec | null>();
  for (const pair of text.split(',')) {
    const cut = pair.lastIndexOf(':');
    const column = fold(pair.slice(0, cut));
    const [field, label] = pair
      .slice(cut + 1)
      .trim()
      .split('.') as [string, string | undefined];
    if (cut < 0 || !column || !(IMPORT_FIELDS as readonly string[]).includes(field)) {
      throw new CrmError(
        'invalid_mapping',
        `mapping is a list of Column:field pairs; fields are ${IMPORT_FIELDS.join(', ')} (email and phone may take a label: phone.mobile)`,
      );
    }
    if (label !== undefined && field !== 'email' && field !== 'phone')
      throw new CrmError('invalid_mapping', 'only email and phone take a label (e.g. phone.mobile)');
    let spec: ColumnSpec | null;
    if (field === 'ignore') spec = null;
    else if (field === 'email' || field === 'phone') spec = { kind: field, label: label?.trim().slice(0, 50) || null };
    else if (field === 'street' || field === 'postalCode' || field === 'city' || field === 'region' || field === 'country')
      spec = { kind: 'address', group: 'mapped', order: -1, part: field };
    else spec = { kind: 'single', field: field as SingleField, rank: -1 };
    mapping.set(column, spec);
  }
  return mapping;
}

/** Whether a header line (as parsed) names any field a contact needs; preamble lines (LinkedIn's "Notes:") do not. */
export function looksLikeHeader(header: string[], explicit?: Map<string, ColumnSpec | null>): boolean {
  return header.some((h) => {
    if (explicit?.has(fold(h))) return true;
    const spec = classify(h);
    return (spec?.kind === 'single' && ['firstName', 'lastName', 'name'].includes(spec.field)) || spec?.kind === 'email';
  });
}

export function mapHeader(header: string[], explicit?: Map<string, ColumnSpec | null>): HeaderMapping {
  const folded = header.map(fold);
  const columns = header.map((h, i) => (explicit?.has(folded[i]!) ? explicit.get(folded[i]!)! : classify(h)));
  if (explicit) {
    const missing = [...explicit.keys()].filter((k) => !folded.includes(k)).length;
    if (missing > 0) throw new CrmError('invalid_mapping', `the mapping names ${missing} column(s) that the header does not have`);
  }
  // The most specific column of a single-valued field wins; the others are unused.
  const best = new Map<SingleField, number>();
  for (const c of columns) if (c?.kind === 'single') best.set(c.field, Math.min(best.get(c.field) ?? Infinity, c.rank));
  const pairs = new Set(columns.flatMap((c) => (c && (c.kind === 'email' || c.kind === 'phone') && c.pair ? [c.pair] : [])));
  const used = columns.map((c, i) => {
    if (c?.kind === 'single' && c.rank > best.get(c.field)! && GENERIC.has(folded[i]!)) return null;
    if (c?.kind === 'label' && !pairs.has(c.of)) return null;
    return c;
  });
  if (!used.some((c) => c?.kind === 'email' || (c?.kind === 'single' && ['firstName', 'lastName', 'name'].includes(c.field)))) {
    throw new CrmError(
      'invalid_csv',
      'the header must name the name or e-mail of a contact, e.g. firstName,lastName,email,phone,organization',
    );
  }
  const ignored = header.filter((h, i) => used[i] === null && h.trim() !== '').map((h) => h.slice(0, 100));
  return { columns: used, ignored: ignored.slice(0, 500) };
}

/** A contact read from a file: its input, the organization it names and a note to attach. */
export interface CsvContact {
  input: PersonInput & { tags?: string[] };
  organization: string | null;
  note: string | null;
  /** Values left out, each by its field. */
  warnings: ImportWarning[];
}

/** A label as exports write it ("* Work", "Mobile", "SMTP" is a transport, not a label). */
function labelOf(text: string | undefined): string | null {
  const label = (text ?? '')
    .replace(/^\*\s*/, '')
    .trim()
    .toLowerCase();
  return label && label !== 'smtp' && label !== 'ex' ? label.slice(0, 50) : null;
}

/** A cell with several values: Google joins them with " ::: ", others with ";" (and e-mails also with ","). */
function values(cell: string, kind: 'email' | 'phone' | 'tags'): string[] {
  // A phone's ";ext=123" (a tel: URI's extension) is part of that phone.
  const pattern = kind === 'phone' ? /\s*;(?!\s*ext=)\s*|\s+:::\s+/i : /\s*[;,]\s*|\s+:::\s+/;
  return cell.split(pattern).filter(Boolean);
}

/** One data row as a contact; throws CrmError with a message naming no personal value. */
export function rowToContact(mapping: HeaderMapping, row: string[]): CsvContact {
  if (row.length > mapping.columns.length && row.slice(mapping.columns.length).some((v) => v.trim() !== '')) {
    throw new CrmError('invalid_field', `has ${row.length} fields where the header has ${mapping.columns.length}`);
  }
  // A leading ' is how exports keep a cell like +31… or =… from running as a formula.
  const cells = row.map((raw) => raw.trim().replace(/^'(?=[=+\-@])/, ''));
  const pairLabels = new Map<string, string | null>();
  mapping.columns.forEach((c, i) => {
    if (c?.kind === 'label') pairLabels.set(c.of, labelOf(cells[i]));
  });
  const emails: Array<{ value: string; label: string | null }> = [];
  const phones: Array<{ value: string; label: string | null }> = [];
  const one: Partial<Record<SingleField, string>> = {};
  const rankOf: Partial<Record<SingleField, number>> = {};
  const groups = new Map<string, { order: number; parts: Partial<Record<AddressPart, string>> }>();
  mapping.columns.forEach((c, i) => {
    const value = cells[i];
    if (!c || !value) return;
    if (c.kind === 'email' || c.kind === 'phone') {
      const label = c.pair ? (pairLabels.get(c.pair) ?? null) : c.label;
      (c.kind === 'email' ? emails : phones).push(...values(value, c.kind).map((v) => ({ value: v, label })));
    } else if (c.kind === 'address') {
      const group = groups.get(c.group) ?? { order: c.order, parts: {} };
      group.parts[c.part] = group.parts[c.part] ? `${group.parts[c.part]} ${value}` : value;
      groups.set(c.group, group);
    } else if (c.kind === 'single' && c.rank < (rankOf[c.field] ?? Infinity)) {
      one[c.field] = value; // the most specific column this row fills
      rankOf[c.field] = c.rank;
    }
  });
  return contactFrom(one, emails, phones, [...groups.values()].sort((a, b) => a.order - b.order)[0]?.parts);
}

/** A value left out of an imported person, by field; the message names no value (it may be personal data). */
export interface ImportWarning {
  field: string;
  message: string;
}

const NUL = 'holds a NUL character';

/**
 * The contact from the fields of one row or one vCard, whatever their source.
 * Only what makes the person refuses the row: no name and no e-mail, a name
 * that cannot be stored, e-mail addresses none of which is valid (without one
 * a re-import could not know the person again and would add them twice).
 * Any other value that would not validate is left out and reported as a
 * warning: the person goes in without it.
 */
export function contactFrom(
  one: Partial<Record<SingleField, string>>,
  emails: Array<{ value: string; label: string | null }>,
  phones: Array<{ value: string; label: string | null }>,
  parts: Partial<Record<AddressPart, string>> | undefined,
): CsvContact {
  const warnings: ImportWarning[] = [];
  // PostgreSQL text cannot hold NUL (and the API refuses it): a name or e-mail with one refuses the row, any other value is left out.
  const nameTexts = [
    one.firstName,
    one.middleName,
    one.lastNamePrefix,
    one.lastName,
    one.name,
    ...emails.map((e) => e.value + (e.label ?? '')),
  ];
  if (nameTexts.some((value) => value?.includes('\u0000'))) throw new CrmError('invalid_field', NUL);
  for (const field of ['organization', 'jobTitle', 'birthday', 'language', 'tags', 'note'] as const) {
    if (one[field]?.includes('\u0000')) {
      warnings.push({ field: field === 'tags' ? 'tags' : field, message: NUL });
      delete one[field];
    }
  }
  const phonesWithout = phones.filter((p) => !(p.value + (p.label ?? '')).includes('\u0000'));
  if (phonesWithout.length < phones.length) warnings.push({ field: 'phones', message: NUL });
  for (const [part, value] of Object.entries(parts ?? {})) {
    if (value.includes('\u0000')) {
      warnings.push({ field: `address.${part.replace(/[23]$/, '')}`, message: NUL });
      delete parts![part as AddressPart];
    }
  }
  let firstName = [one.firstName, one.middleName].filter(Boolean).join(' ');
  let lastName = [one.lastNamePrefix, one.lastName].filter(Boolean).join(' ');
  if (!firstName && !lastName && one.name) {
    const cut = one.name.lastIndexOf(' ');
    firstName = cut > 0 ? one.name.slice(0, cut) : one.name;
    lastName = cut > 0 ? one.name.slice(cut + 1) : '';
  }
  const written: CsvContact['input'] = {
    firstName,
    lastName,
    emails: [...new Map(emails.map((e) => [e.value.toLowerCase(), e])).values()],
    phones: [...new Map(phonesWithout.map((p) => [p.value, p])).values()],
  };
  if (one.jobTitle) written.jobTitle = one.jobTitle;
  if (parts) {
    const street = [parts.street, parts.street2, parts.street3]
      .filter(Boolean)
      .join(', ')
      .replace(/\s*[\r\n]+\s*/g, ', ');
    const address: Partial<Address> = { ...(street ? { street } : {}) };
    for (const key of ['postalCode', 'city', 'region', 'country'] as const) if (parts[key]) address[key] = parts[key];
    if (Object.keys(address).length > 0) written.address = address;
  }
  const birthday = one.birthday ? isoDate(one.birthday) : null;
  if (birthday) written.birthday = birthday;
  if (one.language) {
    const tag = languageTag(one.language);
    if (tag) written.language = tag;
    else
      warnings.push({
        field: 'language',
        message: 'language is neither a language tag (nl, en-GB) nor a language name the import knows (Dutch, Nederlands …)',
      });
  }
  const { input, left } = withoutInvalidFields(written);
  // Several e-mails with one bad among them lose only that one; with none valid, the row is refused.
  const badEmail = left.find((w) => w.field === 'emails');
  if (badEmail && input.emails!.length === 0) throw new CrmError('invalid_field', badEmail.message);
  warnings.push(...left);
  if (!input.firstName && !input.lastName) {
    const email = input.emails![0];
    if (!email) throw new CrmError('invalid_field', 'has no name and no e-mail address');
    // Address books show such a person by their address; so does the contact list.
    input.lastName = typeof email === 'string' ? email : email.value;
    warnings.push({ field: 'name', message: 'has no name: the e-mail address stands in for it' });
  }
  if (one.tags) {
    // Google marks its own groups with "* "; "* myContacts" only says the person is in the address book.
    const tags = values(one.tags, 'tags')
      .filter((t) => !/^\*\s*mycontacts$/i.test(t))
      .map((t) => t.replace(/^\*\s*/, ''))
      .filter(Boolean);
    const kept: string[] = [];
    for (const tag of tags) {
      try {
        tagNames([...kept, tag]); // one that is too long, or one over the most a record carries
        kept.push(tag);
      } catch (error) {
        if (!(error instanceof CrmError)) throw error;
        warnings.push({ field: 'tags', message: error.message });
      }
    }
    input.tags = kept;
  }
  let organization = one.organization?.trim() || null;
  if (organization && organization.length > MAX_ORGANIZATION) {
    warnings.push({ field: 'organization', message: `organization must be at most ${MAX_ORGANIZATION} characters` });
    organization = null;
  }
  const distinct = [...new Map(warnings.map((w) => [`${w.field}:${w.message}`, w])).values()];
  return { input, organization, note: one.note?.replace(/\r\n?/g, '\n') ?? null, warnings: distinct };
}

const MAX_ORGANIZATION = 200;

// Language names in English, in the language itself and in the languages of the exports we read
// (Outlook's free-text Language column: "Dutch", "Nederlands", "Deutsch", "français"), from the
// platform's CLDR data rather than a list of our own.
const LANGUAGES = [
  'en',
  'nl',
  'de',
  'fr',
  'es',
  'it',
  'pt',
  'fy',
  'da',
  'sv',
  'nb',
  'no',
  'fi',
  'is',
  'pl',
  'cs',
  'sk',
  'hu',
  'ro',
  'bg',
  'el',
  'tr',
  'ru',
  'uk',
  'hr',
  'sr',
  'sl',
  'lt',
  'lv',
  'et',
  'ga',
  'cy',
  'lb',
  'ca',
  'eu',
  'gl',
  'ar',
  'he',
  'fa',
  'hi',
  'ur',
  'bn',
  'zh',
  'ja',
  'ko',
  'id',
  'ms',
  'th',
  'vi',
  'af',
];
const REGIONAL = [
  'en-US',
  'en-GB',
  'en-AU',
  'en-CA',
  'nl-NL',
  'nl-BE',
  'de-DE',
  'de-AT',
  'de-CH',
  'fr-FR',
  'fr-BE',
  'fr-CA',
  'fr-CH',
  'es-ES',
  'es-MX',
  'pt-PT',
  'pt-BR',
  'zh-CN',
  'zh-TW',
];
const NAMED_IN = ['en', 'nl', 'de', 'fr', 'es', 'it', 'pt'];
let languageNames: Map<string, string> | undefined;
/** A language name folded: case and accents do not count, letters of any script do ("Español" = "espanol", "中文"). */
const foldName = (name: string) =>
  name
    .normalize('NFKD')
    .replace(/\p{Mn}/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]/gu, '');

function namesOfLanguages(): Map<string, string> {
  if (languageNames) return languageNames;
  languageNames = new Map();
  for (const code of [...LANGUAGES, ...REGIONAL]) {
    for (const locale of [...NAMED_IN, code]) {
      for (const languageDisplay of ['dialect', 'standard'] as const) {
        const name = new Intl.DisplayNames([locale], { type: 'language', languageDisplay }).of(code);
        if (name && foldName(name) && !languageNames.has(foldName(name))) languageNames.set(foldName(name), code);
      }
    }
  }
  return languageNames;
}

/** A language tag from a tag ("nl", "en-us" → "en-US") or a language's name ("Nederlands", "English (United States)"); null when neither. */
export function languageTag(text: string): string | null {
  const named = namesOfLanguages().get(foldName(text));
  if (named) return named;
  if (!/^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$/.test(text.trim())) return null;
  try {
    return Intl.getCanonicalLocales(text.trim())[0] ?? null;
  } catch {
    return null;
  }
}

/**
 * A date as exports write it, as YYYY-MM-DD (or --MM-DD without a year): ISO
 * and vCard forms, Outlook's and Salesforce's M/D/YYYY (D/M when the first
 * number cannot be a month), Dutch and German D-M-YYYY and D.M.YYYY. Outlook
 * writes 0/0/00 for none (0-0-00 in Dutch, 0.0.00 in German). Anything else is
 * passed on for validation to refuse.
 */
export function isoDate(text: string): string | null {
  const value = text.trim();
  if (/^0{1,2}([-./])0{1,2}\1(00|0000)$/.test(value)) return null;
  const pad = (n: string) => n.padStart(2, '0');
  let m = /^(\d{4})-?(\d{2})-?(\d{2})(?:[T ][\d:.]+Z?)?$/.exec(value);
  if (m) return `${m[1]}-${m[2]}-${m[3]}`;
  m = /^--(\d{2})-?(\d{2})$/.exec(value);
  if (m) return `--${m[1]}-${m[2]}`;
  m = /^(\d{1,2})\/(\d{1,2})\/(\d{2}|\d{4})$/.exec(value);
  if (m) {
    if (Number(m[1]) === 0 || Number(m[2]) === 0) return null;
    const year = m[3]!.length === 4 ? m[3]! : String((Number(m[3]) > new Date().getFullYear() % 100 ? 1900 : 2000) + Number(m[3]));
    const [month, day] = Number(m[1]) > 12 ? [m[2]!, m[1]!] : [m[1]!, m[2]!];
    return `${year}-${pad(month)}-${pad(day)}`;
  }
  m = /^(\d{1,2})[-.](\d{1,2})[-.](\d{4})$/.exec(value);
  if (m) return `${m[3]}-${pad(m[2]!)}-${pad(m[1]!)}`;
  return value;
}

/**
 * The separator of a CSV file from its header line: `;` (as Excel writes in
 * much of Europe), a tab (Excel's "Unicode text") or `,`, counting only outside quotes.
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
