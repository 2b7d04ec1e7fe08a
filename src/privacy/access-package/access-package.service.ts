import type { Kysely } from 'kysely';
import { requirePermission } from '../../access/access.service.js';
import { accessLogOfSubject, type AccessLogEntry } from '../../audit-trail/audit-trail.service.js';
import { auditActorOf } from '../../audit/recorder.js';
import { openPersonWith } from '../../crm/people/people.js';
import type { Database, Language } from '../../db/schema.js';
import { decryptField, fieldKey } from '../../keys/field-crypto.js';
import type { Keyring } from '../../keys/keyring.js';
import { subjectKeys } from '../../keys/keys.service.js';
import type { Authenticated } from '../../shared/actor.js';
import { consentsOf } from '../ledger/consent.service.js';
import { PrivacyError } from '../privacy.errors.js';
import { purposesForRecord } from '../purposes/purposes.service.js';
import * as requests from '../requests/requests.repository.js';
import { recordStep, requestReference } from '../requests/requests.service.js';
import * as repo from './access-package.repository.js';
import { filesOfPerson, type PackagedFile } from '../../files/files.service.js';

/**
 * The access and portability package (Art. 15 and 20): everything held about
 * the person a request is about, compiled by a privacy officer (privacy
 * `export`) with the person's own key — not through the officer's record
 * reach, since the person is owed all of it. It holds the person's records
 * (contacts and leads of their subject), organization links, deals,
 * activities, notes, logged e-mails, consents with their proof, the purposes
 * that apply with lawful basis, recipients and retention, and the audit
 * trail about them (who accessed their data), and their files: every
 * version's metadata (who, when, size, checksum, expired or not) and the
 * current version's content in the zip — the earlier versions are the same
 * document's history, listed so the person knows they exist (issue 19).
 */

/** Only these requests produce a package. */
const PACKAGE_TYPES = new Set(['access', 'portability']);
const PACKAGE_STATUSES = new Set(['verified', 'in_progress']);
/** The access log is read in pages of this size. */
const LOG_PAGE = 500;
/** At most this many access-log entries go into one package (newest first); the summary says when more exist. */
export const ACCESS_LOG_MAX = 50_000;

export const FORMAT = 'custodia-access-package/1';

export interface PackagedPerson {
  id: string;
  firstName: string;
  lastName: string;
  emails: Array<{ value: string; label: string | null }>;
  phones: Array<{ value: string; label: string | null }>;
  jobTitle: string | null;
  address: unknown;
  birthday: string | null;
  language: string | null;
  custom: Record<string, unknown>;
  lawfulBasis: string | null;
  organizationId?: string | null;
  company?: string | null;
  source?: string | null;
  status?: string | null;
  restricted: boolean;
  createdAt: Date;
  updatedAt: Date;
  deletedAt: Date | null;
}

export interface AccessPackage {
  format: typeof FORMAT;
  generatedAt: Date;
  language: Language;
  controller: { name: string };
  request: { id: string; reference: string; type: string; receivedAt: Date; dueAt: string };
  subjectId: string;
  contacts: PackagedPerson[];
  leads: PackagedPerson[];
  organizations: Array<{ id: string; name: string; domain: string | null; website: string | null }>;
  deals: Array<{
    id: string;
    title: string;
    amount: number;
    currency: string;
    stage: string | null;
    status: string;
    expectedCloseDate: string | null;
    closedAt: Date | null;
    organizationId: string | null;
    createdAt: Date;
  }>;
  activities: Array<{
    id: string;
    type: string;
    subject: string;
    description: string | null;
    dueAt: Date | null;
    startAt: Date | null;
    endAt: Date | null;
    done: boolean;
    contactId: string | null;
    leadId: string | null;
    createdAt: Date;
  }>;
  notes: Array<{ id: string; body: string; contactId: string | null; leadId: string | null; createdAt: Date; updatedAt: Date }>;
  emailMessages: Array<{
    id: string;
    direction: string;
    from: string;
    to: string[];
    subject: string;
    body: string;
    sentAt: Date;
    contactId: string | null;
  }>;
  consents: {
    current: Array<{ purposeId: string; purposeName: string | null; status: string; at: Date; source: string }>;
    objectedToMarketingAt: Date | null;
    events: Array<{
      id: string;
      purposeId: string | null;
      purposeName: string | null;
      action: string;
      source: string;
      at: Date;
      noticeHash: string | null;
      ip: string | null;
      userAgent: string | null;
      recordedBy: string | null;
    }>;
  };
  purposes: Array<{
    id: string;
    name: string;
    description: string;
    lawfulBasis: string;
    dataCategories: string[];
    recipients: string[];
    transfers: Array<{ country: string; safeguard: string }>;
    retentionDays: number;
    /** Why it applies: the person's consent, or every person in the tenant's records (a basis other than consent). */
    appliesBecause: 'consent' | 'all_people';
  }>;
  /** Who accessed or changed their data: the audit trail about them, newest first, without values. */
  accessLog: AccessLogEntry[];
  accessLogTruncated: boolean;
  /** Files about them (on their contacts and leads, or sealed under their key), with every version's metadata. */
  files: PackagedFile[];
}

/** The request a package is for: an open access or portability case about a known person. */
async function packableRequest(db: Kysely<Database>, actor: Authenticated, requestId: string) {
  await requirePermission(db, actor, 'privacy', 'export');
  const row = await requests.findRequest(db, actor.tenantId, requestId);
  if (!row) throw new PrivacyError('request_not_found', 'no such request');
  if (!PACKAGE_TYPES.has(row.type))
    throw new PrivacyError('package_not_applicable', `a ${row.type} request has no access package; only access and portability do`, {
      type: row.type,
    });
  if (!PACKAGE_STATUSES.has(row.status))
    throw new PrivacyError('package_not_ready', `the package is made for a verified or in-progress request; this one is ${row.status}`, {
      status: row.status,
    });
  if (!row.subject_id) throw new PrivacyError('package_no_person', 'the request is not linked to a contact or lead');
  return row as typeof row & { subject_id: string };
}

const EMPTY_PERSON_ROW = {
  person_enc: null,
  first_name_enc: null,
  last_name_enc: null,
  emails_enc: null,
  phones_enc: null,
  details_enc: null,
};

/** Compiles the package (the caller records its delivery with `recordPackageDelivered`). */
export async function compileAccessPackage(
  db: Kysely<Database>,
  keyring: Keyring,
  actor: Authenticated,
  requestId: string,
  language?: Language,
): Promise<AccessPackage> {
  const request = await packableRequest(db, actor, requestId);
  const tenantId = actor.tenantId;
  const subjectId = request.subject_id;
  const { contacts, leads } = await repo.peopleOfSubject(db, tenantId, subjectId);
  const contactIds = contacts.map((c) => c.id);
  const leadIds = leads.map((l) => l.id);
  const ids = { subjectId, contactIds, leadIds };
  const [notes, activities, messages] = [
    await repo.notesOf(db, tenantId, ids),
    await repo.activitiesOf(db, tenantId, ids),
    await repo.emailMessagesOf(db, tenantId, ids),
  ];
  const files = await filesOfPerson(db, keyring, tenantId, ids);
  const keys = await subjectKeys(db, keyring, tenantId, [
    subjectId,
    ...notes.map((n) => n.subject_id),
    ...activities.map((a) => a.subject_id),
    ...messages.map((m) => m.subject_id),
  ]);
  if (!keys.has(subjectId)) throw new PrivacyError('package_no_person', 'the personal data of this person has been erased');
  const keyOf = (id: string) => {
    const key = keys.get(id);
    return key ? fieldKey(key) : undefined;
  };
  const personKey = keyOf(subjectId)!;

  const person = (table: 'contacts' | 'leads', row: (typeof contacts)[number] | (typeof leads)[number]): PackagedPerson => {
    const { fields, personalCustom } = openPersonWith(personKey, { tenantId, table, id: row.id }, { ...EMPTY_PERSON_ROW, ...row });
    return {
      id: row.id,
      firstName: fields.firstName,
      lastName: fields.lastName,
      emails: fields.emails.map((e) => ({ value: e.value, label: e.label ?? null })),
      phones: fields.phones.map((p) => ({ value: p.value, label: p.label ?? null })),
      jobTitle: fields.jobTitle ?? null,
      address: fields.address ?? null,
      birthday: fields.birthday ?? null,
      language: fields.language ?? null,
      custom: { ...(row.custom as Record<string, unknown>), ...personalCustom },
      lawfulBasis: row.lawful_basis,
      restricted: row.restricted_at !== null,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      deletedAt: row.deleted_at,
    };
  };
  const packagedContacts = contacts.map((c) => ({ ...person('contacts', c), organizationId: c.organization_id }));
  const packagedLeads = leads.map((l) => ({ ...person('leads', l), company: l.company, source: l.source, status: l.status }));

  const deals = await repo.dealsOf(
    db,
    tenantId,
    contactIds,
    leads.flatMap((l) => (l.converted_deal_id ? [l.converted_deal_id] : [])),
  );
  const organizationIds = [
    ...new Set([
      ...contacts.flatMap((c) => (c.organization_id ? [c.organization_id] : [])),
      ...leads.flatMap((l) => (l.converted_organization_id ? [l.converted_organization_id] : [])),
      ...deals.flatMap((d) => (d.organization_id ? [d.organization_id] : [])),
    ]),
  ];
  const organizations = await repo.organizationsByIds(db, tenantId, organizationIds);

  const consents = await consentsOf(db, keyring, tenantId, subjectId);
  const allPurposes = await purposesForRecord(db, tenantId);
  const purposeName = new Map(allPurposes.map((p) => [p.id, p.name]));
  const consentedTo = new Set(consents.items.flatMap((e) => (e.purposeId ? [e.purposeId] : [])));
  const purposes = allPurposes
    .filter((p) => consentedTo.has(p.id) || (p.status === 'active' && p.lawfulBasis !== 'consent'))
    .map((p) => ({
      id: p.id,
      name: p.name,
      description: p.description,
      lawfulBasis: p.lawfulBasis,
      dataCategories: p.dataCategories,
      recipients: p.recipients,
      transfers: p.transfers,
      retentionDays: p.retentionDays,
      appliesBecause: consentedTo.has(p.id) ? ('consent' as const) : ('all_people' as const),
    }));

  const accessLog: AccessLogEntry[] = [];
  let after: { at: Date; id: string } | null = null;
  let truncated = false;
  for (;;) {
    const page = await accessLogOfSubject(db, tenantId, subjectId, after, LOG_PAGE);
    accessLog.push(...page.entries);
    if (!page.next) break;
    if (accessLog.length >= ACCESS_LOG_MAX) {
      truncated = true;
      break;
    }
    after = page.next;
  }

  const tenant = await repo.tenantOf(db, tenantId);
  const sealed = (key: Buffer | undefined, table: string, rowId: string, field: string, value: Buffer | null) =>
    key && value ? decryptField(key, { tenantId, table, rowId, field }, value) : null;

  return {
    format: FORMAT,
    generatedAt: new Date(),
    language: language ?? actor.user.language,
    controller: { name: tenant?.name ?? '' },
    request: {
      id: request.id,
      reference: requestReference(request.id),
      type: request.type,
      receivedAt: request.received_at,
      dueAt: request.due_date,
    },
    subjectId,
    contacts: packagedContacts,
    leads: packagedLeads,
    organizations: organizations.map((o) => ({ id: o.id, name: o.name, domain: o.domain, website: o.website })),
    deals: deals.map((d) => ({
      id: d.id,
      title: d.title,
      amount: Number(d.amount_minor),
      currency: d.currency,
      stage: d.stage ?? null,
      status: d.status,
      expectedCloseDate: d.expected_close_date,
      closedAt: d.closed_at,
      organizationId: d.organization_id,
      createdAt: d.created_at,
    })),
    activities: activities.map((a) => ({
      id: a.id,
      type: a.type,
      subject: a.subject,
      description: sealed(keyOf(a.subject_id), 'activities', a.id, 'description', a.description_enc),
      dueAt: a.due_at,
      startAt: a.start_at,
      endAt: a.end_at,
      done: a.done,
      contactId: a.contact_id,
      leadId: a.lead_id,
      createdAt: a.created_at,
    })),
    notes: notes.flatMap((n) => {
      const body = sealed(keyOf(n.subject_id), 'notes', n.id, 'body', n.body_enc);
      return body === null
        ? []
        : [{ id: n.id, body, contactId: n.contact_id, leadId: n.lead_id, createdAt: n.created_at, updatedAt: n.updated_at }];
    }),
    emailMessages: messages.flatMap((m) => {
      const key = keyOf(m.subject_id);
      if (!key) return [];
      const read = (field: string, value: Buffer) => decryptField(key, { tenantId, table: 'email_messages', rowId: m.id, field }, value);
      return [
        {
          id: m.id,
          direction: m.direction,
          from: read('from', m.from_enc),
          to: JSON.parse(read('to', m.to_enc)) as string[],
          subject: read('subject', m.subject_enc),
          body: read('body', m.body_enc),
          sentAt: m.sent_at,
          contactId: m.contact_id,
        },
      ];
    }),
    consents: {
      current: consents.current.map((c) => ({ ...c, purposeName: purposeName.get(c.purposeId) ?? null })),
      objectedToMarketingAt: consents.objectedToMarketingAt,
      events: consents.items.map((e) => ({
        id: e.id,
        purposeId: e.purposeId,
        purposeName: e.purposeId ? (purposeName.get(e.purposeId) ?? null) : null,
        action: e.action,
        source: e.source,
        at: e.at,
        noticeHash: e.noticeHash,
        ip: e.ip,
        userAgent: e.userAgent,
        recordedBy: e.actorUserId,
      })),
    },
    purposes,
    accessLog,
    accessLogTruncated: truncated,
    files,
  };
}

/** How many records of each kind the package holds (for the audit entry and the case's step: counts, nothing personal). */
export function packageCounts(pkg: AccessPackage): Record<string, number> {
  return {
    contacts: pkg.contacts.length,
    leads: pkg.leads.length,
    deals: pkg.deals.length,
    activities: pkg.activities.length,
    notes: pkg.notes.length,
    emailMessages: pkg.emailMessages.length,
    consentEvents: pkg.consents.events.length,
    purposes: pkg.purposes.length,
    accessLog: pkg.accessLog.length,
    files: pkg.files.length,
  };
}

/**
 * Records that the package was delivered: a step on the case and the audit
 * entry `privacy_request.exported` naming the person, with the format and the
 * counts. Written before the first byte goes out, so no delivery goes unrecorded.
 */
export async function recordPackageDelivered(
  db: Kysely<Database>,
  keyring: Keyring,
  actor: Authenticated,
  pkg: AccessPackage,
  format: 'zip' | 'json',
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const row = await requests.findRequest(trx, actor.tenantId, pkg.request.id, { forUpdate: true });
    if (!row) throw new PrivacyError('request_not_found', 'no such request');
    await recordStep(trx, keyring, row, auditActorOf(actor), {
      action: 'exported',
      details: { format, ...packageCounts(pkg) },
    });
  });
}
