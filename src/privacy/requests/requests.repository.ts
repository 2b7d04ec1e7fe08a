import { sql, type Insertable, type Kysely, type Selectable, type Updateable } from 'kysely';
import type { Database, PrivacyRequestsTable, PrivacyRequestStatus, PrivacyRequestStepsTable } from '../../db/schema.js';

// The only SQL of data-subject request cases and their steps.

export type RequestRow = Selectable<PrivacyRequestsTable>;
export type StepRow = Selectable<PrivacyRequestStepsTable>;

export const OPEN_STATUSES: readonly PrivacyRequestStatus[] = ['received', 'verified', 'in_progress'];

export async function insertRequest(db: Kysely<Database>, row: Insertable<PrivacyRequestsTable>): Promise<RequestRow> {
  return db.insertInto('privacy_requests').values(row).returningAll().executeTakeFirstOrThrow();
}

/** The case, locked for the rest of the transaction when `forUpdate`. */
export async function findRequest(
  db: Kysely<Database>,
  tenantId: string,
  id: string,
  options: { forUpdate?: boolean } = {},
): Promise<RequestRow | undefined> {
  return db
    .selectFrom('privacy_requests')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .$if(options.forUpdate === true, (q) => q.forUpdate())
    .executeTakeFirst();
}

/** Writes the changes and moves the version on. */
export async function updateRequest(
  db: Kysely<Database>,
  tenantId: string,
  id: string,
  changes: Updateable<PrivacyRequestsTable>,
): Promise<RequestRow> {
  return db
    .updateTable('privacy_requests')
    .set({ ...changes, updated_at: new Date(), version: sql<number>`version + 1` })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function insertStep(db: Kysely<Database>, row: Insertable<PrivacyRequestStepsTable>): Promise<StepRow> {
  return db.insertInto('privacy_request_steps').values(row).returningAll().executeTakeFirstOrThrow();
}

/** A case's steps, oldest first. */
export async function stepsOf(db: Kysely<Database>, tenantId: string, requestId: string): Promise<StepRow[]> {
  return db
    .selectFrom('privacy_request_steps')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('request_id', '=', requestId)
    .orderBy('seq', 'asc')
    .execute();
}

export interface RequestFilter {
  statuses: readonly PrivacyRequestStatus[];
  /** Only open cases whose due date is before this date (overdue), or not before it (`false`). */
  overdue?: { today: string; value: boolean };
  assigneeId?: string;
  /** Keyset: the due date and id of the last row of the previous page. */
  after?: { dueDate: string; id: string };
  limit: number;
}

/** Cases by due date, earliest first. */
export async function listRequests(db: Kysely<Database>, tenantId: string, filter: RequestFilter): Promise<RequestRow[]> {
  const { overdue, after, assigneeId } = filter;
  return db
    .selectFrom('privacy_requests')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('status', 'in', filter.statuses)
    .$if(overdue?.value === true, (q) => q.where('due_date', '<', overdue!.today).where('status', 'in', OPEN_STATUSES))
    .$if(overdue?.value === false, (q) =>
      q.where((eb) => eb.or([eb('due_date', '>=', overdue!.today), eb('status', 'not in', OPEN_STATUSES)])),
    )
    .$if(assigneeId !== undefined, (q) => q.where('assignee_id', '=', assigneeId!))
    .$if(after !== undefined, (q) =>
      q.where((eb) =>
        eb.or([eb('due_date', '>', after!.dueDate), eb.and([eb('due_date', '=', after!.dueDate), eb('id', '>', after!.id)])]),
      ),
    )
    .orderBy('due_date', 'asc')
    .orderBy('id', 'asc')
    .limit(filter.limit)
    .execute();
}

/**
 * Open, assigned cases of every tenant that are due by `soonUntil` and still
 * owe a reminder: the "due soon" one or, once past `today`, the "overdue" one.
 */
export async function casesOwingReminders(
  db: Kysely<Database>,
  window: { soonUntil: string; today: string; limit: number },
): Promise<RequestRow[]> {
  return db
    .selectFrom('privacy_requests')
    .selectAll()
    .where('status', 'in', OPEN_STATUSES)
    .where('assignee_id', 'is not', null)
    .where('due_date', '<=', window.soonUntil)
    .where((eb) =>
      eb.or([eb('reminded_soon_at', 'is', null), eb.and([eb('due_date', '<', window.today), eb('reminded_overdue_at', 'is', null)])]),
    )
    .orderBy('due_date', 'asc')
    .limit(window.limit)
    .execute();
}

/** Marks a reminder as sent unless another node did first; true when this call marked it. */
export async function markReminded(
  db: Kysely<Database>,
  tenantId: string,
  id: string,
  which: 'reminded_soon_at' | 'reminded_overdue_at',
  at: Date,
): Promise<boolean> {
  const result = await db
    .updateTable('privacy_requests')
    .set({ [which]: at })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .where(which, 'is', null)
    .where('status', 'in', OPEN_STATUSES)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
