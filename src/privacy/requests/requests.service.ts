import type { Kysely } from 'kysely';
import { requirePermission } from '../../access/access.service.js';
import { AccessError } from '../../access/access.errors.js';
import { auditActorOf, recordChange, recordRead, type DetailValue } from '../../audit/recorder.js';
import { contactSubjectId, listContacts } from '../../crm/people/contacts.service.js';
import { leadSubjectId, listLeads } from '../../crm/people/leads.service.js';
import type {
  Database,
  PrivacyRequestChannel,
  PrivacyRequestStatus,
  PrivacyRequestStepAction,
  PrivacyRequestType,
} from '../../db/schema.js';
import { isActiveUser } from '../../identity/users.service.js';
import type { Keyring } from '../../keys/keyring.js';
import { openField, recordsSubjectId, sealField } from '../../keys/keys.service.js';
import type { Authenticated } from '../../shared/actor.js';
import { DomainError } from '../../shared/domain-error.js';
import { newId } from '../../shared/ids.js';
import { PrivacyError } from '../privacy.errors.js';
import { daysUntil, dueDateFor, isPastDue, utcDate } from './due-date.js';
import { decodeKeysetCursor, encodeKeysetCursor } from './keyset-cursor.js';
import * as repo from './requests.repository.js';

/**
 * Data-subject requests (Art. 15–22) as cases with their legal clock: received
 * → verified → in progress → completed, or refused with its legal reason at
 * any open step. Every step is a row of the case's history and an audit
 * entry naming the person. The address a request came from and every note or
 * reason are sealed under the key of the person the case is about (the
 * tenant's records subject while it is about no known person).
 */

export const REQUEST_TYPES: readonly PrivacyRequestType[] = [
  'access',
  'rectification',
  'erasure',
  'restriction',
  'objection',
  'portability',
];
export const REQUEST_STATUSES: readonly PrivacyRequestStatus[] = ['received', 'verified', 'in_progress', 'completed', 'refused'];
export const REQUEST_CHANNELS: readonly PrivacyRequestChannel[] = ['email', 'letter', 'phone', 'web_form', 'in_person', 'other'];
export const VERIFICATION_METHODS = ['email_link', 'id_document', 'known_contact_details', 'in_person', 'other'] as const;
export type VerificationMethod = (typeof VERIFICATION_METHODS)[number];
export type RequestStep = 'verify' | 'start' | 'extend' | 'complete' | 'refuse';

/** Art. 12(3): at most two months beyond the first. */
export const MAX_EXTENSION_MONTHS = 2;
/** How far a receipt may lie ahead of the server's clock (clock skew of the client). */
const RECEIPT_SKEW_MS = 5 * 60_000;

export interface PrivacyRequest {
  id: string;
  /** A short reference for people (R-XXXXXXXX), as reminders name the case. */
  reference: string;
  type: PrivacyRequestType;
  status: PrivacyRequestStatus;
  channel: PrivacyRequestChannel;
  contactId: string | null;
  leadId: string | null;
  /** Whether the case holds the address the request came from (shown on the case page only). */
  hasEmail: boolean;
  receivedAt: Date;
  /** The due date (YYYY-MM-DD, UTC), extensions included. */
  dueAt: string;
  /** One calendar month after receipt: an extension must be decided, and the person told, by then. */
  originalDueAt: string;
  extensionMonths: number;
  extendedAt: Date | null;
  /** When extended: the person must be told of the extension and its reasons by this date (Art. 12(3)). */
  informPersonOfExtensionBy: string | null;
  overdue: boolean;
  /** Whole days to the due date (negative once past); null once closed. */
  daysLeft: number | null;
  assigneeId: string | null;
  verification: { method: string; at: Date; by: string | null } | null;
  startedAt: Date | null;
  closedAt: Date | null;
  closedBy: string | null;
  refusalLegalBasis: string | null;
  /** What may happen next, for the case page's buttons. */
  nextSteps: RequestStep[];
  createdBy: string | null;
  createdAt: Date;
  updatedAt: Date;
  version: number;
}

export interface PrivacyRequestStepView {
  id: string;
  action: PrivacyRequestStepAction;
  at: Date;
  actorUserId: string | null;
  fromStatus: string | null;
  toStatus: string | null;
  details: Record<string, unknown>;
  /** The note or reason; null when there is none or it can no longer be read (the person was erased). */
  text: string | null;
}

export interface PrivacyRequestDetail extends PrivacyRequest {
  /** The address the request came from; null when none was given or it can no longer be read. */
  email: string | null;
  steps: PrivacyRequestStepView[];
}

export interface OpenRequestInput {
  type: PrivacyRequestType;
  contactId?: string;
  leadId?: string;
  email?: string;
  receivedAt?: string | Date;
  channel?: PrivacyRequestChannel;
  assigneeId?: string | null;
  note?: string;
}

const OPEN: ReadonlySet<PrivacyRequestStatus> = new Set(repo.OPEN_STATUSES);

/** Where each step may start from. */
const FROM: Record<Exclude<RequestStep, 'extend'>, readonly PrivacyRequestStatus[]> = {
  verify: ['received'],
  start: ['verified'],
  complete: ['verified', 'in_progress'],
  refuse: ['received', 'verified', 'in_progress'],
};

function nextStepsOf(row: repo.RequestRow, now: Date): RequestStep[] {
  const steps: RequestStep[] = [];
  for (const step of ['verify', 'start'] as const) if (FROM[step].includes(row.status)) steps.push(step);
  if (mayExtend(row, now)) steps.push('extend');
  for (const step of ['complete', 'refuse'] as const) if (FROM[step].includes(row.status)) steps.push(step);
  return steps;
}

function mayExtend(row: repo.RequestRow, now: Date): boolean {
  return OPEN.has(row.status) && row.extension_months < MAX_EXTENSION_MONTHS && !isPastDue(row.original_due_date, now);
}

/** A short reference for people to say and search: the random tail of the id. */
export function requestReference(id: string): string {
  return `R-${id.replace(/-/g, '').slice(-8).toUpperCase()}`;
}

export function toPrivacyRequest(row: repo.RequestRow, now = new Date()): PrivacyRequest {
  const open = OPEN.has(row.status);
  return {
    id: row.id,
    reference: requestReference(row.id),
    type: row.type,
    status: row.status,
    channel: row.channel,
    contactId: row.person_table === 'contacts' ? row.person_id : null,
    leadId: row.person_table === 'leads' ? row.person_id : null,
    hasEmail: row.email_enc !== null,
    receivedAt: row.received_at,
    dueAt: row.due_date,
    originalDueAt: row.original_due_date,
    extensionMonths: row.extension_months,
    extendedAt: row.extended_at,
    informPersonOfExtensionBy: row.extension_months > 0 ? row.original_due_date : null,
    overdue: open && isPastDue(row.due_date, now),
    daysLeft: open ? daysUntil(row.due_date, now) : null,
    assigneeId: row.assignee_id,
    verification: row.verified_at ? { method: row.verification_method ?? 'other', at: row.verified_at, by: row.verified_by } : null,
    startedAt: row.started_at,
    closedAt: row.closed_at,
    closedBy: row.closed_by,
    refusalLegalBasis: row.refusal_legal_basis,
    nextSteps: nextStepsOf(row, now),
    createdBy: row.created_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    version: row.version,
  };
}

// --- sealing ---------------------------------------------------------------------------------

function sealRef(row: Pick<repo.RequestRow, 'tenant_id' | 'seal_subject_id'>, table: string, rowId: string, field: string) {
  return { tenantId: row.tenant_id, subjectId: row.seal_subject_id, table, rowId, field };
}

/** Opens a sealed value, or null once the key that sealed it has been shredded (the person was erased). */
async function openOrNull(db: Kysely<Database>, keyring: Keyring, ref: ReturnType<typeof sealRef>, sealed: Buffer | null) {
  if (!sealed) return null;
  try {
    return await openField(db, keyring, ref, sealed);
  } catch {
    return null;
  }
}

// --- who the request is about ------------------------------------------------------------------

interface LinkedPerson {
  table: 'contacts' | 'leads';
  id: string;
  subjectId: string;
}

function notFoundAsPerson(error: unknown): never {
  if (error instanceof DomainError && error.code === 'record_not_found') throw new PrivacyError('person_not_found', 'no such person');
  throw error;
}

/**
 * The one person the address belongs to among those the actor may see, or
 * undefined when nobody or more than one person has it. A lead and the contact
 * it became are one person (one subject); the contact is linked then.
 */
async function personWithEmail(
  db: Kysely<Database>,
  keyring: Keyring,
  actor: Authenticated,
  email: string,
): Promise<LinkedPerson | undefined> {
  const found = new Map<string, LinkedPerson>();
  const lookups = [
    ['contacts', () => listContacts(db, keyring, actor, { email, limit: 3, auditAs: 'search' })],
    ['leads', () => listLeads(db, keyring, actor, { email, limit: 3, auditAs: 'search' })],
  ] as const;
  for (const [table, lookup] of lookups) {
    let page;
    try {
      page = await lookup();
    } catch (error) {
      // A privacy officer without the module's view permission simply does not find people there.
      if (error instanceof AccessError && error.code === 'permission_denied') continue;
      throw error;
    }
    for (const person of page.items)
      if (!found.has(person.subjectId)) found.set(person.subjectId, { table, id: person.id, subjectId: person.subjectId });
  }
  return found.size === 1 ? [...found.values()][0] : undefined;
}

async function linkedPerson(db: Kysely<Database>, keyring: Keyring, actor: Authenticated, input: OpenRequestInput) {
  const given = [input.contactId, input.leadId, input.email].filter((v) => v !== undefined).length;
  if (given !== 1) throw new PrivacyError('request_person_invalid', 'name exactly one of contactId, leadId or email');
  if (input.contactId)
    return {
      table: 'contacts',
      id: input.contactId,
      subjectId: await contactSubjectId(db, actor, input.contactId).catch(notFoundAsPerson),
    } as const;
  if (input.leadId)
    return { table: 'leads', id: input.leadId, subjectId: await leadSubjectId(db, actor, input.leadId).catch(notFoundAsPerson) } as const;
  return personWithEmail(db, keyring, actor, input.email!.trim());
}

async function assertAssignee(db: Kysely<Database>, actor: Authenticated, assigneeId: string | null | undefined): Promise<void> {
  if (assigneeId && !(await isActiveUser(db, actor.tenantId, assigneeId)))
    throw new PrivacyError('assignee_invalid', 'the assignee must be an active user of this tenant');
}

// --- audit and history ----------------------------------------------------------------------------

const AUDIT_ACTION: Record<PrivacyRequestStepAction, string> = {
  received: 'privacy_request.received',
  verified: 'privacy_request.verified',
  started: 'privacy_request.started',
  extended: 'privacy_request.extended',
  completed: 'privacy_request.completed',
  refused: 'privacy_request.refused',
  assigned: 'privacy_request.assigned',
  noted: 'privacy_request.noted',
  reminded: 'privacy_request.reminded',
  exported: 'privacy_request.exported',
};

interface StepInput {
  action: PrivacyRequestStepAction;
  from?: PrivacyRequestStatus | null;
  to?: PrivacyRequestStatus | null;
  /** Non-personal facts only. */
  details?: Record<string, DetailValue>;
  text?: string | null;
}

/** Writes a step of the case's history and its audit entry, in the caller's transaction. */
export async function recordStep(
  db: Kysely<Database>,
  keyring: Keyring,
  row: repo.RequestRow,
  actor: Parameters<typeof recordChange>[2]['actor'],
  step: StepInput,
): Promise<void> {
  const id = newId();
  const text = step.text?.trim() ? step.text.trim() : null;
  await repo.insertStep(db, {
    tenant_id: row.tenant_id,
    id,
    request_id: row.id,
    action: step.action,
    from_status: step.from ?? null,
    to_status: step.to ?? null,
    actor_user_id: actor.userId ?? null,
    details: JSON.stringify(step.details ?? {}),
    text_enc: text ? await sealField(db, keyring, sealRef(row, 'privacy_request_steps', id, 'text'), text) : null,
  });
  await recordChange(db, keyring, {
    tenantId: row.tenant_id,
    actor,
    action: AUDIT_ACTION[step.action],
    entity: 'privacy_requests',
    entityId: row.id,
    subjectIds: row.subject_id ? [row.subject_id] : [],
    fields: text ? ['text'] : [],
    details: {
      type: row.type,
      ...(step.from !== undefined ? { from: step.from } : {}),
      ...(step.to !== undefined ? { to: step.to } : {}),
      ...step.details,
      stepId: id,
    },
  });
}

// --- the operations -------------------------------------------------------------------------------

/** Opens a case. Privacy `edit` permission; a person named by id must be visible to the actor. */
export async function openRequest(
  db: Kysely<Database>,
  keyring: Keyring,
  actor: Authenticated,
  input: OpenRequestInput,
): Promise<PrivacyRequestDetail> {
  await requirePermission(db, actor, 'privacy', 'edit');
  const now = new Date();
  const receivedAt = input.receivedAt === undefined ? now : new Date(input.receivedAt);
  if (Number.isNaN(receivedAt.getTime())) throw new PrivacyError('received_in_future', 'receivedAt is not a time');
  if (receivedAt.getTime() > now.getTime() + RECEIPT_SKEW_MS)
    throw new PrivacyError('received_in_future', 'a request cannot have been received in the future');
  const person = await linkedPerson(db, keyring, actor, input);
  await assertAssignee(db, actor, input.assigneeId);
  const id = await db.transaction().execute(async (trx) => {
    const id = newId();
    const sealSubjectId = person?.subjectId ?? (await recordsSubjectId(trx, keyring, actor.tenantId));
    const email = input.email?.trim();
    const due = dueDateFor(receivedAt);
    const row = await repo.insertRequest(trx, {
      tenant_id: actor.tenantId,
      id,
      type: input.type,
      channel: input.channel ?? 'other',
      person_table: person?.table ?? null,
      person_id: person?.id ?? null,
      subject_id: person?.subjectId ?? null,
      seal_subject_id: sealSubjectId,
      email_enc: email
        ? await sealField(
            trx,
            keyring,
            sealRef({ tenant_id: actor.tenantId, seal_subject_id: sealSubjectId }, 'privacy_requests', id, 'email'),
            email,
          )
        : null,
      received_at: receivedAt,
      original_due_date: due,
      due_date: due,
      assignee_id: input.assigneeId ?? null,
      created_by: actor.user.id,
    });
    await recordStep(trx, keyring, row, auditActorOf(actor), {
      action: 'received',
      to: 'received',
      details: {
        channel: row.channel,
        dueDate: due,
        linkedBy: input.email ? (person ? 'email' : 'none') : 'id',
        ...(row.assignee_id ? { assigneeId: row.assignee_id } : {}),
      },
      text: input.note ?? null,
    });
    return id;
  });
  // The answer repeats what the caller just gave: no read to record.
  return getRequest(db, keyring, actor, id, { recordRead: false });
}

export interface RequestListQuery {
  status?: PrivacyRequestStatus | 'open' | 'closed' | 'all';
  overdue?: boolean;
  assigneeId?: string;
  limit?: number;
  cursor?: string;
}

const MAX_PAGE = 200;

/** Cases by due date, earliest first; open ones unless `status` says otherwise. */
export async function listRequests(
  db: Kysely<Database>,
  actor: Authenticated,
  query: RequestListQuery,
): Promise<{ items: PrivacyRequest[]; nextCursor: string | null }> {
  await requirePermission(db, actor, 'privacy', 'view');
  const now = new Date();
  const status = query.status ?? 'open';
  const statuses =
    status === 'open'
      ? repo.OPEN_STATUSES
      : status === 'closed'
        ? (['completed', 'refused'] as const)
        : status === 'all'
          ? REQUEST_STATUSES
          : [status];
  const limit = Math.min(Math.max(query.limit ?? 50, 1), MAX_PAGE);
  const after = decodeKeysetCursor(query.cursor, 'date');
  const rows = await repo.listRequests(db, actor.tenantId, {
    statuses,
    ...(query.overdue !== undefined ? { overdue: { today: utcDate(now), value: query.overdue } } : {}),
    ...(query.assigneeId ? { assigneeId: query.assigneeId } : {}),
    ...(after ? { after: { dueDate: after.key, id: after.id } } : {}),
    limit: limit + 1,
  });
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    items: page.map((row) => toPrivacyRequest(row, now)),
    nextCursor: rows.length > limit && last ? encodeKeysetCursor({ key: last.due_date, id: last.id }) : null,
  };
}

async function requestOf(db: Kysely<Database>, actor: Authenticated, id: string, forUpdate = false): Promise<repo.RequestRow> {
  const row = await repo.findRequest(db, actor.tenantId, id, { forUpdate });
  if (!row) throw new PrivacyError('request_not_found', 'no such request');
  return row;
}

/** The case with its address and history; the read is on record. */
export async function getRequest(
  db: Kysely<Database>,
  keyring: Keyring,
  actor: Authenticated,
  id: string,
  options: { recordRead?: boolean } = {},
): Promise<PrivacyRequestDetail> {
  await requirePermission(db, actor, 'privacy', 'view');
  const row = await requestOf(db, actor, id);
  const steps = await repo.stepsOf(db, actor.tenantId, id);
  const detail: PrivacyRequestDetail = {
    ...toPrivacyRequest(row),
    email: await openOrNull(db, keyring, sealRef(row, 'privacy_requests', row.id, 'email'), row.email_enc),
    steps: await Promise.all(
      steps.map(async (s) => ({
        id: s.id,
        action: s.action,
        at: s.at,
        actorUserId: s.actor_user_id,
        fromStatus: s.from_status,
        toStatus: s.to_status,
        details: s.details,
        text: await openOrNull(db, keyring, sealRef(row, 'privacy_request_steps', s.id, 'text'), s.text_enc),
      })),
    ),
  };
  if (options.recordRead === false) return detail;
  await recordRead(db, keyring, {
    tenantId: actor.tenantId,
    actor: auditActorOf(actor),
    action: 'privacy_request.read',
    entity: 'privacy_requests',
    entityId: row.id,
    subjectIds: row.subject_id ? [row.subject_id] : [],
    fields: [...(row.email_enc ? ['email'] : []), ...(steps.some((s) => s.text_enc) ? ['notes'] : [])],
  });
  return detail;
}

/** Runs one change of a case in a transaction with the case locked; privacy `edit` permission. */
async function changeRequest(
  db: Kysely<Database>,
  actor: Authenticated,
  id: string,
  change: (trx: Kysely<Database>, row: repo.RequestRow, now: Date) => Promise<repo.RequestRow>,
): Promise<PrivacyRequest> {
  await requirePermission(db, actor, 'privacy', 'edit');
  return db.transaction().execute(async (trx) => {
    const now = new Date();
    const row = await requestOf(trx, actor, id, true);
    return toPrivacyRequest(await change(trx, row, now), now);
  });
}

function assertFrom(row: repo.RequestRow, step: Exclude<RequestStep, 'extend'>): void {
  if (!FROM[step].includes(row.status))
    throw new PrivacyError('invalid_transition', `a ${row.status.replace('_', ' ')} request cannot be ${PAST[step]}`, {
      status: row.status,
      allowed: nextStepsOf(row, new Date()),
    });
}

const PAST: Record<Exclude<RequestStep, 'extend'>, string> = {
  verify: 'verified',
  start: 'started',
  complete: 'completed',
  refuse: 'refused',
};

/** Records how the requester's identity was verified, by whom and when (received → verified). */
export function verifyRequest(
  db: Kysely<Database>,
  keyring: Keyring,
  actor: Authenticated,
  id: string,
  input: { method: VerificationMethod; note?: string },
): Promise<PrivacyRequest> {
  return changeRequest(db, actor, id, async (trx, row, now) => {
    assertFrom(row, 'verify');
    const updated = await repo.updateRequest(trx, actor.tenantId, id, {
      status: 'verified',
      verification_method: input.method,
      verified_at: now,
      verified_by: actor.user.id,
    });
    await recordStep(trx, keyring, updated, auditActorOf(actor), {
      action: 'verified',
      from: row.status,
      to: 'verified',
      details: { method: input.method },
      text: input.note ?? null,
    });
    return updated;
  });
}

/** Work on the request begins (verified → in progress). */
export function startRequest(db: Kysely<Database>, keyring: Keyring, actor: Authenticated, id: string): Promise<PrivacyRequest> {
  return changeRequest(db, actor, id, async (trx, row, now) => {
    assertFrom(row, 'start');
    const updated = await repo.updateRequest(trx, actor.tenantId, id, { status: 'in_progress', started_at: now });
    await recordStep(trx, keyring, updated, auditActorOf(actor), { action: 'started', from: row.status, to: 'in_progress' });
    return updated;
  });
}

/**
 * Extends the deadline by one or two months (Art. 12(3)): only while the first
 * month runs, at most two months in all, counted from receipt. The reason is
 * kept; the person must be told of the extension and its reasons within the
 * first month, which the answer's `informPersonOfExtensionBy` says.
 */
export function extendRequest(
  db: Kysely<Database>,
  keyring: Keyring,
  actor: Authenticated,
  id: string,
  input: { months: number; reason: string },
): Promise<PrivacyRequest> {
  return changeRequest(db, actor, id, async (trx, row, now) => {
    if (!OPEN.has(row.status))
      throw new PrivacyError('invalid_transition', `a ${row.status} request cannot be extended`, { status: row.status });
    if (isPastDue(row.original_due_date, now))
      throw new PrivacyError(
        'extension_too_late',
        `an extension must be decided and told within the first month; that ended on ${row.original_due_date}`,
        { originalDueAt: row.original_due_date },
      );
    const total = row.extension_months + input.months;
    if (total > MAX_EXTENSION_MONTHS)
      throw new PrivacyError('extension_limit', `a request can be extended by at most ${MAX_EXTENSION_MONTHS} months in all`, {
        extensionMonths: row.extension_months,
      });
    if (!input.reason.trim()) throw new PrivacyError('reason_required', 'an extension needs its reason');
    const due = dueDateFor(row.received_at, total);
    // A later date re-arms the "due soon" reminder.
    const updated = await repo.updateRequest(trx, actor.tenantId, id, {
      extension_months: total,
      due_date: due,
      extended_at: now,
      reminded_soon_at: null,
      reminded_overdue_at: null,
    });
    await recordStep(trx, keyring, updated, auditActorOf(actor), {
      action: 'extended',
      details: { months: input.months, totalMonths: total, dueDate: due, informPersonBy: row.original_due_date },
      text: input.reason,
    });
    return updated;
  });
}

/** The request was carried out (verified or in progress → completed). */
export function completeRequest(
  db: Kysely<Database>,
  keyring: Keyring,
  actor: Authenticated,
  id: string,
  input: { note?: string },
): Promise<PrivacyRequest> {
  return changeRequest(db, actor, id, async (trx, row, now) => {
    assertFrom(row, 'complete');
    const updated = await repo.updateRequest(trx, actor.tenantId, id, { status: 'completed', closed_at: now, closed_by: actor.user.id });
    await recordStep(trx, keyring, updated, auditActorOf(actor), {
      action: 'completed',
      from: row.status,
      to: 'completed',
      text: input.note ?? null,
    });
    return updated;
  });
}

/** The request is refused with its reason and, where one applies, the legal basis (Art. 12(4)–(6), 17(3), 23). */
export function refuseRequest(
  db: Kysely<Database>,
  keyring: Keyring,
  actor: Authenticated,
  id: string,
  input: { reason: string; legalBasis?: string },
): Promise<PrivacyRequest> {
  return changeRequest(db, actor, id, async (trx, row, now) => {
    assertFrom(row, 'refuse');
    if (!input.reason.trim()) throw new PrivacyError('reason_required', 'a refusal needs its reason');
    const legalBasis = input.legalBasis?.trim() || null;
    const updated = await repo.updateRequest(trx, actor.tenantId, id, {
      status: 'refused',
      closed_at: now,
      closed_by: actor.user.id,
      refusal_legal_basis: legalBasis,
    });
    await recordStep(trx, keyring, updated, auditActorOf(actor), {
      action: 'refused',
      from: row.status,
      to: 'refused',
      details: legalBasis ? { legalBasis } : {},
      text: input.reason,
    });
    return updated;
  });
}

/** Assigns the case (or unassigns it with null); `version` must be the case's current one. */
export function updateRequest(
  db: Kysely<Database>,
  keyring: Keyring,
  actor: Authenticated,
  id: string,
  input: { assigneeId?: string | null; version?: number },
  ifMatch?: number,
): Promise<PrivacyRequest> {
  return changeRequest(db, actor, id, async (trx, row) => {
    const expected = ifMatch ?? input.version;
    if (expected !== undefined && expected !== row.version)
      throw new PrivacyError('version_conflict', 'the request was changed meanwhile; reload it and try again', { version: row.version });
    if (input.assigneeId === undefined || input.assigneeId === row.assignee_id) return row;
    if (!OPEN.has(row.status))
      throw new PrivacyError('invalid_transition', `a ${row.status} request cannot be reassigned`, { status: row.status });
    await assertAssignee(trx, actor, input.assigneeId);
    // A new assignee gets the reminders afresh.
    const updated = await repo.updateRequest(trx, actor.tenantId, id, {
      assignee_id: input.assigneeId,
      reminded_soon_at: null,
      reminded_overdue_at: null,
    });
    await recordStep(trx, keyring, updated, auditActorOf(actor), {
      action: 'assigned',
      details: { assigneeId: input.assigneeId, previousAssigneeId: row.assignee_id },
    });
    return updated;
  });
}

/** An internal note on the case, sealed. */
export function addRequestNote(
  db: Kysely<Database>,
  keyring: Keyring,
  actor: Authenticated,
  id: string,
  input: { text: string },
): Promise<PrivacyRequest> {
  return changeRequest(db, actor, id, async (trx) => {
    if (!input.text.trim()) throw new PrivacyError('reason_required', 'a note needs its text');
    const updated = await repo.updateRequest(trx, actor.tenantId, id, {});
    await recordStep(trx, keyring, updated, auditActorOf(actor), { action: 'noted', text: input.text });
    return updated;
  });
}
