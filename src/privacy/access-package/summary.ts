import type { Language } from '../../db/schema.js';
import { escapeHtml } from '../public/pages.js';
import type { AccessPackage } from './access-package.service.js';

// summary.html: the package for a person to read, in English or Dutch. One
// self-contained page (inline style, no script, no outside asset), every value
// escaped. The machine-readable data is in data.json and the CSV files beside it.

type Texts = Record<Language, string>;

const T = {
  title: { en: 'Your personal data', nl: 'Je persoonsgegevens' },
  intro: {
    en: 'This is everything {controller} holds about you, as asked in request {reference} (received {received}). The same data is in data.json (all of it, machine-readable) and in one CSV file per kind of record.',
    nl: 'Dit is alles wat {controller} over je bewaart, zoals gevraagd in verzoek {reference} (ontvangen {received}). Dezelfde gegevens staan in data.json (alles, machineleesbaar) en in één CSV-bestand per soort gegevens.',
  },
  generated: { en: 'Made on', nl: 'Gemaakt op' },
  contacts: { en: 'Contact records', nl: 'Contactgegevens' },
  leads: { en: 'Lead records', nl: 'Leadgegevens' },
  organizations: { en: 'Organizations you are linked to', nl: 'Organisaties waaraan je gekoppeld bent' },
  deals: { en: 'Deals', nl: 'Deals' },
  activities: { en: 'Activities', nl: 'Activiteiten' },
  notes: { en: 'Notes', nl: 'Notities' },
  emails: { en: 'Logged e-mails', nl: 'Vastgelegde e-mails' },
  consents: { en: 'Your consents', nl: 'Je toestemmingen' },
  consentHistory: { en: 'Consent history with proof', nl: 'Geschiedenis van toestemmingen met bewijs' },
  purposes: { en: 'What we use your data for', nl: 'Waarvoor we je gegevens gebruiken' },
  accessLog: { en: 'Who accessed your data', nl: 'Wie je gegevens heeft ingezien' },
  accessLogTruncated: {
    en: 'Only the newest entries are listed; ask us for the rest.',
    nl: 'Alleen de nieuwste regels staan hier; vraag ons om de rest.',
  },
  files: { en: 'Files', nl: 'Bestanden' },
  noFiles: { en: 'No files are held about you.', nl: 'Er worden geen bestanden over je bewaard.' },
  none: { en: 'None.', nl: 'Geen.' },
  name: { en: 'Name', nl: 'Naam' },
  emailAddresses: { en: 'E-mail addresses', nl: 'E-mailadressen' },
  phones: { en: 'Phone numbers', nl: 'Telefoonnummers' },
  jobTitle: { en: 'Job title', nl: 'Functie' },
  address: { en: 'Address', nl: 'Adres' },
  birthday: { en: 'Birthday', nl: 'Verjaardag' },
  language: { en: 'Language', nl: 'Taal' },
  other: { en: 'Other fields', nl: 'Andere velden' },
  lawfulBasis: { en: 'Lawful basis', nl: 'Rechtsgrond' },
  company: { en: 'Company', nl: 'Bedrijf' },
  restricted: { en: 'Processing restricted', nl: 'Verwerking beperkt' },
  created: { en: 'Recorded', nl: 'Vastgelegd' },
  deleted: { en: 'In the recycle bin since', nl: 'In de prullenbak sinds' },
  yes: { en: 'yes', nl: 'ja' },
  when: { en: 'When', nl: 'Wanneer' },
  what: { en: 'What', nl: 'Wat' },
  who: { en: 'Who', nl: 'Wie' },
  record: { en: 'Record', nl: 'Gegevens' },
  fields: { en: 'Fields', nl: 'Velden' },
  purpose: { en: 'Purpose', nl: 'Doel' },
  status: { en: 'Status', nl: 'Status' },
  source: { en: 'Source', nl: 'Bron' },
  proof: { en: 'Proof', nl: 'Bewijs' },
  recipients: { en: 'Recipients', nl: 'Ontvangers' },
  retention: { en: 'Kept for', nl: 'Bewaartermijn' },
  days: { en: 'days', nl: 'dagen' },
  categories: { en: 'Data', nl: 'Gegevens' },
  transfers: { en: 'Transfers outside the EU', nl: 'Doorgifte buiten de EU' },
  appliesConsent: { en: 'because you consented', nl: 'omdat je toestemming gaf' },
  appliesAll: { en: 'for everyone in our records', nl: 'voor iedereen in onze administratie' },
  objected: { en: 'You objected to direct marketing on', nl: 'Je hebt bezwaar gemaakt tegen direct marketing op' },
  amount: { en: 'Amount', nl: 'Bedrag' },
  stage: { en: 'Stage', nl: 'Fase' },
  subject: { en: 'Subject', nl: 'Onderwerp' },
  due: { en: 'Due', nl: 'Vervaldatum' },
  from: { en: 'From', nl: 'Van' },
  to: { en: 'To', nl: 'Aan' },
  staff: { en: 'staff member', nl: 'medewerker' },
  system: { en: 'the system', nl: 'het systeem' },
  you: { en: 'you', nl: 'jijzelf' },
} satisfies Record<string, Texts>;

const BASES: Record<string, Texts> = {
  consent: { en: 'Consent (Art. 6(1)(a) GDPR)', nl: 'Toestemming (art. 6 lid 1 sub a AVG)' },
  contract: { en: 'Contract (Art. 6(1)(b) GDPR)', nl: 'Overeenkomst (art. 6 lid 1 sub b AVG)' },
  legal_obligation: { en: 'Legal obligation (Art. 6(1)(c) GDPR)', nl: 'Wettelijke verplichting (art. 6 lid 1 sub c AVG)' },
  vital_interests: { en: 'Vital interests (Art. 6(1)(d) GDPR)', nl: 'Vitale belangen (art. 6 lid 1 sub d AVG)' },
  public_task: { en: 'Public task (Art. 6(1)(e) GDPR)', nl: 'Algemeen belang (art. 6 lid 1 sub e AVG)' },
  legitimate_interests: { en: 'Legitimate interests (Art. 6(1)(f) GDPR)', nl: 'Gerechtvaardigd belang (art. 6 lid 1 sub f AVG)' },
};

const STYLE =
  'body{font-family:system-ui,sans-serif;line-height:1.5;color:#1a1a1a;max-width:60rem;margin:0 auto;padding:1.5rem}' +
  'h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #d6d3d1}h3{font-size:1rem}' +
  'table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{border:1px solid #d6d3d1;padding:.25rem .5rem;text-align:left;vertical-align:top}' +
  'th{background:#f5f5f4}dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem}dt{font-weight:600}dd{margin:0}' +
  '.note{white-space:pre-wrap}.small{color:#44403c;font-size:.875rem}';

export function summaryHtml(pkg: AccessPackage): string {
  const lang = pkg.language;
  const t = (key: keyof typeof T) => escapeHtml(T[key][lang]);
  const e = (value: unknown): string => {
    if (value === null || value === undefined || value === '') return '';
    if (value instanceof Date) return escapeHtml(formatTime(value, lang));
    if (typeof value === 'object') return escapeHtml(JSON.stringify(value));
    return escapeHtml(String(value));
  };
  const none = `<p>${t('none')}</p>`;
  const table = (head: string[], rows: unknown[][]) =>
    rows.length === 0
      ? none
      : `<table><thead><tr>${head.map((h) => `<th scope="col">${h}</th>`).join('')}</tr></thead><tbody>${rows
          .map(
            (r) =>
              `<tr>${r.map((c) => `<td>${typeof c === 'object' && c !== null && 'raw' in c ? (c as { raw: string }).raw : e(c)}</td>`).join('')}</tr>`,
          )
          .join('')}</tbody></table>`;
  const purposeLabel = (name: string | null, id: string | null) => name ?? id ?? '';
  const actor = (kind: string, label: string | null) =>
    kind === 'user' || kind === 'token'
      ? T.staff[lang]
      : kind === 'subject' || kind === 'anonymous'
        ? T.you[lang]
        : (label ?? T.system[lang]);

  const person = (p: AccessPackage['contacts'][number]) => {
    const rows: Array<[string, unknown]> = [
      [t('name'), `${p.firstName} ${p.lastName}`.trim()],
      [t('emailAddresses'), p.emails.map((v) => (v.label ? `${v.value} (${v.label})` : v.value)).join(', ')],
      [t('phones'), p.phones.map((v) => (v.label ? `${v.value} (${v.label})` : v.value)).join(', ')],
      [t('jobTitle'), p.jobTitle],
      [t('address'), p.address],
      [t('birthday'), p.birthday],
      [t('language'), p.language],
      [t('company'), p.company],
      [t('other'), Object.keys(p.custom).length > 0 ? p.custom : null],
      [t('lawfulBasis'), p.lawfulBasis ? (BASES[p.lawfulBasis]?.[lang] ?? p.lawfulBasis) : null],
      [t('restricted'), p.restricted ? T.yes[lang] : null],
      [t('created'), p.createdAt],
      [t('deleted'), p.deletedAt],
    ];
    return `<dl>${rows
      .filter(([, v]) => v !== null && v !== undefined && v !== '')
      .map(([k, v]) => `<dt>${k}</dt><dd>${e(v)}</dd>`)
      .join('')}</dl>`;
  };

  const sections = [
    `<h2>${t('contacts')}</h2>${pkg.contacts.length ? pkg.contacts.map(person).join('') : none}`,
    `<h2>${t('leads')}</h2>${pkg.leads.length ? pkg.leads.map(person).join('') : none}`,
    `<h2>${t('organizations')}</h2>${table(
      [t('name')],
      pkg.organizations.map((o) => [o.name]),
    )}`,
    `<h2>${t('deals')}</h2>${table(
      [t('name'), t('amount'), t('stage'), t('status')],
      pkg.deals.map((d) => [d.title, `${(d.amount / 100).toFixed(2)} ${d.currency}`, d.stage, d.status]),
    )}`,
    `<h2>${t('activities')}</h2>${table(
      [t('subject'), t('what'), t('due')],
      pkg.activities.map((a) => [a.subject, a.description ? `${a.type}: ${a.description}` : a.type, a.dueAt]),
    )}`,
    `<h2>${t('notes')}</h2>${table(
      [t('when'), t('what')],
      pkg.notes.map((n) => [n.createdAt, { raw: `<span class="note">${e(n.body)}</span>` }]),
    )}`,
    `<h2>${t('emails')}</h2>${table(
      [t('when'), t('from'), t('to'), t('subject')],
      pkg.emailMessages.map((m) => [m.sentAt, m.from, m.to.join(', '), m.subject]),
    )}`,
    `<h2>${t('consents')}</h2>${table(
      [t('purpose'), t('status'), t('when'), t('source')],
      pkg.consents.current.map((c) => [purposeLabel(c.purposeName, c.purposeId), c.status, c.at, c.source]),
    )}${pkg.consents.objectedToMarketingAt ? `<p>${t('objected')} ${e(pkg.consents.objectedToMarketingAt)}.</p>` : ''}
    <h3>${t('consentHistory')}</h3>${table(
      [t('when'), t('purpose'), t('what'), t('source'), t('proof')],
      pkg.consents.events.map((c) => [
        c.at,
        purposeLabel(c.purposeName, c.purposeId),
        c.action,
        c.source,
        [c.noticeHash ? `notice sha256 ${c.noticeHash}` : '', c.ip ?? '', c.userAgent ?? ''].filter(Boolean).join(' · '),
      ]),
    )}`,
    `<h2>${t('purposes')}</h2>${
      pkg.purposes.length === 0
        ? none
        : pkg.purposes
            .map(
              (p) => `<h3>${e(p.name)}</h3>${p.description ? `<p>${e(p.description)}</p>` : ''}<dl>
        <dt>${t('lawfulBasis')}</dt><dd>${e(BASES[p.lawfulBasis]?.[lang] ?? p.lawfulBasis)} (${t(p.appliesBecause === 'consent' ? 'appliesConsent' : 'appliesAll')})</dd>
        <dt>${t('categories')}</dt><dd>${e(p.dataCategories.join(', '))}</dd>
        <dt>${t('recipients')}</dt><dd>${e(p.recipients.join(', ')) || t('none')}</dd>
        <dt>${t('transfers')}</dt><dd>${e(p.transfers.map((x) => `${x.country} (${x.safeguard})`).join(', ')) || t('none')}</dd>
        <dt>${t('retention')}</dt><dd>${e(p.retentionDays)} ${t('days')}</dd></dl>`,
            )
            .join('')
    }`,
    `<h2>${t('accessLog')}</h2>${pkg.accessLogTruncated ? `<p>${t('accessLogTruncated')}</p>` : ''}${table(
      [t('when'), t('who'), t('what'), t('record'), t('fields')],
      pkg.accessLog.map((a) => [a.at, actor(a.actorKind, a.actorLabel), a.action, a.entity, a.fields.join(', ')]),
    )}`,
    `<h2>${t('files')}</h2>${
      pkg.files.length === 0
        ? `<p>${t('noFiles')}</p>`
        : table(
            [t('name'), t('what'), t('when')],
            pkg.files.map((f) => [f.name, `${f.contentType}, ${f.size} bytes, ${f.versions.length} version(s)`, f.createdAt]),
          )
    }`,
  ];

  const intro = T.intro[lang]
    .replace('{controller}', pkg.controller.name)
    .replace('{reference}', pkg.request.reference)
    .replace('{received}', formatTime(pkg.request.receivedAt, lang));
  return `<!doctype html>
<html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>${t('title')} · ${e(pkg.controller.name)}</title><style>${STYLE}</style></head>
<body><main><h1>${t('title')}</h1><p>${escapeHtml(intro)}</p><p class="small">${t('generated')} ${e(pkg.generatedAt)}</p>
${sections.join('\n')}
</main></body></html>
`;
}

function formatTime(value: Date, lang: Language): string {
  return (
    new Intl.DateTimeFormat(lang === 'nl' ? 'nl-NL' : 'en-GB', { dateStyle: 'long', timeStyle: 'short', timeZone: 'UTC' }).format(value) +
    ' UTC'
  );
}
