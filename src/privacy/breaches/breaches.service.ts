import type { Kysely, Updateable } from 'kysely';
import { requirePermission } from '../../access/access.service.js';
import { auditActorOf, recordChange } from '../../audit/recorder.js';
import type { Database, PrivacyBreachesTable, PrivacyBreachStatus } from '../../db/schema.js';
import type { Keyring } from '../../keys/keyring.js';
import { openField, recordsSubjectId, sealField } from '../../keys/keys.service.js';
import type { Authenticated } from '../../shared/actor.js';
import { newId } from '../../shared/ids.js';
import { PrivacyError } from '../privacy.errors.js';
import { decodeKeysetCursor, encodeKeysetCursor } from '../requests/keyset-cursor.js';
import * as repo from './breaches.repository.js';

/**
 * The breach register (GDPR Art. 33(5)): every personal data breach with its
 * facts, effects and remedial action, and the clock of Art. 33(1) — the
 * supervisory authority is to be told within 72 hours of becoming aware of
 * it. The deadline is `detectedAt` + 72 hours exactly (Regulation 1182/71
 * would start the count at the next full hour; the earlier moment is always
 * in time). Descriptions are free text that may name people: sealed under the
 * tenant's records subject.
 */

export const BREACH_STATUSES: readonly PrivacyBreachStatus[] = ['open', 'contained', 'closed'];
export const NOTIFY_WITHIN_MS = 72 * 3_600_000;
const DETECTION_SKEW_MS = 5 * 60_000;

export interface Breach {
  id: string;
  detectedAt: Date;
  occurredAt: Date | null;
  /** detectedAt + 72 hours (Art. 33(1)). */
  notifyAuthorityBy: Date;
  nature: string | null;
  categories: string[];
  subjectCategories: string[];
  approxSubjects: number;
  approxRecords: number;
  consequences: string | null;
  measures: string | null;
  status: PrivacyBreachStatus;
  authorityNotificationRequired: boolean;
  noNotificationReason: string | null;
  authorityNotifiedAt: Date | null;
  authorityReference: string | null;
  /** Told after the deadline (Art. 33(1) then asks for the reasons of the delay). */
  notifiedLate: boolean;
  delayReason: string | null;
  /** The decision on informing the people (Art. 34): null while undecided. */
  subjectsInformed: boolean | null;
  informReason: string | null;
  subjectsInformedAt: Date | null;
  /** Not yet notified although required, and past the deadline. */
  overdue: boolean;
  createdBy: string | null;
  createdAt: Date;
  updatedAt: Date;
  version: number;
}

export interface BreachInput {
  detectedAt: string;
  occurredAt?: string | null;
  nature: string;
  categories: string[];
  subjectCategories?: string[];
  approxSubjects: number;
  approxRecords: number;
  consequences: string;
  measures: string;
  status?: PrivacyBreachStatus;
  authorityNotificationRequired?: boolean;
  noNotificationReason?: string | null;
}

export interface BreachChanges {
  occurredAt?: string | null;
  nature?: string;
  categories?: string[];
  subjectCategories?: string[];
  approxSubjects?: number;
  approxRecords?: number;
  consequences?: string;
  measures?: string;
  status?: PrivacyBreachStatus;
  authorityNotificationRequired?: boolean;
  noNotificationReason?: string | null;
  authorityNotifiedAt?: string | null;
  authorityReference?: string | null;
  delayReason?: string | null;
  subjectsInformed?: boolean | null;
  informReason?: string | null;
  subjectsInformedAt?: string | null;
  version: number;
}

const SEALED = {
  nature: 'nature_enc',
  consequences: 'consequences_enc',
  measures: 'measures_enc',
  noNotificationReason: 'no_notification_reason_enc',
  delayReason: 'delay_reason_enc',
  informReason: 'inform_reason_enc',
} as const;
type SealedField = keyof typeof SEALED;

function ref(row: { tenant_id: string; seal_subject_id: string; id: string }, field: SealedField) {
  return { tenantId: row.tenant_id, subjectId: row.seal_subject_id, table: 'privacy_breaches', rowId: row.id, field };
}

async function openOrNull(db: Kysely<Database>, keyring: Keyring, row: repo.BreachRow, field: SealedField): Promise<string | null> {
  const sealed = row[SEALED[field]];
  if (!sealed) return null;
  try {
    return await openField(db, keyring, ref(row, field), sealed);
  } catch {
    return null;
  }
}

async function toBreach(db: Kysely<Database>, keyring: Keyring, row: repo.BreachRow, now: Date): Promise<Breach> {
  const notified = row.authority_notified_at;
  return {
    id: row.id,
    detectedAt: row.detected_at,
    occurredAt: row.occurred_at,
    notifyAuthorityBy: row.notify_authority_by,
    nature: await openOrNull(db, keyring, row, 'nature'),
    categories: row.categories,
    subjectCategories: row.subject_categories,
    approxSubjects: row.approx_subjects,
    approxRecords: row.approx_records,
    consequences: await openOrNull(db, keyring, row, 'consequences'),
    measures: await openOrNull(db, keyring, row, 'measures'),
    status: row.status,
    authorityNotificationRequired: row.authority_notification_required,
    noNotificationReason: await openOrNull(db, keyring, row, 'noNotificationReason'),
    authorityNotifiedAt: notified,
    authorityReference: row.authority_reference,
    notifiedLate: notified !== null && notified.getTime() > row.notify_authority_by.getTime(),
    delayReason: await openOrNull(db, keyring, row, 'delayReason'),
    subjectsInformed: row.subjects_informed,
    informReason: await openOrNull(db, keyring, row, 'informReason'),
    subjectsInformedAt: row.subjects_informed_at,
    overdue: row.authority_notification_required && notified === null && now.getTime() > row.notify_authority_by.getTime(),
    createdBy: row.created_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    version: row.version,
  };
}

function moment(value: string, field: string): Date {
  const at = new Date(value);
  if (Number.isNaN(at.getTime())) throw new PrivacyError('breach_invalid', `${field} is not a time`);
  return at;
}

function notInFuture(at: Date, field: string, now: Date): Date {
  if (at.getTime() > now.getTime() + DETECTION_SKEW_MS) throw new PrivacyError('breach_invalid', `${field} cannot be in the future`);
  return at;
}

const blank = (value: string | null | undefined) => value === undefined || value === null || value.trim() === '';

/** Records a breach; its notification deadline is 72 hours after detection. Privacy `edit` permission. */
export async function recordBreach(db: Kysely<Database>, keyring: Keyring, actor: Authenticated, input: BreachInput): Promise<Breach> {
  await requirePermission(db, actor, 'privacy', 'edit');
  const now = new Date();
  const detectedAt = notInFuture(moment(input.detectedAt, 'detectedAt'), 'detectedAt', now);
  const occurredAt = input.occurredAt ? notInFuture(moment(input.occurredAt, 'occurredAt'), 'occurredAt', now) : null;
  if (occurredAt && occurredAt.getTime() > detectedAt.getTime())
    throw new PrivacyError('breach_invalid', 'a breach cannot have occurred after it was detected');
  const required = input.authorityNotificationRequired ?? true;
  if (!required && blank(input.noNotificationReason))
    throw new PrivacyError('reason_required', 'deciding not to notify the authority needs its reason (Art. 33(1), 33(5))');
  const row = await db.transaction().execute(async (trx) => {
    const id = newId();
    const target = { tenant_id: actor.tenantId, seal_subject_id: await recordsSubjectId(trx, keyring, actor.tenantId), id };
    const seal = (field: SealedField, value: string) => sealField(trx, keyring, ref(target, field), value);
    const row = await repo.insertBreach(trx, {
      tenant_id: actor.tenantId,
      id,
      detected_at: detectedAt,
      occurred_at: occurredAt,
      notify_authority_by: new Date(detectedAt.getTime() + NOTIFY_WITHIN_MS),
      seal_subject_id: target.seal_subject_id,
      nature_enc: await seal('nature', input.nature),
      categories: JSON.stringify(input.categories),
      subject_categories: JSON.stringify(input.subjectCategories ?? []),
      approx_subjects: input.approxSubjects,
      approx_records: input.approxRecords,
      consequences_enc: await seal('consequences', input.consequences),
      measures_enc: await seal('measures', input.measures),
      status: input.status ?? 'open',
      authority_notification_required: required,
      no_notification_reason_enc: blank(input.noNotificationReason)
        ? null
        : await seal('noNotificationReason', input.noNotificationReason!),
      created_by: actor.user.id,
    });
    await recordChange(trx, keyring, {
      tenantId: actor.tenantId,
      actor: auditActorOf(actor),
      action: 'privacy_breach.recorded',
      entity: 'privacy_breaches',
      entityId: id,
      details: {
        status: row.status,
        approxSubjects: row.approx_subjects,
        approxRecords: row.approx_records,
        categories: row.categories,
        notifyAuthorityBy: row.notify_authority_by.toISOString(),
      },
    });
    return row;
  });
  return toBreach(db, keyring, row, now);
}

/** The register, newest detection first. */
export async function listBreaches(
  db: Kysely<Database>,
  keyring: Keyring,
  actor: Authenticated,
  query: { limit?: number; cursor?: string },
): Promise<{ items: Breach[]; nextCursor: string | null }> {
  await requirePermission(db, actor, 'privacy', 'view');
  const now = new Date();
  const limit = Math.min(Math.max(query.limit ?? 50, 1), 200);
  const before = decodeKeysetCursor(query.cursor, 'timestamp');
  const rows = await repo.listBreaches(db, actor.tenantId, {
    limit: limit + 1,
    ...(before ? { before: { detectedAt: before.key, id: before.id } } : {}),
  });
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    items: await Promise.all(page.map((row) => toBreach(db, keyring, row, now))),
    nextCursor: rows.length > limit && last ? encodeKeysetCursor({ key: last.detected_at.toISOString(), id: last.id }) : null,
  };
}

export async function getBreach(db: Kysely<Database>, keyring: Keyring, actor: Authenticated, id: string): Promise<Breach> {
  await requirePermission(db, actor, 'privacy', 'view');
  const row = await repo.findBreach(db, actor.tenantId, id);
  if (!row) throw new PrivacyError('breach_not_found', 'no such breach');
  return toBreach(db, keyring, row, new Date());
}

/**
 * Updates a breach: measures and status as the response goes on, the
 * authority's notification (late ones need the reasons for the delay), and
 * the decision on informing the people with its reason. `version` must be current.
 */
export async function updateBreach(
  db: Kysely<Database>,
  keyring: Keyring,
  actor: Authenticated,
  id: string,
  input: BreachChanges,
): Promise<Breach> {
  await requirePermission(db, actor, 'privacy', 'edit');
  const now = new Date();
  const row = await db.transaction().execute(async (trx) => {
    const current = await repo.findBreach(trx, actor.tenantId, id, { forUpdate: true });
    if (!current) throw new PrivacyError('breach_not_found', 'no such breach');
    if (input.version !== current.version)
      throw new PrivacyError('version_conflict', 'the breach was changed meanwhile; reload it and try again', { version: current.version });

    const changes: Updateable<PrivacyBreachesTable> = {};
    const fields: string[] = [];
    const set = <K extends keyof Updateable<PrivacyBreachesTable>>(
      field: string,
      column: K,
      value: Updateable<PrivacyBreachesTable>[K],
    ) => {
      changes[column] = value;
      fields.push(field);
    };
    const seal = async (field: SealedField, value: string | null | undefined) => {
      if (value === undefined) return;
      set(field, SEALED[field], blank(value) ? null : await sealField(trx, keyring, ref(current, field), value!.trim()));
    };
    const has = (field: SealedField) => (input[field] === undefined ? current[SEALED[field]] !== null : !blank(input[field]));

    if (input.occurredAt !== undefined) {
      const occurredAt = input.occurredAt === null ? null : notInFuture(moment(input.occurredAt, 'occurredAt'), 'occurredAt', now);
      if (occurredAt && occurredAt.getTime() > current.detected_at.getTime())
        throw new PrivacyError('breach_invalid', 'a breach cannot have occurred after it was detected');
      set('occurredAt', 'occurred_at', occurredAt);
    }
    for (const field of ['nature', 'consequences', 'measures'] as const) {
      if (input[field] !== undefined && blank(input[field])) throw new PrivacyError('breach_invalid', `${field} cannot be empty`);
      await seal(field, input[field]);
    }
    if (input.categories !== undefined) set('categories', 'categories', JSON.stringify(input.categories));
    if (input.subjectCategories !== undefined) set('subjectCategories', 'subject_categories', JSON.stringify(input.subjectCategories));
    if (input.approxSubjects !== undefined) set('approxSubjects', 'approx_subjects', input.approxSubjects);
    if (input.approxRecords !== undefined) set('approxRecords', 'approx_records', input.approxRecords);
    if (input.status !== undefined && input.status !== current.status) set('status', 'status', input.status);

    const required = input.authorityNotificationRequired ?? current.authority_notification_required;
    if (input.authorityNotificationRequired !== undefined)
      set('authorityNotificationRequired', 'authority_notification_required', required);
    await seal('noNotificationReason', input.noNotificationReason);
    if (!required && !has('noNotificationReason'))
      throw new PrivacyError('reason_required', 'deciding not to notify the authority needs its reason (Art. 33(1), 33(5))');

    if (input.authorityNotifiedAt !== undefined) {
      const notifiedAt =
        input.authorityNotifiedAt === null
          ? null
          : notInFuture(moment(input.authorityNotifiedAt, 'authorityNotifiedAt'), 'authorityNotifiedAt', now);
      if (notifiedAt && notifiedAt.getTime() < current.detected_at.getTime())
        throw new PrivacyError('breach_invalid', 'the authority cannot have been notified before the breach was detected');
      set('authorityNotifiedAt', 'authority_notified_at', notifiedAt);
    }
    if (input.authorityReference !== undefined) set('authorityReference', 'authority_reference', input.authorityReference?.trim() || null);
    await seal('delayReason', input.delayReason);
    const notifiedAt =
      changes.authority_notified_at !== undefined ? (changes.authority_notified_at as Date | null) : current.authority_notified_at;
    if (notifiedAt && notifiedAt.getTime() > current.notify_authority_by.getTime() && !has('delayReason'))
      throw new PrivacyError('reason_required', 'a notification after the 72 hours must give the reasons for the delay (Art. 33(1))');

    if (input.subjectsInformed !== undefined) {
      set('subjectsInformed', 'subjects_informed', input.subjectsInformed);
      if (input.subjectsInformed === null) {
        set('subjectsInformedAt', 'subjects_informed_at', null);
      } else {
        if (blank(input.informReason) && (input.informReason !== undefined || current.inform_reason_enc === null))
          throw new PrivacyError('reason_required', 'the decision on informing the people needs its reason (Art. 34)');
        const at = input.subjectsInformed
          ? input.subjectsInformedAt
            ? notInFuture(moment(input.subjectsInformedAt, 'subjectsInformedAt'), 'subjectsInformedAt', now)
            : (current.subjects_informed_at ?? now)
          : null;
        set('subjectsInformedAt', 'subjects_informed_at', at);
      }
    } else if (input.subjectsInformedAt !== undefined) {
      throw new PrivacyError('breach_invalid', 'subjectsInformedAt goes with subjectsInformed');
    }
    await seal('informReason', input.informReason);

    const updated = await repo.updateBreach(trx, actor.tenantId, id, changes);
    await recordChange(trx, keyring, {
      tenantId: actor.tenantId,
      actor: auditActorOf(actor),
      action: 'privacy_breach.updated',
      entity: 'privacy_breaches',
      entityId: id,
      fields: [...new Set(fields)],
      details: {
        status: updated.status,
        authorityNotified: updated.authority_notified_at !== null,
        subjectsInformed: updated.subjects_informed,
      },
    });
    return updated;
  });
  return toBreach(db, keyring, row, now);
}
