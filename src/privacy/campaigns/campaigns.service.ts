import type { Kysely } from 'kysely';
import { requirePermission } from '../../access/access.service.js';
import type { Access } from '../../access/policy.js';
import { auditActorOf, recordChange, recordRead, type AuditActor } from '../../audit/recorder.js';
import type { Config } from '../../config.js';
import { contactKind } from '../../crm/people/contacts.service.js';
import { leadKind } from '../../crm/people/leads.service.js';
import { peopleByIds, type PersonRecord } from '../../crm/people/person-records.js';
import type { CampaignSkipReason, Database, Language } from '../../db/schema.js';
import { inTransaction } from '../../db/transaction.js';
import type { Keyring } from '../../keys/keyring.js';
import { enqueueMail } from '../../mail/mail.service.js';
import { MailError } from '../../mail/mail.errors.js';
import { decodeCursor, encodeCursor, pageSize } from '../../shared/cursor.js';
import type { Authenticated } from '../../shared/actor.js';
import { newId } from '../../shared/ids.js';
import { eventsOfSubjects } from '../ledger/consent.repository.js';
import { currentOf } from '../ledger/consent.service.js';
import { withdrawalToken, withdrawalUrl } from '../ledger/withdrawal-links.js';
import { PrivacyError } from '../privacy.errors.js';
import { findPurpose, type PurposeRow } from '../purposes/purposes.repository.js';
import * as repo from './campaigns.repository.js';
import { skipReason, type ConsentFacts } from './eligibility.js';

/**
 * E-mail campaigns: a message for one purpose to a tag and/or people by id.
 * Consent is enforced here, at the moment of sending: every person of the
 * audience is checked against the consent ledger, and only those with a
 * current grant (or, for a non-marketing purpose on another lawful basis,
 * without a withdrawal) are mailed. The others are skipped with a reason.
 * Each person's outcome is recorded and audited; the mail goes through the
 * outbox with the person's own withdrawal link and RFC 8058 headers.
 */

/** The most people one campaign may reach. */
export const MAX_AUDIENCE = 10_000;
export const MAX_SUBJECT = 200;
export const MAX_BODY = 20_000;
/** The placeholders a subject or body may use; they are filled per person. */
export const PLACEHOLDERS = ['firstName', 'lastName'] as const;

export type CampaignSettings = Pick<Config, 'publicUrl' | 'campaigns'>;

export interface CampaignInput {
  name: string;
  purposeId: string;
  subject: string;
  body: string;
  language?: Language;
  tag?: string;
  contactIds?: string[];
  leadIds?: string[];
}

/** A person of the audience: a contact or a lead, by id. */
export type PersonRef = { contactId: string } | { leadId: string };

export type SkippedPerson = PersonRef & { reason: CampaignSkipReason };

export type CampaignRecipient = PersonRef & {
  status: 'queued' | 'skipped';
  reason: CampaignSkipReason | null;
  /** The outbox message, for a queued person. */
  messageId: string | null;
};

export interface Campaign {
  id: string;
  name: string;
  purposeId: string;
  purposeName: string;
  subject: string;
  body: string;
  language: Language;
  tag: string | null;
  contactIds: string[];
  leadIds: string[];
  status: 'draft' | 'sent';
  createdBy: string;
  createdAt: Date;
  sentBy: string | null;
  sentAt: Date | null;
  queued: number;
  skippedCount: number;
}

export interface CampaignDetail extends Campaign {
  /** Every person's outcome, in audience order (empty while a draft). */
  recipients: CampaignRecipient[];
  /** The skip report: who was not mailed, and why. */
  skipped: SkippedPerson[];
}

export interface SendResult {
  queued: number;
  skipped: SkippedPerson[];
}

function toCampaign(row: repo.CampaignRow): Campaign {
  return {
    id: row.id,
    name: row.name,
    purposeId: row.purpose_id,
    purposeName: row.purpose_name,
    subject: row.subject,
    body: row.body,
    language: row.language,
    tag: row.tag,
    contactIds: row.contact_ids,
    leadIds: row.lead_ids,
    status: row.status,
    createdBy: row.created_by,
    createdAt: row.created_at,
    sentBy: row.sent_by,
    sentAt: row.sent_at,
    queued: row.queued_count,
    skippedCount: row.skipped_count,
  };
}

const personRef = (table: repo.AudienceTable, id: string): PersonRef => (table === 'contacts' ? { contactId: id } : { leadId: id });

function toRecipient(row: repo.RecipientRow): CampaignRecipient {
  return { ...personRef(row.person_table, row.person_id), status: row.status, reason: row.reason, messageId: row.outbox_message_id };
}

function skippedOf(recipients: CampaignRecipient[]): SkippedPerson[] {
  return recipients.flatMap((r) => {
    if (r.status !== 'skipped' || !r.reason) return [];
    return ['contactId' in r ? { contactId: r.contactId, reason: r.reason } : { leadId: r.leadId, reason: r.reason }];
  });
}

function checkText(field: 'subject' | 'body', value: string, max: number): string {
  if (value.trim() === '') throw new PrivacyError('campaign_invalid', `${field} is empty`);
  if (value.length > max) throw new PrivacyError('campaign_invalid', `${field} is longer than ${max} characters`);
  for (const [, name] of value.matchAll(/\{\{\s*([^{}]*?)\s*\}\}/g))
    if (!(PLACEHOLDERS as readonly string[]).includes(name ?? ''))
      throw new PrivacyError(
        'campaign_invalid',
        `${field} uses {{${name}}}; the placeholders are ${PLACEHOLDERS.map((p) => `{{${p}}}`).join(' and ')}`,
      );
  return value;
}

function activePurpose(purpose: PurposeRow | undefined): PurposeRow {
  if (!purpose) throw new PrivacyError('purpose_not_found', 'no such purpose');
  if (purpose.status === 'retired') throw new PrivacyError('purpose_retired', 'this purpose is retired; nothing can be sent for it');
  return purpose;
}

/** A draft campaign; nothing is sent until POST /campaigns/{id}/send. */
export async function createCampaign(
  db: Kysely<Database>,
  keyring: Keyring,
  actor: Authenticated,
  input: CampaignInput,
): Promise<Campaign> {
  await requirePermission(db, actor, 'campaigns', 'create');
  const name = input.name.trim();
  if (name === '') throw new PrivacyError('campaign_invalid', 'name is empty');
  const subject = checkText('subject', input.subject, MAX_SUBJECT);
  const body = checkText('body', input.body, MAX_BODY);
  const tag = input.tag?.trim() || null;
  const contactIds = [...new Set(input.contactIds ?? [])];
  const leadIds = [...new Set(input.leadIds ?? [])];
  if (!tag && contactIds.length === 0 && leadIds.length === 0)
    throw new PrivacyError('campaign_invalid', 'name the audience: a tag, contactIds or leadIds');
  if (contactIds.length + leadIds.length > MAX_AUDIENCE)
    throw new PrivacyError('audience_too_large', `a campaign reaches at most ${MAX_AUDIENCE} people`);
  return inTransaction(db, async (trx) => {
    activePurpose(await findPurpose(trx, actor.tenantId, input.purposeId));
    const id = newId();
    await repo.insertCampaign(trx, {
      tenant_id: actor.tenantId,
      id,
      name,
      purpose_id: input.purposeId,
      subject,
      body,
      language: input.language ?? 'en',
      tag,
      contact_ids: JSON.stringify(contactIds),
      lead_ids: JSON.stringify(leadIds),
      created_by: actor.user.id,
    });
    await recordChange(trx, keyring, {
      tenantId: actor.tenantId,
      actor: auditActorOf(actor),
      action: 'campaign.created',
      entity: 'campaigns',
      entityId: id,
      details: { purposeId: input.purposeId, tag, contacts: contactIds.length, leads: leadIds.length },
    });
    return toCampaign((await repo.findCampaign(trx, actor.tenantId, id))!);
  });
}

export async function listCampaigns(
  db: Kysely<Database>,
  actor: Authenticated,
  params: { limit?: number; cursor?: string },
): Promise<{ items: Campaign[]; nextCursor: string | null }> {
  await requirePermission(db, actor, 'campaigns', 'view');
  const limit = pageSize(params.limit);
  const after = decodeCursor(params.cursor, '-createdAt');
  const rows = await repo.listCampaigns(db, actor.tenantId, {
    limit: limit + 1,
    after: after?.key ? { createdAt: after.key, id: after.id } : null,
  });
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    items: page.map(toCampaign),
    nextCursor: rows.length > limit && last ? encodeCursor({ id: last.id, key: last.created_at.toISOString(), sort: '-createdAt' }) : null,
  };
}

export async function getCampaign(db: Kysely<Database>, actor: Authenticated, id: string): Promise<CampaignDetail> {
  await requirePermission(db, actor, 'campaigns', 'view');
  const row = await repo.findCampaign(db, actor.tenantId, id);
  if (!row) throw new PrivacyError('campaign_not_found', 'no such campaign');
  const recipients = (await repo.recipientsOf(db, actor.tenantId, id)).map(toRecipient);
  return { ...toCampaign(row), recipients, skipped: skippedOf(recipients) };
}

// ---------------------------------------------------------------- sending

interface AudienceMember {
  table: repo.AudienceTable;
  id: string;
  /** Absent when the sender may not read the person (or there is no such person): nothing of them is read. */
  row?: repo.AudienceRow;
}

const readable = (access: Access, table: repo.AudienceTable, row: repo.AudienceRow) =>
  access.mayRead(table, { ownerId: row.owner_id, ownerGroupId: row.owner_group_id });

/**
 * The people a campaign is for, in order: those named by id (first contacts,
 * then leads; one the sender may not read is kept, to be reported as
 * not_visible), then those with the tag that the sender may read. A person
 * reached twice (named and tagged, or a lead and the contact it became) is
 * one member.
 */
async function audienceOf(db: Kysely<Database>, access: Access, tenantId: string, campaign: repo.CampaignRow): Promise<AudienceMember[]> {
  const members: AudienceMember[] = [];
  const seenRecords = new Set<string>();
  const seenSubjects = new Set<string>();
  const add = (table: repo.AudienceTable, id: string, row: repo.AudienceRow | undefined) => {
    if (seenRecords.has(`${table}:${id}`) || (row && seenSubjects.has(row.subject_id))) return;
    seenRecords.add(`${table}:${id}`);
    if (row) seenSubjects.add(row.subject_id);
    members.push(row ? { table, id, row } : { table, id });
  };
  const named: Array<[repo.AudienceTable, string[]]> = [
    ['contacts', campaign.contact_ids],
    ['leads', campaign.lead_ids],
  ];
  for (const [table, ids] of named) {
    const rows = new Map((await repo.audienceByIds(db, table, tenantId, ids)).map((r) => [r.id, r]));
    for (const id of ids) {
      const row = rows.get(id);
      add(table, id, row && access.can(table, 'view') && readable(access, table, row) ? row : undefined);
    }
  }
  if (campaign.tag) {
    for (const table of ['contacts', 'leads'] as const) {
      if (!access.can(table, 'view')) continue;
      const scope = access.owners(table, 'read');
      const room = MAX_AUDIENCE + 1 - members.length;
      if (room <= 0) break;
      for (const row of await repo.audienceByTag(db, table, tenantId, campaign.tag, scope.all ? undefined : scope, room))
        add(table, row.id, row);
    }
  }
  if (members.length > MAX_AUDIENCE) throw new PrivacyError('audience_too_large', `a campaign reaches at most ${MAX_AUDIENCE} people`);
  return members;
}

/** What the ledger says about each subject for this purpose. */
async function consentFactsOf(
  db: Kysely<Database>,
  tenantId: string,
  purposeId: string,
  subjectIds: string[],
): Promise<Map<string, ConsentFacts>> {
  const facts = new Map<string, ConsentFacts>();
  for (let i = 0; i < subjectIds.length; i += 1000) {
    const chunk = subjectIds.slice(i, i + 1000);
    const bySubject = new Map<string, Awaited<ReturnType<typeof eventsOfSubjects>>>();
    for (const e of await eventsOfSubjects(db, tenantId, chunk)) bySubject.set(e.subject_id, [...(bySubject.get(e.subject_id) ?? []), e]);
    for (const subjectId of chunk) {
      const { current, objectedToMarketingAt } = currentOf(bySubject.get(subjectId) ?? []);
      const state = current.find((s) => s.purposeId === purposeId);
      facts.set(subjectId, { status: state?.status ?? null, at: state?.at ?? null, objectedToMarketingAt });
    }
  }
  return facts;
}

/** The people's records, opened (names and e-mail addresses), by table and id. */
async function openAudience(
  db: Kysely<Database>,
  keyring: Keyring,
  actor: Authenticated,
  members: AudienceMember[],
): Promise<Map<string, PersonRecord>> {
  const opened = new Map<string, PersonRecord>();
  for (const [table, kind] of [
    ['contacts', contactKind],
    ['leads', leadKind],
  ] as const) {
    const ids = members.filter((m) => m.table === table && m.row).map((m) => m.id);
    for (let i = 0; i < ids.length; i += 1000)
      for (const record of await peopleByIds(db, keyring, actor, kind as never, ids.slice(i, i + 1000)))
        opened.set(`${table}:${record.id}`, record as PersonRecord);
  }
  return opened;
}

interface Decision {
  member: AudienceMember;
  /** The person's opened record; absent for one the sender may not read (or who is gone). */
  record: PersonRecord | undefined;
  /** Why they are skipped by the ledger (or not_visible); null when they may be mailed (an address is still needed). */
  reason: CampaignSkipReason | null;
}

/** The audience of a campaign with the ledger's decision for each person. */
async function decide(
  db: Kysely<Database>,
  keyring: Keyring,
  actor: Authenticated,
  access: Access,
  campaign: repo.CampaignRow,
  purpose: PurposeRow,
): Promise<Decision[]> {
  const members = await audienceOf(db, access, actor.tenantId, campaign);
  const subjects = members.flatMap((m) => (m.row ? [m.row.subject_id] : []));
  const consent = await consentFactsOf(db, actor.tenantId, purpose.id, subjects);
  const records = await openAudience(db, keyring, actor, members);
  return members.map((member) => {
    const record = records.get(`${member.table}:${member.id}`);
    const facts = record ? consent.get(record.subjectId) : undefined;
    // A restriction of processing (Art. 18) blocks mailing whatever the ledger says.
    const reason = !record || !facts ? 'not_visible' : member.row?.restricted_at ? 'restricted' : skipReason(purpose, facts);
    return { member, record, reason };
  });
}

export interface AudienceSummary {
  /** People in the audience. */
  total: number;
  /** Those who would be mailed now. */
  eligible: number;
  /** Those who would be skipped, by reason. */
  skipped: Record<CampaignSkipReason, number>;
}

/**
 * What a send would do now, without sending: how many people the audience
 * has, how many the ledger lets us mail, and how many would be skipped for
 * which reason. The sender's confirmation shows it.
 */
export async function audienceSummary(db: Kysely<Database>, keyring: Keyring, actor: Authenticated, id: string): Promise<AudienceSummary> {
  const access = await requirePermission(db, actor, 'campaigns', 'create');
  const campaign = await repo.findCampaign(db, actor.tenantId, id);
  if (!campaign) throw new PrivacyError('campaign_not_found', 'no such campaign');
  const purpose = activePurpose(await findPurpose(db, actor.tenantId, campaign.purpose_id));
  const decisions = await decide(db, keyring, actor, access, campaign, purpose);
  const skipped: Record<CampaignSkipReason, number> = { no_consent: 0, objected: 0, no_email: 0, restricted: 0, not_visible: 0 };
  let eligible = 0;
  for (const d of decisions) {
    const reason = d.reason ?? (d.record && d.record.emails.length > 0 ? null : 'no_email');
    if (reason === null) eligible++;
    else skipped[reason]++;
  }
  const subjectIds = decisions.flatMap((d) => (d.record ? [d.record.subjectId] : []));
  if (subjectIds.length > 0)
    await recordRead(db, keyring, {
      tenantId: actor.tenantId,
      actor: auditActorOf(actor),
      action: 'campaign.audience_counted',
      entity: 'campaigns',
      entityId: campaign.id,
      subjectIds,
      fields: ['emails'],
      details: { purposeId: purpose.id, total: decisions.length, eligible },
    });
  return { total: decisions.length, eligible, skipped };
}

/**
 * Sends a draft campaign once: decides per person, queues the mail of those
 * who may receive it (staggered to the configured rate), records and audits
 * every person's outcome, and marks the campaign sent — all in one
 * transaction, so a send either happened completely or not at all.
 */
export async function sendCampaign(
  db: Kysely<Database>,
  keyring: Keyring,
  settings: CampaignSettings,
  actor: Authenticated,
  id: string,
): Promise<SendResult> {
  const access = await requirePermission(db, actor, 'campaigns', 'create');
  return inTransaction(db, async (trx) => {
    const campaign = await repo.lockCampaign(trx, actor.tenantId, id);
    if (!campaign) throw new PrivacyError('campaign_not_found', 'no such campaign');
    if (campaign.status === 'sent') throw new PrivacyError('campaign_sent', 'this campaign was sent already; a campaign is sent once');
    const purpose = activePurpose(await findPurpose(trx, actor.tenantId, campaign.purpose_id));
    const tenant = await repo.tenantOf(trx, actor.tenantId);
    const decisions = await decide(trx, keyring, actor, access, campaign, purpose);

    const auditActor = auditActorOf(actor);
    const startedAt = Date.now();
    const recipients: Array<Parameters<typeof repo.insertRecipients>[1][number]> = [];
    const skipped: SkippedPerson[] = [];
    let queued = 0;
    for (const [position, { member, record, reason: decided }] of decisions.entries()) {
      let reason = decided;
      let messageId: string | null = null;
      if (reason === null && record) {
        messageId = await queueFor(trx, keyring, settings, {
          tenant,
          tenantId: actor.tenantId,
          campaign,
          purpose,
          record,
          notBefore: new Date(startedAt + Math.floor(queued / settings.campaigns.ratePerMinute) * 60_000),
        });
        if (messageId === null) reason = 'no_email';
      }
      recipients.push({
        tenant_id: actor.tenantId,
        id: newId(),
        campaign_id: campaign.id,
        position,
        person_table: member.table,
        person_id: member.id,
        subject_id: record?.subjectId ?? null,
        status: reason === null ? 'queued' : 'skipped',
        reason,
        outbox_message_id: messageId,
      });
      if (reason === null) queued++;
      else skipped.push({ ...personRef(member.table, member.id), reason });
      if (record) await auditOutcome(trx, keyring, auditActor, actor.tenantId, campaign, member, record.subjectId, reason, messageId);
    }
    await repo.insertRecipients(trx, recipients);
    await repo.markSent(trx, actor.tenantId, campaign.id, { sentBy: actor.user.id, queued, skipped: skipped.length });
    await recordChange(trx, keyring, {
      tenantId: actor.tenantId,
      actor: auditActor,
      action: 'campaign.send_completed',
      entity: 'campaigns',
      entityId: campaign.id,
      details: { purposeId: purpose.id, queued, skipped: skipped.length, ratePerMinute: settings.campaigns.ratePerMinute },
    });
    return { queued, skipped };
  });
}

/** Queues one person's mail; null when none of their addresses can take mail. */
async function queueFor(
  trx: Kysely<Database>,
  keyring: Keyring,
  settings: CampaignSettings,
  p: {
    tenant: { name: string; slug: string };
    tenantId: string;
    campaign: repo.CampaignRow;
    purpose: PurposeRow;
    record: PersonRecord;
    notBefore: Date;
  },
): Promise<string | null> {
  const link = withdrawalUrl(settings.publicUrl, p.tenant.slug, withdrawalToken(keyring, p.tenantId, p.record.subjectId, p.purpose.id));
  for (const email of p.record.emails) {
    try {
      const message = await enqueueMail(trx, {
        tenantId: p.tenantId,
        to: email.value,
        template: 'campaign',
        locale: p.campaign.language,
        data: {
          subject: p.campaign.subject,
          paragraphs: p.campaign.body.split(/\r?\n\s*\r?\n/),
          firstName: p.record.firstName || null,
          lastName: p.record.lastName || null,
          tenantName: p.tenant.name,
          purposeName: p.purpose.name,
          withdrawalUrl: link,
        },
        keyring,
        headers: { 'List-Unsubscribe': `<${link}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
        notBefore: p.notBefore,
      });
      return message.id;
    } catch (error) {
      // An address the outbox refuses is checked before anything is written: try the person's next one.
      if (error instanceof MailError && error.code === 'mail_recipient_invalid') continue;
      throw error;
    }
  }
  return null;
}

async function auditOutcome(
  trx: Kysely<Database>,
  keyring: Keyring,
  actor: AuditActor,
  tenantId: string,
  campaign: repo.CampaignRow,
  member: AudienceMember,
  subjectId: string,
  reason: CampaignSkipReason | null,
  messageId: string | null,
): Promise<void> {
  await recordChange(trx, keyring, {
    tenantId,
    actor,
    action: reason === null ? 'campaign.sent' : 'campaign.skipped',
    entity: member.table,
    entityId: member.id,
    subjectIds: [subjectId],
    details: { campaignId: campaign.id, purposeId: campaign.purpose_id, reason, messageId },
  });
}
