import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { crmSession, memberSession, type CrmSession } from '../../../test/crm.js';
import { useTestServer } from '../../../test/server.js';

// Real exports, byte for byte as their tools write them (test/fixtures/imports/README.md
// says how each is made): every person and every field must land in place.

const t = useTestServer();

function fixture(name: string): Buffer {
  return readFileSync(new URL(`../../../test/fixtures/imports/${name}`, import.meta.url));
}

function importFile(s: CrmSession, body: Buffer | string, contentType: string, query = '') {
  return t.app.inject({
    method: 'POST',
    url: `/api/v1/imports/contacts?lawfulBasis=legitimate_interests${query}`,
    headers: { authorization: `Bearer ${s.token}`, 'content-type': contentType },
    payload: body,
  });
}

interface Person {
  firstName: string;
  lastName: string;
  emails: Array<{ value: string; label: string | null }>;
  phones: Array<{ value: string; label: string | null }>;
  jobTitle: string | null;
  organization: string | null;
  address: Record<string, string | null> | null;
  birthday: string | null;
  language: string | null;
  tags: string[];
  notes: string[];
}

/** The session's contacts as the API shows them, with their organization's name and their notes, by last name. */
async function people(s: CrmSession): Promise<Person[]> {
  const contacts = (await s.get('/api/v1/contacts?limit=200')).json().items as Array<
    Record<string, unknown> & { id: string; organizationId: string | null }
  >;
  const orgs = new Map(
    ((await s.get('/api/v1/organizations?limit=200')).json().items as Array<{ id: string; name: string }>).map((o) => [o.id, o.name]),
  );
  const out: Person[] = [];
  for (const c of contacts) {
    const notes = (await s.get(`/api/v1/notes?contactId=${c.id}`)).json().items as Array<{ body: string }>;
    out.push({
      firstName: c.firstName as string,
      lastName: c.lastName as string,
      emails: c.emails as Person['emails'],
      phones: c.phones as Person['phones'],
      jobTitle: (c.jobTitle as string | null) ?? null,
      organization: c.organizationId ? (orgs.get(c.organizationId) ?? '?') : null,
      address: (c.address as Person['address']) ?? null,
      birthday: (c.birthday as string | null) ?? null,
      language: (c.language as string | null) ?? null,
      tags: ((c.tags as string[]) ?? []).slice().sort(),
      notes: notes.map((n) => n.body),
    });
  }
  return out.sort((a, b) => a.lastName.localeCompare(b.lastName));
}

const none = {
  jobTitle: null,
  organization: null,
  address: null,
  birthday: null,
  language: null,
  tags: [],
  notes: [],
  emails: [],
  phones: [],
};
const address = (a: Record<string, string>) => ({ street: null, postalCode: null, city: null, region: null, country: null, ...a });
const v = (value: string, label: string | null = null) => ({ value, label });

describe('contact exports import with every person and field in place', () => {
  it('Outlook classic: Windows-1252, 92 quoted columns, Title beside Job Title, business before home address', async () => {
    const s = await crmSession(t);
    const res = await importFile(s, fixture('outlook-classic.csv'), 'text/csv');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ format: 'csv', rows: 4, created: 4, errorCount: 0, errors: [], warnings: [] });
    expect(res.json().ignoredColumns).toEqual(
      expect.arrayContaining(['Title', 'Suffix', 'Department', 'Account', 'E-mail Type', 'E-mail Display Name', 'Gender', 'Web Page']),
    );
    expect(res.json().ignoredColumns).not.toContain('Job Title');
    expect(await people(s)).toEqual([
      // Outlook's free-text Language and phone extensions as people type them.
      {
        ...none,
        firstName: 'Emily',
        lastName: 'Carter',
        emails: [v('emily.carter@tailspin.example')],
        phones: [v('+44 20 7946 0000 ext. 12', 'work'), v('+44 20 7946 0001 ext. 7', 'work')],
        jobTitle: 'Office Manager',
        organization: 'Tailspin Toys',
        address: address({ street: '221B Baker Street', postalCode: 'NW1 6XE', city: 'London', country: 'United Kingdom' }),
        birthday: '1985-09-27',
        language: 'en',
      },
      {
        ...none,
        firstName: 'Renée',
        lastName: 'Müller',
        emails: [v('renee@cafe-zurich.example')],
        phones: [v('+41 79 123 45 67', 'mobile')],
        jobTitle: 'Geschäftsführerin',
        organization: 'Café Zürich GmbH',
        address: address({ street: 'Bahnhofstraße 1', postalCode: '8001', city: 'Zürich', region: 'ZH', country: 'Switzerland' }),
      },
      { ...none, firstName: 'Piet', lastName: 'Pietersen', phones: [v('020-1234567', 'work')], jobTitle: 'Huisarts' },
      {
        ...none,
        firstName: 'John Q',
        lastName: 'Smith',
        emails: [v('john.smith@contoso.example'), v('jq@home.example')],
        phones: [
          v('+1 (425) 555-0101', 'fax'),
          v('+1 (425) 555-0100', 'work'),
          v('(425) 555-0123', 'home'),
          v('+1 (425) 555-0199', 'mobile'),
        ],
        jobTitle: 'Sales Manager',
        organization: 'Contoso Ltd',
        address: address({
          street: '1 Microsoft Way, Building 92',
          postalCode: '98052',
          city: 'Redmond',
          region: 'WA',
          country: 'United States of America',
        }),
        birthday: '1980-04-15',
        tags: ['Customers', 'VIP'],
        notes: ['Met at Ignite.\nPrefers e-mail over calls.'],
      },
    ]);
  });

  it('new Outlook: UTF-8 with a BOM, quoted only where needed', async () => {
    const s = await crmSession(t);
    const res = await importFile(s, fixture('outlook-new.csv'), 'text/csv');
    expect(res.json()).toMatchObject({ created: 2, errorCount: 0 });
    expect(res.json().ignoredColumns).toEqual(expect.arrayContaining(['Title', 'Nickname', 'Department']));
    expect(await people(s)).toEqual([
      {
        ...none,
        firstName: 'Fatima',
        lastName: 'El Amrani',
        emails: [v('fatima@fabrikam.example'), v('f.elamrani@outlook.example')],
        phones: [v('+31 30 123 4567', 'work'), v('+31 6 2345 6789', 'mobile')],
        jobTitle: 'Head of Procurement',
        organization: 'Fabrikam, Inc.',
        address: address({ street: 'Stationsplein 12', postalCode: '3511 ED', city: 'Utrecht', region: 'Utrecht', country: 'Netherlands' }),
        birthday: '1988-07-09',
        notes: ['Wants the "gold" plan; decides in Q3.'],
      },
      {
        ...none,
        firstName: 'Tom',
        lastName: 'Jansen',
        emails: [v('tom.jansen@example.net')],
        phones: [v('+31 10 765 4321', 'home')],
        organization: 'Jansen Bouw',
      },
    ]);
  });

  it('Google Contacts: label and value pairs, " ::: " lists, year-less birthdays, its own groups left out', async () => {
    const s = await crmSession(t);
    const res = await importFile(s, fixture('google.csv'), 'text/csv');
    expect(res.json()).toMatchObject({ created: 2, errorCount: 0 });
    expect(res.json().ignoredColumns).toEqual(
      expect.arrayContaining(['Photo', 'Address 1 - Formatted', 'Website 1 - Value', 'Organization Department']),
    );
    expect(await people(s)).toEqual([
      {
        ...none,
        firstName: 'Sanne',
        lastName: 'de Vries',
        emails: [v('sanne@acme.example', 'work'), v('sanne.devries@mail.example', 'home')],
        phones: [v('+31 6 12345678', 'mobile'), v('+31 20 765 4321', 'work'), v('+31 20 765 4322', 'work')],
        jobTitle: 'Inkoper',
        organization: 'Acme BV',
        address: address({
          street: 'Keizersgracht 1, 3e verdieping',
          postalCode: '1015 CJ',
          city: 'Amsterdam',
          region: 'Noord-Holland',
          country: 'Netherlands',
        }),
        birthday: '--03-22',
        tags: ['Klanten'],
        notes: ['Bel na 14:00.\nHeeft twee vestigingen.'],
      },
      {
        ...none,
        firstName: 'Mehmet Ali',
        lastName: 'Yılmaz',
        emails: [v('mehmet@yilmaz.example', 'other')],
        phones: [v('+90 212 555 0100', 'home')],
        birthday: '1979-01-30',
        tags: ['Istanbul', 'Leveranciers', 'starred'],
      },
    ]);
  });

  it('HubSpot and Salesforce: their own header names, a street over two lines, a fallback company', async () => {
    const s = await crmSession(t);
    const hub = await importFile(s, fixture('hubspot.csv'), 'text/csv');
    expect(hub.json()).toMatchObject({ created: 2, errorCount: 0 });
    expect(hub.json().ignoredColumns).toEqual([
      'Record ID',
      'Contact owner',
      'Lifecycle Stage',
      'Lead Status',
      'Create Date',
      'Associated Company IDs (Primary)',
    ]);
    const sf = await importFile(s, fixture('salesforce.csv'), 'text/csv');
    expect(sf.json()).toMatchObject({ created: 2, errorCount: 0 });
    expect(sf.json().ignoredColumns).toEqual(['Salutation', 'Contact Owner', 'Lead Source', 'Contact ID']);
    expect(await people(s)).toEqual([
      { ...none, firstName: 'Olu', lastName: 'Adeyemi', emails: [v('olu@initech.example')], jobTitle: 'Buyer', organization: 'Initech' },
      {
        ...none,
        firstName: 'Maria',
        lastName: 'García',
        emails: [v('maria@northwind.example')],
        phones: [v('+34 91 123 45 67'), v('+34 612 34 56 78', 'mobile')],
        jobTitle: 'CFO',
        organization: 'Northwind Traders',
        address: address({ street: 'Calle Mayor 10', postalCode: '28013', city: 'Madrid', region: 'Madrid', country: 'Spain' }),
      },
      { ...none, firstName: 'Lars', lastName: 'Nilsson', emails: [v('lars@example.se')], organization: 'Svensk Handel AB' },
      {
        ...none,
        firstName: 'Akiko',
        lastName: 'Tanaka',
        emails: [v('akiko.tanaka@globex.example')],
        phones: [v('(415) 555-0142'), v('(415) 555-0199', 'mobile'), v('(415) 555-0143', 'fax')],
        jobTitle: 'VP Operations',
        organization: 'Globex Corporation',
        address: address({
          street: '500 Market Street, Suite 1200',
          postalCode: '94105',
          city: 'San Francisco',
          region: 'CA',
          country: 'United States',
        }),
        birthday: '1982-12-03',
        notes: ['Renewal due in March.'],
      },
    ]);
  });

  it('LinkedIn connections: the "Notes:" preamble before the header, people without e-mail', async () => {
    const s = await crmSession(t);
    const res = await importFile(s, fixture('linkedin-connections.csv'), 'text/csv');
    expect(res.json()).toMatchObject({ rows: 2, created: 2, errorCount: 0, ignoredColumns: ['URL', 'Connected On'] });
    expect(await people(s)).toEqual([
      { ...none, firstName: 'Daan', lastName: 'Mulder', jobTitle: 'Engineering Manager, Payments', organization: 'Booking.com' },
      {
        ...none,
        firstName: 'Priya',
        lastName: 'Sharma',
        emails: [v('priya.sharma@example.in')],
        jobTitle: 'Senior Consultant',
        organization: 'Tata Consultancy Services',
      },
    ]);
  });

  it('Dutch Excel: ";" and Windows-1252 (é, ë, IJ), tussenvoegsel, D-M-YYYY dates, an empty row', async () => {
    const s = await crmSession(t);
    const res = await importFile(s, fixture('excel-nl-semicolon-1252.csv'), 'application/vnd.ms-excel');
    expect(res.json()).toMatchObject({ rows: 3, created: 3, errorCount: 0, ignoredColumns: [] });
    expect(await people(s)).toEqual([
      {
        ...none,
        firstName: 'Zoë',
        lastName: 'de Jong',
        emails: [v('zoe.dejong@example.nl')],
        phones: [v('0031 6 87654321', 'mobile')],
        birthday: '1990-11-15',
      },
      {
        ...none,
        firstName: 'René',
        lastName: 'IJsselstein',
        emails: [v('rene@ijssel.example')],
        jobTitle: 'Planner',
        organization: 'IJssel Logistiek B.V.',
        address: address({ street: 'Havenweg 3', postalCode: '3011 AA', city: 'Rotterdam', country: 'Nederland' }),
      },
      {
        ...none,
        firstName: 'Eliëtte',
        lastName: 'van Dijk',
        emails: [v('eliette@voorbeeld.nl')],
        phones: [v('020-1234567'), v('06-12345678', 'mobile')],
        jobTitle: 'Bedrijfsleider',
        organization: 'Café de Kroon',
        address: address({ street: 'Rembrandtplein 17', postalCode: '1017 CT', city: 'Amsterdam', country: 'Nederland' }),
        birthday: '1984-02-03',
        notes: ['Vaste klant; wil factuur per e-mail'],
      },
    ]);
  });

  it('Excel "Unicode text": UTF-16LE with a BOM, tab-separated', async () => {
    const s = await crmSession(t);
    const res = await importFile(s, fixture('excel-unicode-text-utf16le.txt'), 'text/plain');
    expect(res.json()).toMatchObject({ created: 2, errorCount: 0 });
    expect(await people(s)).toEqual([
      {
        ...none,
        firstName: 'Łukasz',
        lastName: 'Wróbel',
        emails: [v('lukasz@przyklad.pl')],
        phones: [v('+48 22 123 45 67')],
        organization: 'Polskie Młyny sp. z o.o.',
        address: address({ city: 'Kraków' }),
      },
      { ...none, firstName: 'Σοφία', lastName: 'Παπαδοπούλου', emails: [v('sofia@example.gr')], address: address({ city: 'Αθήνα' }) },
    ]);
    // The same file as UTF-16BE, and the Dutch file declared rather than guessed.
    const other = await crmSession(t);
    const le = fixture('excel-unicode-text-utf16le.txt');
    const be = Buffer.from(le);
    be.swap16();
    expect((await importFile(other, be, 'text/tab-separated-values')).json()).toMatchObject({ created: 2, errorCount: 0 });
    const declared = await importFile(other, fixture('excel-nl-semicolon-1252.csv'), 'text/csv; charset=windows-1252');
    expect(declared.json()).toMatchObject({ created: 3, errorCount: 0 });
    expect((await people(other)).map((p) => p.firstName)).toEqual(['Zoë', 'René', 'Eliëtte', 'Łukasz', 'Σοφία']);
  });

  it('Apple Contacts vCard 3.0: folded lines, photos, item labels, preferred values first, a birthday without its year', async () => {
    const s = await crmSession(t);
    const res = await importFile(s, fixture('apple-contacts.vcf'), 'text/vcard');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ format: 'vcard', rows: 2, created: 2, errorCount: 0, ignoredColumns: ['PHOTO', 'URL'] });
    expect(await people(s)).toEqual([
      {
        ...none,
        firstName: 'Johnny Q.',
        lastName: 'Appleseed',
        emails: [v('johnny@apple.example', 'work'), v('johnny.appleseed@icloud.example', 'home')],
        phones: [v('+1 (408) 555-0100', 'mobile'), v('+1 408 555 0101 ext. 123', 'work'), v('+1 408 555 0199', 'other')],
        jobTitle: 'Senior Engineer',
        organization: 'Apple Inc.',
        address: address({ street: '1 Apple Park Way', postalCode: '95014', city: 'Cupertino', region: 'CA', country: 'United States' }),
        birthday: '1980-04-15',
        tags: ['Friends', 'Work'],
        notes: [
          'Likes apples, pears and plums.\nCall after 10:00; never on Sundays. Introduced by Tim at the developer conference in June.',
        ],
      },
      {
        ...none,
        firstName: 'Éloïse',
        lastName: 'Lefèvre',
        emails: [v('eloise@lefevre.example', 'home')],
        phones: [v('+33 1 23 45 67 89', 'à la maison')],
        organization: 'Société Générale des Eaux Minérales et des Boissons Rafraîchissantes de Provence',
        birthday: '--11-02',
      },
    ]);
  });

  it('Android vCard 2.1 (quoted-printable, soft line breaks, bare types) and 3.0 (--MMDD), and vCard 4.0 with an unfolded photo', async () => {
    const s = await crmSession(t);
    const v21 = await importFile(s, fixture('android-2.1.vcf'), 'text/x-vcard');
    expect(v21.json()).toMatchObject({ rows: 2, created: 2, errorCount: 0 });
    const v30 = await importFile(s, fixture('android-3.0.vcf'), 'text/vcard');
    expect(v30.json()).toMatchObject({ created: 1, errorCount: 0 });
    const v40 = await importFile(s, fixture('vcard-4.0.vcf'), 'text/vcard; charset=utf-8');
    expect(v40.json()).toMatchObject({ created: 2, errorCount: 0, warnings: [], ignoredColumns: ['PHOTO'] });
    expect(await people(s)).toEqual([
      {
        ...none,
        firstName: 'Bram',
        lastName: 'Bakker',
        emails: [v('bram@bakker.example', 'work'), v('b.bakker@gmail.example')],
        phones: [v('+31 6 98765432', 'mobile'), v('+31 20 1111111', 'fax')],
        organization: 'Bakker & Zn.',
        birthday: '--07-04',
        notes: ['Eerste\nTweede'],
      },
      {
        ...none,
        firstName: 'Jan',
        lastName: 'de Boer',
        emails: [v('jan@deboer.example', 'work'), v('jan.boer@thuis.example', 'home')],
        phones: [v('+31-6-11122233', 'mobile'), v('+31-20-4445556', 'work')],
        jobTitle: 'Eigenaar',
        organization: 'De Boer Installatietechniek',
        address: address({
          street: 'Industrieweg 10',
          postalCode: '1234 AB',
          city: 'Zaandam',
          region: 'Noord-Holland',
          country: 'Nederland',
        }),
        birthday: '1969-02-28',
        language: 'nl',
        notes: ['Onderhoudscontract loopt tot 2026.'],
      },
      {
        ...none,
        firstName: 'Grace',
        lastName: 'Hopper',
        emails: [v('grace@navy.example', 'work')],
        // tel: URIs with an extension (;ext=), kept with the number.
        phones: [v('+1-555-555-5555 ext. 5555', 'work'), v('+1-555-555-0100', 'mobile')],
        language: 'en-US',
      },
      {
        ...none,
        firstName: 'Élle',
        lastName: 'Janssen',
        emails: [v('elle@example.nl', 'home'), v('e.janssen@bedrijf.example', 'work')],
        phones: [v('+31612345678', 'mobile'), v('+31201234567', 'work'), v('020-7654321', 'home')],
        jobTitle: 'Projectleider',
        organization: 'Bedrijf BV',
        address: address({ street: 'Dorpsstraat 5', postalCode: '3511 AB', city: 'Utrecht', country: 'Nederland' }),
        birthday: '1975-12-31',
        notes: ['Eerste regel\nTweede regel: café om de hoek, liefst op donderdag na de vergadering van het bestuur.'],
      },
      { ...none, firstName: 'Kees', lastName: 'Visser', phones: [v('06-11223344', 'mobile')] },
    ]);
    // Imported again, everyone is known by e-mail (Kees has none: he is the one created again).
    const again = await importFile(s, fixture('android-2.1.vcf'), 'text/vcard');
    expect(again.json()).toMatchObject({ created: 1, skipped: 1 });
  });

  it('Outlook classic in Dutch: ";" and Windows-1252, Dutch headers, "toestel" and "x" extensions, language names; bad values left out, never the person', async () => {
    const s = await crmSession(t);
    const res = await importFile(s, fixture('outlook-classic-nl.csv'), 'text/csv');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ format: 'csv', rows: 3, created: 3, errorCount: 0, errors: [], warningCount: 3 });
    // Fleur's row (line 5: a note above holds a line break) keeps its person; each value left out is named by line and field, never by its value.
    expect(res.json().warnings).toEqual([
      { line: 5, field: 'language', message: expect.stringContaining('language') },
      { line: 5, field: 'phones', message: expect.stringContaining('phone') },
      { line: 5, field: 'birthday', message: expect.stringContaining('birthday') },
    ]);
    expect(res.body).not.toContain('Klingon');
    expect(res.body).not.toContain('onbekend');
    expect(res.json().ignoredColumns).toEqual(
      expect.arrayContaining([
        'Titel',
        'Afdeling',
        'E-mailtype',
        'Weergavenaam voor e-mail',
        'Initialen',
        'Geslacht',
        'Prioriteit',
        'Speciale datum',
      ]),
    );
    expect(res.json().ignoredColumns).not.toEqual(expect.arrayContaining(['Functie']));
    expect(await people(s)).toEqual([
      { ...none, firstName: 'Fleur', lastName: 'de Wit', emails: [v('fleur@dewit.example')], phones: [v('06 98765432', 'mobile')] },
      {
        ...none,
        firstName: 'Joost Pieter',
        lastName: 'Hendriks',
        emails: [v('joost@hendriks-advies.example'), v('j.hendriks@thuis.example')],
        phones: [v('+31 20 123 4567 ext. 123', 'work'), v('020-7654321', 'home')],
        jobTitle: 'Adviseur',
        organization: 'Hendriks Advies',
        address: address({ street: 'Prinsengracht 263', postalCode: '1016 GV', city: 'Amsterdam', country: 'Nederland' }),
        language: 'en',
      },
      {
        ...none,
        firstName: 'Marieke',
        lastName: 'van den Berg',
        emails: [v('marieke@bakkerij-vandenberg.example')],
        phones: [v('023-5123499', 'fax'), v('023-5123456 ext. 12', 'work'), v('06-12345678', 'mobile')],
        jobTitle: 'Eigenaar',
        organization: 'Bakkerij Van den Berg B.V.',
        address: address({
          street: 'Kerkstraat 12, 2e verdieping',
          postalCode: '2011 AB',
          city: 'Haarlem',
          region: 'Noord-Holland',
          country: 'Nederland',
        }),
        birthday: '1975-02-03',
        language: 'nl',
        tags: ['Haarlem', 'Klanten'],
        notes: ['Levering op dinsdag.\nBetaalt altijd op tijd.'],
      },
    ]);
    // An extension is part of the number, not of its search: the number alone finds the person.
    const found = await s.get(`/api/v1/contacts?phone=${encodeURIComponent('+31201234567')}`);
    expect(found.json().items.map((c: { lastName: string }) => c.lastName)).toEqual(['Hendriks']);
  });

  it('Outlook classic in German: Windows-1252, German headers (Straße geschäftlich, E-Mail 2: Adresse), "App." and "Durchwahl", D.M.YYYY and 0.0.00', async () => {
    const s = await crmSession(t);
    const res = await importFile(s, fixture('outlook-classic-de.csv'), 'text/csv');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ rows: 3, created: 3, errorCount: 0, warnings: [] });
    expect(res.json().ignoredColumns).toEqual(
      expect.arrayContaining(['Anrede', 'Abteilung', 'E-Mail-Typ', 'E-Mail: Angezeigter Name', 'Webseite', 'Jahrestag', 'Privat']),
    );
    expect(await people(s)).toEqual([
      {
        ...none,
        firstName: 'Lukas',
        lastName: 'Becker',
        emails: [v('lukas@becker-bau.example')],
        phones: [v('089 5554443 ext. 7', 'work')],
        organization: 'Becker Bau KG',
        language: 'fr',
      },
      {
        ...none,
        firstName: 'Anna Maria',
        lastName: 'Schröder',
        emails: [v('anna.schroeder@example.de'), v('a.schroeder@arbeit.example')],
        phones: [v('030 1234567', 'home')],
        address: address({ street: 'Lindenallee 5', postalCode: '10115', city: 'Berlin', region: 'Berlin', country: 'Deutschland' }),
        language: 'en',
      },
      {
        ...none,
        firstName: 'Jürgen',
        lastName: 'Weiß',
        emails: [v('juergen.weiss@weiss-soehne.example')],
        phones: [v('+49 711 123499', 'fax'), v('+49 711 123456 ext. 12', 'work'), v('+49 170 1234567', 'mobile')],
        jobTitle: 'Vertriebsleiter',
        organization: 'Weiß & Söhne GmbH',
        address: address({
          street: 'Königstraße 22, Hinterhaus',
          postalCode: '70173',
          city: 'Stuttgart',
          region: 'Baden-Württemberg',
          country: 'Deutschland',
        }),
        birthday: '1968-03-07',
        language: 'de',
        tags: ['Lieferanten'],
        notes: ['Rückruf nach 15 Uhr.'],
      },
    ]);
  });

  it('the API takes the phone forms an import does: an extension is kept, written one way', async () => {
    const s = await crmSession(t);
    const created = await s.post('/api/v1/contacts', {
      firstName: 'Ext',
      lastName: 'Ension',
      phones: ['+31 20 123 4567 x123', { value: '+1-555-555-5555;ext=5555', label: 'work' }],
    });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json().phones).toEqual([v('+31 20 123 4567 ext. 123'), v('+1-555-555-5555 ext. 5555', 'work')]);
    const patched = await s.patch(`/api/v1/contacts/${created.json().id}`, {
      phones: ['020 123 4567 toestel 12'],
      version: created.json().version,
    });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json().phones).toEqual([v('020 123 4567 ext. 12')]);
    const bad = await s.patch(`/api/v1/contacts/${created.json().id}`, { phones: ['call reception'], version: patched.json().version });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).not.toContain('reception');
  });

  it("a file's notes need the notes permission: without it the contacts go in and each note is reported", async () => {
    const admin = await crmSession(t);
    const profile = await admin.post('/api/v1/profiles', {
      name: 'No notes',
      permissions: { contacts: { view: true, create: true, edit: true } },
    });
    expect(profile.statusCode, profile.body).toBe(201);
    const rep = await memberSession(t, admin, { profileId: profile.json().id as string });
    const res = await importFile(
      rep,
      'firstName,lastName,email,notes\nAnna,Noted,anna@noted.example,Private remark\nBert,Plain,bert@plain.example,\n',
      'text/csv',
    );
    expect(res.json()).toMatchObject({
      created: 2,
      errorCount: 0,
      warningCount: 1,
      warnings: [{ line: 2, field: 'note', message: expect.stringContaining('not its note') }],
    });
    const notes = await admin.get('/api/v1/notes?limit=200');
    expect(notes.json().items).toEqual([]);
  });

  it('an explicit mapping names columns the header does not explain, and a bad mapping is refused before reading', async () => {
    const s = await crmSession(t);
    const csv = 'Klantnaam,E-post,GSM,Intern,Straße,PLZ,Ort\nJan Peeters,jan@peeters.example,0470 12 34 56,x,Hauptstraße 5,10115,Berlin\n';
    const res = await importFile(
      s,
      csv,
      'text/csv',
      `&mapping=${encodeURIComponent('Klantnaam:name,E-post:email,gsm:phone.mobile,Intern:ignore')}`,
    );
    expect(res.json()).toMatchObject({ created: 1, errorCount: 0, ignoredColumns: ['Intern'] });
    expect(await people(s)).toEqual([
      {
        ...none,
        firstName: 'Jan',
        lastName: 'Peeters',
        emails: [v('jan@peeters.example')],
        phones: [v('0470 12 34 56', 'mobile')],
        address: address({ street: 'Hauptstraße 5', postalCode: '10115', city: 'Berlin' }),
      },
    ]);

    const unknownField = await importFile(s, csv, 'text/csv', '&mapping=Klantnaam:nickname');
    expect(unknownField.statusCode).toBe(400);
    expect(unknownField.json().code).toBe('invalid_mapping');
    const missingColumn = await importFile(s, csv, 'text/csv', '&mapping=Naam:name');
    expect(missingColumn.statusCode).toBe(400);
    expect(missingColumn.json()).toMatchObject({ code: 'invalid_mapping' });
    expect(missingColumn.body).not.toContain('Naam');
  });
});
