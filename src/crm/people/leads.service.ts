import type { Kysely } from 'kysely';
import type { Database, LeadStatus } from '../../db/schema.js';
import type { Authenticated } from '../../shared/actor.js';
import type { Keyring } from '../../keys/keyring.js';
import { auditActorOf, recordChange, type AuditActor } from '../../audit/recorder.js';
import { subjectKey } from '../../keys/keys.service.js';
import { contactKind, type Contact } from './contacts.service.js';
import { recordingBlocked, restrictedError } from '../common/restriction.js';
import { CrmError } from '../common/crm.errors.js';
import { createDeal } from '../deals/deals.service.js';
import { fieldsOf } from '../custom-fields/custom-fields.service.js';
import * as leadsRepo from './leads.repository.js';
import { organizationOf } from '../common/links.service.js';
import { createOrganization, findOrganizationByName } from '../organizations/organizations.service.js';
import {
  createPerson,
  createPersonBySystem,
  deletePerson,
  getPerson,
  listPeople,
  personSubjectId,
  personForChange,
  updatePerson,
  type PersonKind,
  type PersonListParams,
  type PersonRecord,
  type PersonRecordInput,
} from './person-records.js';

/**
 * Leads: people not yet qualified, encrypted exactly like contacts. Converting
 * one makes a contact of the same data subject — the same key, so everything
 * already recorded about the person stays readable and erasable as one — and
 * optionally an organization and a deal.
 */

export const LEAD_STATUSES: LeadStatus[] = ['new', 'contacted', 'qualified', 'unqualified', 'converted'];
export const LEAD_RATINGS = ['hot', 'warm', 'cold'] as const;
type Rating = (typeof LEAD_RATINGS)[number];

export interface Lead extends PersonRecord {
  company: string | null;
  source: string | null;
  status: LeadStatus;
  rating: Rating | null;
  convertedAt: Date | null;
  convertedContactId: string | null;
  convertedOrganizationId: string | null;
  convertedDealId: string | null;
}

export interface LeadInput extends PersonRecordInput {
  company?: string | null;
  source?: string | null;
  status?: Exclude<LeadStatus, 'converted'>;
  rating?: Rating | null;
}

function plain(value: string | null | undefined, field: string, max: number): string | null {
  if (value === undefined || value === null) return null;
  const trimmed = value.trim();
  if (trimmed.length > max) throw new CrmError('invalid_field', `${field} must be at most ${max} characters`);
  return trimmed || null;
}

export const leadKind: PersonKind<Lead, LeadInput> = {
  table: 'leads',
  noun: 'lead',
  async plainColumns(_db, _actor, input, current) {
    if (current?.status === 'converted')
      throw new CrmError('lead_already_converted', 'a converted lead is kept as it was; change the contact');
    if ((input.status as string | undefined) === 'converted')
      throw new CrmError('invalid_field', 'a lead becomes converted through POST /leads/{id}/convert');
    return {
      ...(input.company !== undefined || !current ? { company: plain(input.company, 'company', 200) } : {}),
      ...(input.source !== undefined || !current ? { source: plain(input.source, 'source', 100) } : {}),
      ...(input.status !== undefined ? { status: input.status } : {}),
      ...(input.rating !== undefined ? { rating: input.rating } : {}),
    };
  },
  toRecord(base, row) {
    return {
      ...base,
      company: row.company as string | null,
      source: row.source as string | null,
      status: row.status as LeadStatus,
      rating: row.rating as Rating | null,
      convertedAt: row.converted_at as Date | null,
      convertedContactId: row.converted_contact_id as string | null,
      convertedOrganizationId: row.converted_organization_id as string | null,
      convertedDealId: row.converted_deal_id as string | null,
    };
  },
};

const kind = leadKind as PersonKind<Lead, never>;

export function createLead(db: Kysely<Database>, keyring: Keyring, actor: Authenticated, input: LeadInput): Promise<Lead> {
  return createPerson(db, keyring, actor, leadKind, input);
}

/**
 * A lead made when a public sign-up is confirmed by its person (privacy/public):
 * source "web form", lawful basis consent, no signed-in user behind it.
 */
export function createLeadFromSignup(
  trx: Kysely<Database>,
  keyring: Keyring,
  by: { tenantId: string; ownerId: string; actor: AuditActor },
  person: { firstName: string; email: string; language: 'en' | 'nl' },
): Promise<{ id: string; subjectId: string }> {
  return createPersonBySystem(
    trx,
    keyring,
    by,
    'leads',
    { firstName: person.firstName, emails: [person.email], language: person.language, lawfulBasis: 'consent' },
    { source: 'web form' },
  );
}

/** The lead's data subject, for its access log: visibility is checked, nothing personal is read. */
export function leadSubjectId(db: Kysely<Database>, actor: Authenticated, id: string): Promise<string> {
  return personSubjectId(db, actor, kind, id);
}

export function getLead(db: Kysely<Database>, keyring: Keyring, actor: Authenticated, id: string): Promise<Lead> {
  return getPerson(db, keyring, actor, kind, id);
}

export interface LeadListParams extends PersonListParams {
  status?: LeadStatus;
  source?: string;
}

export function listLeads(db: Kysely<Database>, keyring: Keyring, actor: Authenticated, params: LeadListParams) {
  return listPeople(db, keyring, actor, kind, params, {
    ...(params.status ? { status: params.status } : {}),
    ...(params.source ? { source: params.source } : {}),
  });
}

export function updateLead(
  db: Kysely<Database>,
  keyring: Keyring,
  actor: Authenticated,
  id: string,
  input: LeadInput & { version?: number },
  ifMatch?: number,
): Promise<Lead> {
  return updatePerson(db, keyring, actor, leadKind, id, input, ifMatch);
}

export function deleteLead(db: Kysely<Database>, keyring: Keyring, actor: Authenticated, id: string): Promise<void> {
  return deletePerson(db, keyring, actor, kind, id);
}

export interface ConvertLeadInput {
  /** Link the contact to this organization instead of one named after the lead's company. */
  organizationId?: string;
  /** Make (or find by name) an organization from the lead's company; default true when it has one. */
  createOrganization?: boolean;
  /** Also open a deal for the new contact. */
  deal?: { title?: string; amount: number; currency: string };
}

export async function convertLead(
  db: Kysely<Database>,
  keyring: Keyring,
  actor: Authenticated,
  id: string,
  input: ConvertLeadInput,
): Promise<{ contactId: string; organizationId: string | null; dealId: string | null; contact: Contact }> {
  return recordingBlocked(db, keyring, actor, { table: 'leads', id }, 'convert', () => convertIn(db, keyring, actor, id, input));
}

async function convertIn(
  db: Kysely<Database>,
  keyring: Keyring,
  actor: Authenticated,
  id: string,
  input: ConvertLeadInput,
): Promise<{ contactId: string; organizationId: string | null; dealId: string | null; contact: Contact }> {
  return db.transaction().execute(async (trx) => {
    // Converting changes the lead and creates a contact (and maybe an organization and a deal): each needs its right.
    const lead = await personForChange(trx, keyring, actor, kind, id, 'edit');
    if (lead.restricted) throw restrictedError();
    if (lead.status === 'converted') throw new CrmError('lead_already_converted', 'this lead was converted already');
    if (!(await leadsRepo.lockLead(trx, actor.tenantId, id, lead.version))) {
      throw new CrmError('version_conflict', 'the lead changed meanwhile; reload and try again');
    }

    let organizationId: string | null = null;
    if (input.organizationId) organizationId = await organizationOf(trx, actor, input.organizationId);
    else if (lead.company && input.createOrganization !== false) {
      organizationId =
        (await findOrganizationByName(trx, actor, lead.company))?.id ?? (await createOrganization(trx, actor, { name: lead.company })).id;
    }

    // Custom values carry over where contacts define a field of the same key and type.
    const [leadFields, contactFields] = await Promise.all([
      fieldsOf(trx, actor.tenantId, 'leads'),
      fieldsOf(trx, actor.tenantId, 'contacts'),
    ]);
    const custom: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(lead.custom)) {
      const from = leadFields.find((f) => f.key === key);
      const to = contactFields.find((f) => f.key === key);
      if (from && to && from.type === to.type && from.personal === to.personal) custom[key] = value;
    }

    const key = await subjectKey(trx, keyring, actor.tenantId, lead.subjectId);
    const contact = await createPerson(
      trx,
      keyring,
      actor,
      contactKind,
      {
        firstName: lead.firstName,
        lastName: lead.lastName,
        emails: lead.emails,
        phones: lead.phones,
        jobTitle: lead.jobTitle,
        address: lead.address,
        birthday: lead.birthday,
        language: lead.language,
        tags: lead.tags,
        custom,
        lawfulBasis: lead.lawfulBasis,
        ownerId: lead.ownerId,
        organizationId,
      },
      // The contact stays with the lead's group, whoever converts it.
      { subject: { id: lead.subjectId, key }, extra: { lead_id: lead.id, owner_group_id: lead.ownerGroupId } },
    );

    let dealId: string | null = null;
    if (input.deal) {
      const deal = await createDeal(
        trx,
        actor,
        {
          title: input.deal.title?.trim() || `${lead.company ?? `${lead.firstName} ${lead.lastName}`.trim()}`,
          amount: input.deal.amount,
          currency: input.deal.currency,
          organizationId,
          contactIds: [contact.id],
          ownerId: lead.ownerId,
        },
        { contactIds: [contact.id] },
      );
      dealId = deal.id;
    }

    // Notes and activities follow the person; they are sealed under the same subject, so nothing is re-encrypted.
    await leadsRepo.moveHistoryToContact(trx, actor.tenantId, lead.id, contact.id);
    await leadsRepo.markConverted(trx, actor.tenantId, lead.id, { contactId: contact.id, organizationId, dealId });
    await recordChange(trx, keyring, {
      tenantId: actor.tenantId,
      actor: auditActorOf(actor),
      action: 'lead.converted',
      entity: 'leads',
      entityId: lead.id,
      subjectIds: [lead.subjectId],
      details: { contactId: contact.id, organizationId, dealId },
    });
    return { contactId: contact.id, organizationId, dealId, contact };
  });
}
