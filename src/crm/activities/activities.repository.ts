import type { Kysely } from 'kysely';
import type { ActivityType, Database } from '../../db/schema.js';
import { after, orderBy, sortKey, type Keyset } from '../common/pagination.js';
import { ownedBy, type Owners } from '../common/ownership.js';

// The only SQL for activities (tasks, calls, meetings).

export type ActivityValues = {
  type: ActivityType;
  subject: string;
  subject_id: string;
  description_enc: Buffer | null;
  due_at: Date | null;
  start_at: Date | null;
  end_at: Date | null;
  done: boolean;
  done_at: Date | null;
  assignee_id: string;
  owner_id: string;
  owner_group_id: string | null;
  contact_id: string | null;
  lead_id: string | null;
  organization_id: string | null;
  deal_id: string | null;
  custom: string;
};

export type ActivitySort = 'dueAt' | 'createdAt' | '-createdAt';

const SORTS: Record<ActivitySort, Keyset> = {
  // Undated activities come last.
  dueAt: { column: 'activities.due_at', id: 'activities.id', descending: false, cast: 'timestamptz' },
  createdAt: { column: 'activities.created_at', id: 'activities.id', descending: false, cast: 'timestamptz' },
  '-createdAt': { column: 'activities.created_at', id: 'activities.id', descending: true, cast: 'timestamptz' },
};

export interface ActivityListQuery {
  sort: ActivitySort;
  after: { key: string | null; id: string } | null;
  limit: number;
  type?: ActivityType;
  assigneeId?: string;
  /** The actor's reach: activities of these owners, or assigned to them. */
  reach?: { owners: Owners; assigneeId: string };
  ownerGroupId?: string;
  /** Only activities not done yet. */
  open?: boolean;
  /** Not done and due before this moment. */
  overdueAt?: Date;
  contactId?: string;
  leadId?: string;
  organizationId?: string;
  dealId?: string;
  dueFrom?: Date;
  dueTo?: Date;
}

export async function insertActivity(db: Kysely<Database>, tenantId: string, row: ActivityValues & { id: string }) {
  const now = new Date();
  return db
    .insertInto('activities')
    .values({ ...row, tenant_id: tenantId, created_at: now, updated_at: now })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function findActivity(db: Kysely<Database>, tenantId: string, id: string, options: { deleted?: boolean } = {}) {
  return db
    .selectFrom('activities')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .where('deleted_at', options.deleted ? 'is not' : 'is', null)
    .executeTakeFirst();
}

/** A page in the requested order; each row carries `sort_key` for the next cursor. */
export async function listActivities(db: Kysely<Database>, tenantId: string, q: ActivityListQuery) {
  const k = SORTS[q.sort];
  const [first, second] = orderBy(k);
  let query = db
    .selectFrom('activities')
    .selectAll()
    .select(sortKey(k).as('sort_key'))
    .where('tenant_id', '=', tenantId)
    .where('deleted_at', 'is', null)
    .orderBy(first)
    .orderBy(second)
    .limit(q.limit);
  if (q.after) query = query.where(after(k, q.after));
  if (q.type) query = query.where('type', '=', q.type);
  if (q.assigneeId) query = query.where('assignee_id', '=', q.assigneeId);
  if (q.reach) {
    const reach = q.reach;
    query = query.where((eb) => eb.or([ownedBy(reach.owners, 'activities'), eb('assignee_id', '=', reach.assigneeId)]));
  }
  if (q.ownerGroupId) query = query.where('owner_group_id', '=', q.ownerGroupId);
  if (q.open) query = query.where('done', '=', false);
  if (q.overdueAt) query = query.where('done', '=', false).where('due_at', '<', q.overdueAt);
  if (q.contactId) query = query.where('contact_id', '=', q.contactId);
  if (q.leadId) query = query.where('lead_id', '=', q.leadId);
  if (q.organizationId) query = query.where('organization_id', '=', q.organizationId);
  if (q.dealId) query = query.where('deal_id', '=', q.dealId);
  if (q.dueFrom) query = query.where('due_at', '>=', q.dueFrom);
  if (q.dueTo) query = query.where('due_at', '<', q.dueTo);
  return query.execute();
}

/** Updates when the version still matches; undefined means someone else changed it first. */
export async function updateActivity(
  db: Kysely<Database>,
  tenantId: string,
  id: string,
  expectedVersion: number,
  values: Partial<ActivityValues>,
) {
  return db
    .updateTable('activities')
    .set((eb) => ({ ...values, version: eb('version', '+', 1), updated_at: new Date() }))
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .where('version', '=', expectedVersion)
    .where('deleted_at', 'is', null)
    .returningAll()
    .executeTakeFirst();
}
