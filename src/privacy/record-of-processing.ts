import { stringify } from 'csv-stringify/sync';
import type { Config } from '../config.js';
import type { Kysely } from 'kysely';
import { requirePermission } from '../access/access.service.js';
import { auditActorOf, recordRead } from '../audit/recorder.js';
import type { Database, Language, LawfulBasisName } from '../db/schema.js';
import type { Keyring } from '../keys/keyring.js';
import { activeTenantKey } from '../keys/keys.service.js';
import type { Authenticated } from '../shared/actor.js';
import { PrivacyError } from './privacy.errors.js';
import { purposesForRecord, type Purpose, type Transfer } from './purposes/purposes.service.js';
import { tenantFacts } from './record-of-processing.repository.js';

/**
 * The record of processing activities (Art. 30(1) GDPR), generated from the
 * tenant's purposes and from what this instance really does to protect the
 * data: the security measures are read from the keyring, the tenant's
 * policy and its users, not written down once and left to go stale.
 */

export type RecordFormat = 'json' | 'csv' | 'html';
export const DATA_SUBJECT_CATEGORIES = ['contacts', 'leads'] as const;

export interface RecordPurpose {
  id: string;
  name: string;
  description: string;
  lawfulBasis: LawfulBasisName;
  lawfulBasisLabel: string;
  marketing: boolean;
  dataCategories: string[];
  dataSubjects: string[];
  recipients: string[];
  transfers: Transfer[];
  retentionDays: number;
  /** When the Legitimate Interests Assessment was reviewed (legitimate interests only). */
  liaReviewedAt: string | null;
  notices: Array<{ language: Language; version: number; sha256: string }>;
}

export type SecurityMeasureKey = 'encryption' | 'access_control' | 'two_factor' | 'audit_trail' | 'backups' | 'transport';

export interface SecurityMeasure {
  key: SecurityMeasureKey;
  /** In the record's language. */
  title: string;
  description: string;
  /** The facts the description was made from (machine-readable). */
  facts: Record<string, string | number | boolean | null>;
}

export interface RecordOfProcessing {
  generatedAt: Date;
  language: Language;
  controller: { name: string };
  dataSubjectCategories: Array<{ key: string; label: string }>;
  purposes: RecordPurpose[];
  retiredPurposes: RecordPurpose[];
  securityMeasures: SecurityMeasure[];
}

// --- words ----------------------------------------------------------------------------------

const BASES: Record<Language, Record<LawfulBasisName, string>> = {
  en: {
    consent: 'Consent (Art. 6(1)(a))',
    contract: 'Contract (Art. 6(1)(b))',
    legal_obligation: 'Legal obligation (Art. 6(1)(c))',
    vital_interests: 'Vital interests (Art. 6(1)(d))',
    public_task: 'Public task (Art. 6(1)(e))',
    legitimate_interests: 'Legitimate interests (Art. 6(1)(f))',
  },
  nl: {
    consent: 'Toestemming (art. 6 lid 1 sub a)',
    contract: 'Overeenkomst (art. 6 lid 1 sub b)',
    legal_obligation: 'Wettelijke verplichting (art. 6 lid 1 sub c)',
    vital_interests: 'Vitaal belang (art. 6 lid 1 sub d)',
    public_task: 'Taak van algemeen belang (art. 6 lid 1 sub e)',
    legitimate_interests: 'Gerechtvaardigd belang (art. 6 lid 1 sub f)',
  },
};

const SUBJECTS: Record<Language, Record<(typeof DATA_SUBJECT_CATEGORIES)[number], string>> = {
  en: { contacts: 'Contacts (customers and their staff)', leads: 'Leads (prospects)' },
  nl: { contacts: 'Contactpersonen (klanten en hun medewerkers)', leads: 'Leads (prospects)' },
};

/** How this instance backs up (config.backups): what the record says of it, never where exactly or with which credentials. */
export type BackupSettings = Pick<Config['backups'], 'schedule' | 'nightly' | 'keep' | 'keyBackupDays'> & {
  target: { kind: 'dir' | 's3' };
};

interface Facts {
  backups: BackupSettings | undefined;
  masterKey: 'local' | 'vault';
  tenantKeyVersion: number | null;
  requireMfa: boolean;
  activeUsers: number;
  usersWithTwoFactor: number;
}

const scheduled = (b: BackupSettings | undefined): b is BackupSettings => Boolean(b && (b.schedule.length > 0 || b.nightly));

const backupsText: Record<Language, (b: BackupSettings | undefined) => string> = {
  en: (b) => {
    if (!scheduled(b))
      return (
        'Not configured: this instance makes no automatic backups (the schedule is off). The operator makes them by hand with ' +
        '`custodia backup create` or backs up the database separately.'
      );
    const when = [
      ...(b.schedule.length > 0 ? [`on the schedule ${b.schedule.map((e) => `“${e}”`).join(' and ')}`] : []),
      ...(b.nightly ? [`nightly at “${b.nightly}” (verified in full after it is made)`] : []),
    ].join(' and ');
    return (
      `Automatic backups ${when} (cron, server time), to ${b.target.kind === 's3' ? 'S3-compatible object storage' : 'a directory'} ` +
      'outside the database. Each backup is compressed and encrypted with AES-256-GCM under a key of its own, wrapped by the master key, ' +
      'with a signed manifest of sizes, row counts and checksums. Rotation keeps every backup of the last ' +
      `${b.keep.hours} hours, one per day for ${b.keep.days} days, one per week for ${b.keep.weeks} weeks and one per month for ${b.keep.months} months. ` +
      'Encryption keys are never in data backups: the key store is backed up apart and those backups are kept ' +
      `${b.keyBackupDays} days, so erasing a person (destroying their key) reaches every backup, and every restore applies the erasures made since.`
    );
  },
  nl: (b) => {
    if (!scheduled(b))
      return (
        'Niet ingericht: deze installatie maakt geen automatische back-ups (het schema staat uit). De beheerder maakt ze met de hand met ' +
        '`custodia backup create` of maakt afzonderlijk een back-up van de database.'
      );
    const when = [
      ...(b.schedule.length > 0 ? [`volgens het schema ${b.schedule.map((e) => `“${e}”`).join(' en ')}`] : []),
      ...(b.nightly ? [`’s nachts om “${b.nightly}” (na het maken volledig gecontroleerd)`] : []),
    ].join(' en ');
    return (
      `Automatische back-ups ${when} (cron, servertijd), naar ${b.target.kind === 's3' ? 'S3-compatibele objectopslag' : 'een map'} ` +
      'buiten de database. Elke back-up wordt gecomprimeerd en versleuteld met AES-256-GCM onder een eigen sleutel, verpakt door de hoofdsleutel, ' +
      'met een ondertekend overzicht van groottes, aantallen rijen en controlegetallen. Bewaard worden alle back-ups van de laatste ' +
      `${b.keep.hours} uur, één per dag gedurende ${b.keep.days} dagen, één per week gedurende ${b.keep.weeks} weken en één per maand gedurende ${b.keep.months} maanden. ` +
      'Sleutels staan nooit in back-ups van gegevens: de sleutelopslag krijgt een eigen back-up die ' +
      `${b.keyBackupDays} dagen wordt bewaard, zodat het wissen van een persoon (het vernietigen van diens sleutel) elke back-up bereikt en elk herstel de sindsdien gewiste personen opnieuw wist.`
    );
  },
};

const MEASURES: Record<Language, (f: Facts) => Record<SecurityMeasureKey, { title: string; description: string }>> = {
  en: (f) => ({
    encryption: {
      title: 'Encryption at rest',
      description:
        'Every personal field is encrypted with AES-256-GCM under a key of its own per person (contact or lead), wrapped by the tenant key' +
        `${f.tenantKeyVersion ? ` (version ${f.tenantKeyVersion})` : ''}, wrapped by a master key ` +
        (f.masterKey === 'vault'
          ? 'held in an external key management service (HashiCorp Vault transit) that never hands it out.'
          : 'held by the operator outside the database (key file or environment).') +
        ' Erasing a person destroys their key (crypto-shredding), which reaches every copy and backup.',
    },
    access_control: {
      title: 'Access control',
      description:
        'Role hierarchy, profiles per module and field, groups and sharing rules; every API path checks them and lists are filtered in the database.',
    },
    two_factor: {
      title: 'Two-factor sign-in',
      description:
        (f.requireMfa
          ? 'The tenant requires two-factor sign-in (TOTP) for every user.'
          : 'Two-factor sign-in (TOTP) is available but not required by the tenant’s policy.') +
        ` ${f.usersWithTwoFactor} of ${f.activeUsers} active users have it enabled. Passwords are hashed with argon2id; sign-in is throttled.`,
    },
    audit_trail: {
      title: 'Audit trail',
      description:
        'Every read, export and change of personal data and every sign-in is recorded in a tamper-evident log (hash chain with signed checkpoints), which `custodia audit verify` checks.',
    },
    backups: { title: 'Backups', description: backupsText.en(f.backups) },
    transport: {
      title: 'Encryption in transit',
      description: 'TLS is terminated by the reverse proxy in front of this instance; configuring it is the operator’s responsibility.',
    },
  }),
  nl: (f) => ({
    encryption: {
      title: 'Versleuteling van opgeslagen gegevens',
      description:
        'Elk persoonsgegeven wordt versleuteld met AES-256-GCM onder een eigen sleutel per persoon (contactpersoon of lead), verpakt door de sleutel van de tenant' +
        `${f.tenantKeyVersion ? ` (versie ${f.tenantKeyVersion})` : ''}, verpakt door een hoofdsleutel ` +
        (f.masterKey === 'vault'
          ? 'in een externe sleutelbeheerdienst (HashiCorp Vault transit) die hem nooit afgeeft.'
          : 'die de beheerder buiten de database bewaart (sleutelbestand of omgevingsvariabele).') +
        ' Het wissen van een persoon vernietigt diens sleutel (crypto-shredding); dat werkt door in elke kopie en back-up.',
    },
    access_control: {
      title: 'Toegangsbeheer',
      description:
        'Rolhiërarchie, profielen per module en veld, groepen en deelregels; elk API-pad controleert ze en lijsten worden in de database gefilterd.',
    },
    two_factor: {
      title: 'Aanmelden in twee stappen',
      description:
        (f.requireMfa
          ? 'De tenant verplicht aanmelden in twee stappen (TOTP) voor elke gebruiker.'
          : 'Aanmelden in twee stappen (TOTP) is beschikbaar maar niet verplicht door het beleid van de tenant.') +
        ` ${f.usersWithTwoFactor} van ${f.activeUsers} actieve gebruikers hebben het ingeschakeld. Wachtwoorden worden gehasht met argon2id; aanmeldpogingen worden begrensd.`,
    },
    audit_trail: {
      title: 'Auditlog',
      description:
        'Elke inzage, export en wijziging van persoonsgegevens en elke aanmelding wordt vastgelegd in een log waarin elke wijziging aantoonbaar is (hashketen met ondertekende controlepunten), die `custodia audit verify` controleert.',
    },
    backups: { title: 'Back-ups', description: backupsText.nl(f.backups) },
    transport: {
      title: 'Versleuteling tijdens transport',
      description:
        'TLS wordt afgehandeld door de reverse proxy vóór deze installatie; het inrichten daarvan is de verantwoordelijkheid van de beheerder.',
    },
  }),
};

// --- the record ----------------------------------------------------------------------------

function entryOf(p: Purpose, language: Language): RecordPurpose {
  return {
    id: p.id,
    name: p.name,
    description: p.description,
    lawfulBasis: p.lawfulBasis,
    lawfulBasisLabel: BASES[language][p.lawfulBasis],
    marketing: p.marketing,
    dataCategories: p.dataCategories,
    dataSubjects: [...DATA_SUBJECT_CATEGORIES],
    recipients: p.recipients,
    transfers: p.transfers,
    retentionDays: p.retentionDays,
    liaReviewedAt: p.lawfulBasis === 'legitimate_interests' ? (p.lia?.reviewedAt ?? null) : null,
    notices: p.notices.map((n) => ({ language: n.language, version: n.version, sha256: n.sha256 })),
  };
}

async function securityFacts(
  db: Kysely<Database>,
  keyring: Keyring,
  tenantId: string,
  facts: { requireMfa: boolean; activeUsers: number; usersWithTwoFactor: number },
  backups: BackupSettings | undefined,
): Promise<Facts> {
  let tenantKeyVersion: number | null = null;
  try {
    tenantKeyVersion = (await activeTenantKey(db, keyring, tenantId)).version;
  } catch {
    // A tenant without an active key has nothing left to protect; the record still says how it would be.
  }
  return {
    backups,
    masterKey: keyring.master.keyId.startsWith('vault:') ? 'vault' : 'local',
    tenantKeyVersion,
    requireMfa: facts.requireMfa,
    activeUsers: facts.activeUsers,
    usersWithTwoFactor: facts.usersWithTwoFactor,
  };
}

function backupFacts(b: BackupSettings | undefined): SecurityMeasure['facts'] {
  if (!scheduled(b)) return { configured: false };
  return {
    configured: true,
    schedule: b.schedule.join('; '),
    nightly: b.nightly ?? null,
    target: b.target.kind,
    encryption: 'AES-256-GCM',
    keepHours: b.keep.hours,
    keepDays: b.keep.days,
    keepWeeks: b.keep.weeks,
    keepMonths: b.keep.months,
    keysBackedUpApart: true,
    keyBackupDays: b.keyBackupDays,
  };
}

/** The tenant's Art. 30 record in one language; recorded in the audit trail as an export. */
export async function recordOfProcessing(
  db: Kysely<Database>,
  keyring: Keyring,
  actor: Authenticated,
  options: { format: RecordFormat; language?: Language | undefined; backups?: BackupSettings | undefined },
): Promise<RecordOfProcessing> {
  await requirePermission(db, actor, 'privacy', 'view');
  const language = options.language ?? actor.user.language;
  const tenant = await tenantFacts(db, actor.tenantId);
  if (!tenant) throw new PrivacyError('purpose_not_found', 'no such tenant');
  const purposes = await purposesForRecord(db, actor.tenantId);
  const facts = await securityFacts(db, keyring, actor.tenantId, tenant, options.backups);
  const words = MEASURES[language](facts);
  const factsOf: Record<SecurityMeasureKey, SecurityMeasure['facts']> = {
    encryption: {
      algorithm: 'AES-256-GCM',
      keyPerPerson: true,
      masterKeyProvider: facts.masterKey,
      tenantKeyVersion: facts.tenantKeyVersion,
    },
    access_control: { roleHierarchy: true, fieldLevel: true },
    two_factor: { requiredByPolicy: facts.requireMfa, activeUsers: facts.activeUsers, usersWithTwoFactor: facts.usersWithTwoFactor },
    audit_trail: { tamperEvident: true, method: 'hash chain with signed checkpoints' },
    backups: backupFacts(facts.backups),
    transport: { tls: 'reverse proxy' },
  };
  const record: RecordOfProcessing = {
    generatedAt: new Date(),
    language,
    controller: { name: tenant.name },
    dataSubjectCategories: DATA_SUBJECT_CATEGORIES.map((key) => ({ key, label: SUBJECTS[language][key] })),
    purposes: purposes.filter((p) => p.status === 'active').map((p) => entryOf(p, language)),
    retiredPurposes: purposes.filter((p) => p.status === 'retired').map((p) => entryOf(p, language)),
    securityMeasures: (Object.keys(words) as SecurityMeasureKey[]).map((key) => ({ key, ...words[key], facts: factsOf[key] })),
  };
  await recordRead(db, keyring, {
    tenantId: actor.tenantId,
    actor: auditActorOf(actor),
    action: 'privacy.record_exported',
    entity: 'purposes',
    details: { format: options.format, language, purposes: record.purposes.length, retiredPurposes: record.retiredPurposes.length },
  });
  return record;
}

// --- renderings ----------------------------------------------------------------------------

const CSV_HEADER = [
  'controller',
  'purpose',
  'description',
  'lawfulBasis',
  'marketing',
  'dataCategories',
  'dataSubjects',
  'recipients',
  'transfers',
  'retentionDays',
  'liaReviewedAt',
  'securityMeasures',
];

// A cell that a spreadsheet would run as a formula is prefixed, as the contact and audit exports do.
const cell = (value: string): string => (/^[=+\-@\t\r]/.test(value) ? `'${value}` : value);
const transfersText = (transfers: readonly Transfer[]) => transfers.map((t) => `${t.country} (${t.safeguard})`).join('; ');

/** One row per active purpose, under a header row; the security measures (Art. 30(1)(g)) apply to every one. */
export function recordAsCsv(record: RecordOfProcessing): string {
  const measures = record.securityMeasures.map((m) => `${m.title}: ${m.description}`).join(' | ');
  const subjects = record.dataSubjectCategories.map((s) => s.label);
  const rows = record.purposes.map((p) =>
    [
      record.controller.name,
      p.name,
      p.description,
      p.lawfulBasis,
      p.marketing ? 'yes' : 'no',
      p.dataCategories.join('; '),
      subjects.filter((_s, i) => p.dataSubjects.includes(record.dataSubjectCategories[i]!.key)).join('; '),
      p.recipients.join('; '),
      p.transfers.length > 0 ? transfersText(p.transfers) : 'none',
      String(p.retentionDays),
      p.liaReviewedAt ?? '',
      measures,
    ].map(cell),
  );
  return stringify([CSV_HEADER, ...rows], { bom: true, record_delimiter: '\r\n', quoted_match: /[\r\n]/ });
}

const escapeHtml = (value: string): string =>
  value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const PAGE: Record<Language, Record<string, string>> = {
  en: {
    title: 'Record of processing activities',
    subtitle: 'Article 30(1) GDPR',
    controller: 'Controller',
    generated: 'Generated',
    subjects: 'Categories of data subjects',
    purposes: 'Processing activities',
    purpose: 'Purpose',
    basis: 'Lawful basis',
    categories: 'Categories of personal data',
    recipients: 'Recipients',
    transfers: 'Transfers outside the EU',
    retention: 'Retention',
    days: 'days',
    none: 'None',
    noPurposes: 'No active purposes are recorded.',
    retired: 'Retired purposes',
    security: 'Technical and organisational security measures',
    marketing: 'direct marketing',
    lia: 'LIA reviewed',
  },
  nl: {
    title: 'Register van verwerkingsactiviteiten',
    subtitle: 'Artikel 30 lid 1 AVG',
    controller: 'Verwerkingsverantwoordelijke',
    generated: 'Opgesteld',
    subjects: 'Categorieën betrokkenen',
    purposes: 'Verwerkingsactiviteiten',
    purpose: 'Doel',
    basis: 'Rechtsgrond',
    categories: 'Categorieën persoonsgegevens',
    recipients: 'Ontvangers',
    transfers: 'Doorgiften buiten de EU',
    retention: 'Bewaartermijn',
    days: 'dagen',
    none: 'Geen',
    noPurposes: 'Er zijn geen actieve doelen vastgelegd.',
    retired: 'Beëindigde doelen',
    security: 'Technische en organisatorische beveiligingsmaatregelen',
    marketing: 'direct marketing',
    lia: 'Belangenafweging beoordeeld',
  },
};

/** A printable, self-contained page (no scripts, no external assets; every value escaped). */
export function recordAsHtml(record: RecordOfProcessing): string {
  const w = PAGE[record.language];
  const e = escapeHtml;
  const listOr = (values: readonly string[]) => (values.length > 0 ? values.map(e).join(', ') : e(w.none!));
  const row = (p: RecordPurpose) => `
      <tr>
        <th scope="row">${e(p.name)}${p.marketing ? ` <small>(${e(w.marketing!)})</small>` : ''}${p.description ? `<br><span class="muted">${e(p.description)}</span>` : ''}</th>
        <td>${e(p.lawfulBasisLabel)}${p.liaReviewedAt ? `<br><span class="muted">${e(w.lia!)}: ${e(p.liaReviewedAt)}</span>` : ''}</td>
        <td>${listOr(p.dataCategories)}</td>
        <td>${listOr(p.recipients)}</td>
        <td>${p.transfers.length > 0 ? e(transfersText(p.transfers)) : e(w.none!)}</td>
        <td>${p.retentionDays} ${e(w.days!)}</td>
      </tr>`;
  const table = (purposes: readonly RecordPurpose[], caption: string) => `
    <table>
      <caption>${e(caption)}</caption>
      <thead>
        <tr><th scope="col">${e(w.purpose!)}</th><th scope="col">${e(w.basis!)}</th><th scope="col">${e(w.categories!)}</th><th scope="col">${e(w.recipients!)}</th><th scope="col">${e(w.transfers!)}</th><th scope="col">${e(w.retention!)}</th></tr>
      </thead>
      <tbody>${purposes.map(row).join('')}
      </tbody>
    </table>`;
  return `<!doctype html>
<html lang="${record.language}">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${e(w.title!)} — ${e(record.controller.name)}</title>
  <style>
    body { font: 14px/1.45 system-ui, sans-serif; color: #111; margin: 2rem; }
    h1 { font-size: 1.6rem; margin-bottom: 0; }
    .muted { color: #444; }
    table { border-collapse: collapse; width: 100%; margin: 1rem 0 2rem; }
    caption { text-align: left; font-weight: 600; font-size: 1.15rem; padding: 0.5rem 0; }
    th, td { border: 1px solid #999; padding: 0.4rem 0.5rem; text-align: left; vertical-align: top; }
    thead th { background: #eee; }
    dt { font-weight: 600; margin-top: 0.6rem; }
    dd { margin-left: 0; }
    @media print { body { margin: 0; } thead { display: table-header-group; } tr { break-inside: avoid; } }
  </style>
</head>
<body>
  <main>
    <h1>${e(w.title!)}</h1>
    <p class="muted">${e(w.subtitle!)}</p>
    <dl>
      <dt>${e(w.controller!)}</dt><dd>${e(record.controller.name)}</dd>
      <dt>${e(w.generated!)}</dt><dd><time datetime="${record.generatedAt.toISOString()}">${record.generatedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC</time></dd>
      <dt>${e(w.subjects!)}</dt><dd>${record.dataSubjectCategories.map((s) => e(s.label)).join(', ')}</dd>
    </dl>
    ${record.purposes.length > 0 ? table(record.purposes, w.purposes!) : `<h2>${e(w.purposes!)}</h2><p>${e(w.noPurposes!)}</p>`}
    ${record.retiredPurposes.length > 0 ? table(record.retiredPurposes, w.retired!) : ''}
    <h2>${e(w.security!)}</h2>
    <dl>${record.securityMeasures.map((m) => `\n      <dt>${e(m.title)}</dt><dd>${e(m.description)}</dd>`).join('')}
    </dl>
  </main>
</body>
</html>
`;
}
