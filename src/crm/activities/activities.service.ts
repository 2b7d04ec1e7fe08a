import type { Kysely } from 'kysely';
import { assertSubjectUnrestricted, recordingBlocked } from '../common/restriction.js';
import { AccessError } from '../../access/access.errors.js';
import { accessOf, assertWritable, redact, requirePermission } from '../../access/access.service.js';
import type { Access } from '../../access/policy.js';
import { auditActorOf, changesBetween, fieldsShown, recordChange, recordRead } from '../../audit/recorder.js';
import type { ActivityType, Database } from '../../db/schema.js';
import { inTransaction } from '../../db/transaction.js';
import type { Authenticated } from '../../shared/actor.js';
import { isActiveUser } from '../../identity/users.service.js';
import type { Keyring } from '../../keys/keyring.js';
import { decryptField, fieldKey } from '../../keys/field-crypto.js';
import { recordsSubjectId, sealField, subjectKeys } from '../../keys/keys.service.js';
import { newId } from '../../shared/ids.js';
import * as repo from './activities.repository.js';
import { CrmError } from '../common/crm.errors.js';
import { instant } from '../common/instant.js';
import { plainCustomValues } from '../custom-fields/custom-fields.service.js';
import { ownerGroupOf } from '../common/ownership.js';
import { decodeCursor, pageOf, pageSize } from '../../shared/cursor.js';
import { livePerson } from '../common/links.repository.js';
import { isLinkable, sees } from '../common/links.service.js';
import { moveToBin } from '../recycle-bin/recycle-bin.repository.js';

/**
 * Activities: tasks, calls and meetings, each assigned to a user and linked
 * to any record. The subject line is plain so lists can show and sort it;
 * the description is free text that may describe a person, so it is
 * ciphertext under the linked contact's or lead's key (or the tenant's
 * records key when no person is linked) and goes when that person is erased.
 */

export interface Activity {
  id: string;
  type: ActivityType;
  subject: string;
  description: string | null;
  dueAt: Date | null;
  startAt: Date | null;
  endAt: Date | null;
  done: boolean;
  doneAt: Date | null;
  assigneeId: string;
  ownerId: string;
  ownerGroupId: string | null;
  contactId: string | null;
  leadId: string | null;
  organizationId: string | null;
  dealId: string | null;
  custom: Record<string, unknown>;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

type Instant = string | Date | null;

export interface ActivityInput {
  type?: ActivityType;
  subject?: string;
  description?: string | null;
  dueAt?: Instant;
  startAt?: Instant;
  endAt?: Instant;
  done?: boolean;
  assigneeId?: string;
  ownerId?: string;
  ownerGroupId?: string | null;
  contactId?: string | null;
  leadId?: string | null;
  organizationId?: string | null;
  dealId?: string | null;
  custom?: Record<string, unknown>;
}

export const ACTIVITY_TYPES: ActivityType[] = ['task', 'call', 'meeting'];
export const ACTIVITY_SORTS = ['dueAt', 'createdAt', '-createdAt'] as const;
export type ActivitySort = (typeof ACTIVITY_SORTS)[number];

type Row = NonNullable<Awaited<ReturnType<typeof repo.findActivity>>>;

function ref(tenantId: string, id: string, subjectId: string) {
  return { tenantId, subjectId, table: 'activities', rowId: id, field: 'description' };
}

/**
 * Activities with their descriptions opened: the subject keys of all of them
 * in one lookup (a page costs one query, not one per row). A description is
 * null once the person it was sealed for has been erased (no key), and is not
 * decrypted at all when the actor's profile hides it.
 */
async function toActivities(db: Kysely<Database>, keyring: Keyring, rows: Row[], access?: Access): Promise<Activity[]> {
  const hidden = access?.field('activities', 'description') === 'hidden';
  const sealed = hidden ? [] : rows.filter((r) => r.description_enc);
  const keys =
    sealed.length > 0
      ? await subjectKeys(
          db,
          keyring,
          sealed[0]!.tenant_id,
          sealed.map((r) => r.subject_id),
        )
      : new Map<string, Buffer>();
  return rows.map((row) => {
    const key = keys.get(row.subject_id);
    const description =
      !hidden && row.description_enc && key
        ? decryptField(fieldKey(key), ref(row.tenant_id, row.id, row.subject_id), row.description_enc)
        : null;
    const activity = toActivity(row, description);
    return access ? redact(access, 'activities', activity) : activity;
  });
}

async function toActivityOpened(db: Kysely<Database>, keyring: Keyring, row: Row, access?: Access): Promise<Activity> {
  return (await toActivities(db, keyring, [row], access))[0]!;
}

function toActivity(row: Row, description: string | null): Activity {
  return {
    id: row.id,
    type: row.type,
    subject: row.subject,
    description,
    dueAt: row.due_at,
    startAt: row.start_at,
    endAt: row.end_at,
    done: row.done,
    doneAt: row.done_at,
    assigneeId: row.assignee_id,
    ownerId: row.owner_id,
    ownerGroupId: row.owner_group_id,
    contactId: row.contact_id,
    leadId: row.lead_id,
    organizationId: row.organization_id,
    dealId: row.deal_id,
    custom: row.custom,
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function activityType(value: ActivityType | undefined): ActivityType {
  if (value === undefined || !ACTIVITY_TYPES.includes(value)) throw new CrmError('invalid_field', 'type must be task, call or meeting');
  return value;
}

function subjectLine(value: string | undefined): string {
  const trimmed = (value ?? '').trim();
  if (!trimmed || trimmed.length > 300) throw new CrmError('invalid_field', 'subject must be 1 to 300 characters');
  return trimmed;
}

function descriptionText(value: string | null | undefined): string | null {
  if (value === undefined || value === null) return null;
  const trimmed = value.trim();
  if (trimmed.length > 100_000) throw new CrmError('invalid_field', 'description must be at most 100,000 characters');
  return trimmed || null;
}

/** A due, start or end time: a date alone is refused, so that no activity silently lands at midnight UTC. */
function dateTime(value: Instant | undefined, field: string): Date | null {
  if (value === undefined || value === null) return null;
  const expected = 'a date-time such as 2025-03-01T09:00:00Z';
  if (typeof value === 'string' && !/^\d{4}-\d{2}-\d{2}T/.test(value)) throw new CrmError('invalid_field', `${field} must be ${expected}`);
  return instant(value, field, expected)!;
}

async function userOf(db: Kysely<Database>, actor: Authenticated, id: string | undefined, field: string): Promise<string> {
  if (id === undefined || id === actor.user.id) return actor.user.id;
  if (!(await isActiveUser(db, actor.tenantId, id))) throw new CrmError('invalid_field', `${field} does not name an active user`);
  return id;
}

interface Links {
  contact_id: string | null;
  lead_id: string | null;
  organization_id: string | null;
  deal_id: string | null;
}

/**
 * Checks the links named, and answers the subject whose key seals the
 * description. A link must name a live record of the tenant, and one being
 * made a record the actor could read: any other id answers alike.
 */
async function linksOf(
  db: Kysely<Database>,
  keyring: Keyring,
  actor: Authenticated,
  input: ActivityInput,
  current?: Links & { subject_id: string },
): Promise<Links & { subject_id: string }> {
  const links: Links = {
    contact_id: input.contactId !== undefined ? input.contactId : (current?.contact_id ?? null),
    lead_id: input.leadId !== undefined ? input.leadId : (current?.lead_id ?? null),
    organization_id: input.organizationId !== undefined ? input.organizationId : (current?.organization_id ?? null),
    deal_id: input.dealId !== undefined ? input.dealId : (current?.deal_id ?? null),
  };
  const checks = [
    ['organizationId', 'organizations', input.organizationId, current?.organization_id],
    ['dealId', 'deals', input.dealId, current?.deal_id],
  ] as const;
  for (const [field, table, id, kept] of checks) {
    if (id && !(await isLinkable(db, actor, table, id, kept))) throw new CrmError('invalid_field', `${field} does not name a record`);
  }
  // The description stays under its person's key until the person linked changes.
  if (current && input.contactId === undefined && input.leadId === undefined) return { ...links, subject_id: current.subject_id };
  const person = async (
    table: 'contacts' | 'leads',
    id: string | null,
    named: string | null | undefined,
    kept: string | null | undefined,
  ) => {
    const row = id ? await livePerson(db, table, actor.tenantId, id) : undefined;
    if (!named) return row;
    if (!row || (named !== kept && !sees(await accessOf(db, actor), table, row))) return null;
    return row;
  };
  const contact = await person('contacts', links.contact_id, input.contactId, current?.contact_id);
  if (contact === null) throw new CrmError('invalid_field', 'contactId does not name a contact');
  const lead = await person('leads', links.lead_id, input.leadId, current?.lead_id);
  if (lead === null) throw new CrmError('invalid_field', 'leadId does not name a lead');
  const subjectId = contact?.subject_id ?? lead?.subject_id ?? (await recordsSubjectId(db, keyring, actor.tenantId));
  return { ...links, subject_id: subjectId };
}

function checkTimes(values: { start_at: Date | null; end_at: Date | null }): void {
  if (values.start_at && values.end_at && values.end_at < values.start_at)
    throw new CrmError('invalid_field', 'endAt must not be before startAt');
}

/** The person an activity is about, for the audit trail: its contact's or lead's. */
const aboutPeople = (row: Pick<Row, 'contact_id' | 'lead_id' | 'subject_id'>): string[] =>
  row.contact_id || row.lead_id ? [row.subject_id] : [];

/** An activity is reached by its owner's reach under the sharing model, and always by its assignee. */
function reaches(
  access: Access,
  row: { owner_id: string; owner_group_id: string | null; assignee_id: string },
  mode: 'read' | 'write',
): boolean {
  if (row.assignee_id === access.userId) return true;
  const owner = { ownerId: row.owner_id, ownerGroupId: row.owner_group_id };
  return mode === 'read' ? access.mayRead('activities', owner) : access.mayWrite('activities', owner);
}

async function activityRow(db: Kysely<Database>, actor: Authenticated, id: string, action: 'view' | 'edit' | 'delete') {
  const access = await requirePermission(db, actor, 'activities', 'view');
  const row = await repo.findActivity(db, actor.tenantId, id);
  if (!row || !reaches(access, row, 'read')) throw new CrmError('record_not_found', 'no such activity');
  if (action !== 'view') {
    await requirePermission(db, actor, 'activities', action);
    if (!reaches(access, row, 'write')) throw new AccessError('permission_denied', 'you may see this activity but not change it');
  }
  return { row, access };
}

export async function createActivity(
  db: Kysely<Database>,
  keyring: Keyring,
  actor: Authenticated,
  input: ActivityInput,
): Promise<Activity> {
  const access = await requirePermission(db, actor, 'activities', 'create');
  assertWritable(access, 'activities', input);
  const type = activityType(input.type);
  const subject = subjectLine(input.subject);
  const text = descriptionText(input.description);
  const times = {
    due_at: dateTime(input.dueAt, 'dueAt'),
    start_at: dateTime(input.startAt, 'startAt'),
    end_at: dateTime(input.endAt, 'endAt'),
  };
  checkTimes(times);
  return recordingBlocked(db, keyring, actor, { table: 'activities', id: null }, 'activity', () =>
    inTransaction(db, async (trx) => {
      const links = await linksOf(trx, keyring, actor, input);
      if (links.contact_id || links.lead_id) await assertSubjectUnrestricted(trx, actor.tenantId, links.subject_id);
      const id = newId();
      const row = await repo.insertActivity(trx, actor.tenantId, {
        id,
        type,
        subject,
        ...times,
        ...links,
        description_enc: text === null ? null : await sealField(trx, keyring, ref(actor.tenantId, id, links.subject_id), text),
        done: input.done ?? false,
        done_at: input.done ? new Date() : null,
        assignee_id: await userOf(trx, actor, input.assigneeId, 'assigneeId'),
        owner_id: await userOf(trx, actor, input.ownerId, 'ownerId'),
        owner_group_id: ownerGroupOf(access, input.ownerGroupId),
        custom: await plainCustomValues(trx, actor.tenantId, 'activities', {}, input.custom),
      });
      const created = await toActivityOpened(trx, keyring, row);
      const { fields, values } = changesBetween(null, created);
      await recordChange(trx, keyring, {
        tenantId: actor.tenantId,
        actor: auditActorOf(actor),
        action: 'activity.created',
        entity: 'activities',
        entityId: id,
        subjectIds: aboutPeople(row),
        fields,
        values: { subjectId: row.subject_id, data: values },
      });
      return redact(access, 'activities', created);
    }),
  );
}

export async function getActivity(db: Kysely<Database>, keyring: Keyring, actor: Authenticated, id: string): Promise<Activity> {
  const { row, access } = await activityRow(db, actor, id, 'view');
  const shown = await toActivityOpened(db, keyring, row, access);
  if (row.description_enc) {
    await recordRead(db, keyring, {
      tenantId: actor.tenantId,
      actor: auditActorOf(actor),
      action: 'activity.read',
      entity: 'activities',
      entityId: id,
      subjectIds: aboutPeople(row),
      fields: fieldsShown(shown),
    });
  }
  return shown;
}

export interface ActivityListQuery {
  limit?: number;
  cursor?: string;
  sort?: ActivitySort;
  type?: ActivityType;
  assigneeId?: string;
  ownerGroupId?: string;
  /** The actor's own activities (assigned to them). */
  mine?: boolean;
  /** Only those not done. */
  open?: boolean;
  /** Not done and past their due time. */
  overdue?: boolean;
  contactId?: string;
  leadId?: string;
  organizationId?: string;
  dealId?: string;
  dueFrom?: string | Date;
  dueTo?: string | Date;
}

/** A page of activities; `mine&open` is "my open tasks", `overdue` what is late. */
export async function listActivities(
  db: Kysely<Database>,
  keyring: Keyring,
  actor: Authenticated,
  query: ActivityListQuery,
): Promise<{ items: Activity[]; nextCursor: string | null }> {
  const access = await requirePermission(db, actor, 'activities', 'view');
  const scope = access.owners('activities', 'read');
  const limit = pageSize(query.limit);
  const sort = query.sort ?? 'dueAt';
  if (!ACTIVITY_SORTS.includes(sort)) throw new CrmError('invalid_field', `sort must be one of ${ACTIVITY_SORTS.join(', ')}`);
  const after = decodeCursor(query.cursor, sort);
  if (after && after.key !== null && typeof after.key !== 'string')
    throw new CrmError('invalid_cursor', 'cursor is not one this API gave out');
  if (query.mine && query.assigneeId && query.assigneeId !== actor.user.id) return { items: [], nextCursor: null };
  const assigneeId = query.mine ? actor.user.id : query.assigneeId;
  const dueFrom = dateTime(query.dueFrom ?? null, 'dueFrom');
  const dueTo = dateTime(query.dueTo ?? null, 'dueTo');
  const rows = await repo.listActivities(db, actor.tenantId, {
    sort,
    after: after ? { id: after.id, key: (after.key as string | null | undefined) ?? null } : null,
    limit: limit + 1,
    ...(query.type ? { type: query.type } : {}),
    ...(assigneeId ? { assigneeId } : {}),
    ...(query.open ? { open: true } : {}),
    ...(query.overdue ? { overdueAt: new Date() } : {}),
    ...(query.contactId ? { contactId: query.contactId } : {}),
    ...(query.leadId ? { leadId: query.leadId } : {}),
    ...(query.organizationId ? { organizationId: query.organizationId } : {}),
    ...(query.dealId ? { dealId: query.dealId } : {}),
    ...(dueFrom ? { dueFrom } : {}),
    ...(dueTo ? { dueTo } : {}),
    ...(query.ownerGroupId ? { ownerGroupId: query.ownerGroupId } : {}),
    ...(scope.all ? {} : { reach: { owners: scope, assigneeId: actor.user.id } }),
  });
  const page = pageOf(rows, limit, (r) => r.sort_key, sort);
  const items = await toActivities(db, keyring, page.rows, access);
  // Descriptions are personal; a page that shows none of them reads nothing personal.
  const personal = page.rows.filter((r) => r.description_enc);
  if (personal.length > 0 && items[0] && 'description' in items[0]) {
    await recordRead(db, keyring, {
      tenantId: actor.tenantId,
      actor: auditActorOf(actor),
      action: 'activity.listed',
      entity: 'activities',
      subjectIds: [...new Set(personal.flatMap(aboutPeople))],
      fields: fieldsShown(items[0]),
      details: { count: items.length },
    });
  }
  return { items, nextCursor: page.nextCursor };
}

/**
 * Changes an activity. Marking it done stamps when; linking it to another
 * person re-seals the description under that person's key.
 */
export async function updateActivity(
  db: Kysely<Database>,
  keyring: Keyring,
  actor: Authenticated,
  id: string,
  input: ActivityInput & { version?: number },
  ifMatch?: number,
): Promise<Activity> {
  return recordingBlocked(db, keyring, actor, { table: 'activities', id }, 'activity', () =>
    inTransaction(db, async (trx) => {
      const { row, access } = await activityRow(trx, actor, id, 'edit');
      assertWritable(access, 'activities', input);
      const expected = ifMatch ?? input.version ?? row.version;
      if (row.contact_id || row.lead_id) await assertSubjectUnrestricted(trx, actor.tenantId, row.subject_id);
      const links = await linksOf(trx, keyring, actor, input, row);
      if (links.contact_id || links.lead_id) await assertSubjectUnrestricted(trx, actor.tenantId, links.subject_id);
      const before = await toActivityOpened(trx, keyring, row);
      const text = input.description !== undefined ? descriptionText(input.description) : before.description;
      const times = {
        due_at: input.dueAt !== undefined ? dateTime(input.dueAt, 'dueAt') : row.due_at,
        start_at: input.startAt !== undefined ? dateTime(input.startAt, 'startAt') : row.start_at,
        end_at: input.endAt !== undefined ? dateTime(input.endAt, 'endAt') : row.end_at,
      };
      checkTimes(times);
      const done = input.done ?? row.done;
      const values: Partial<repo.ActivityValues> = {
        ...(input.type !== undefined ? { type: activityType(input.type) } : {}),
        ...(input.subject !== undefined ? { subject: subjectLine(input.subject) } : {}),
        ...times,
        ...links,
        description_enc: text === null ? null : await sealField(trx, keyring, ref(actor.tenantId, id, links.subject_id), text),
        done,
        done_at: done ? (row.done_at ?? new Date()) : null,
        ...(input.assigneeId !== undefined ? { assignee_id: await userOf(trx, actor, input.assigneeId, 'assigneeId') } : {}),
        ...(input.ownerId !== undefined ? { owner_id: await userOf(trx, actor, input.ownerId, 'ownerId') } : {}),
        ...(input.ownerGroupId !== undefined ? { owner_group_id: ownerGroupOf(access, input.ownerGroupId, row.owner_group_id) } : {}),
        ...(input.custom !== undefined
          ? { custom: await plainCustomValues(trx, actor.tenantId, 'activities', row.custom, input.custom) }
          : {}),
      };
      const updated = await repo.updateActivity(trx, actor.tenantId, id, expected, values);
      if (!updated) throw new CrmError('version_conflict', `the activity changed since version ${expected}; reload and try again`);
      const after = await toActivityOpened(trx, keyring, updated);
      const { fields, values: changes } = changesBetween(before, after);
      await recordChange(trx, keyring, {
        tenantId: actor.tenantId,
        actor: auditActorOf(actor),
        action: 'activity.updated',
        entity: 'activities',
        entityId: id,
        subjectIds: [...new Set([...aboutPeople(row), ...aboutPeople(updated)])],
        fields,
        values: { subjectId: updated.subject_id, data: changes },
        details: { version: updated.version },
      });
      return redact(access, 'activities', after);
    }),
  );
}

/** Soft delete: the activity goes to the recycle bin for 30 days. */
export async function deleteActivity(db: Kysely<Database>, keyring: Keyring, actor: Authenticated, id: string): Promise<void> {
  await recordingBlocked(db, keyring, actor, { table: 'activities', id }, 'delete activity', () =>
    inTransaction(db, async (trx) => {
      const { row } = await activityRow(trx, actor, id, 'delete');
      if (row.contact_id || row.lead_id) await assertSubjectUnrestricted(trx, actor.tenantId, row.subject_id);
      if (!(await moveToBin(trx, actor.tenantId, 'activities', id))) throw new CrmError('record_not_found', 'no such activity');
      await recordChange(trx, keyring, {
        tenantId: actor.tenantId,
        actor: auditActorOf(actor),
        action: 'activity.deleted',
        entity: 'activities',
        entityId: id,
        subjectIds: aboutPeople(row),
      });
    }),
  );
}
