import { sql, type Kysely } from 'kysely';
import { taggedWith } from '../tags/tags.repository.js';
import type { Database, DealStatus } from '../../db/schema.js';
import { after, orderBy, sortKey, type Keyset } from '../common/pagination.js';
import { ownedBy, type Owners } from '../common/ownership.js';

// The only SQL for deals, their contacts and their stage history.

export type DealValues = {
  title: string;
  amount_minor: number;
  currency: string;
  expected_close_date: string | null;
  organization_id: string | null;
  pipeline_id: string;
  stage_id: string;
  owner_id: string;
  owner_group_id: string | null;
  status: DealStatus;
  lost_reason: string | null;
  closed_at: Date | null;
  custom: string;
};

export type DealSort = 'createdAt' | '-createdAt' | 'updatedAt' | '-updatedAt' | 'amount' | '-amount' | 'expectedCloseDate' | 'title';

const COLUMNS: Record<string, { column: string; cast?: Keyset['cast'] }> = {
  createdAt: { column: 'deals.created_at', cast: 'timestamptz' },
  updatedAt: { column: 'deals.updated_at', cast: 'timestamptz' },
  amount: { column: 'deals.amount_minor', cast: 'bigint' },
  // Undated deals come last.
  expectedCloseDate: { column: 'deals.expected_close_date', cast: 'date' },
  // Case-insensitive: lower(title), computed in the subquery below.
  title: { column: 'deals.title_key' },
};

function keyset(sort: DealSort): Keyset {
  const { column, cast } = COLUMNS[sort.replace('-', '')]!;
  return { column, id: 'deals.id', descending: sort.startsWith('-'), ...(cast ? { cast } : {}) };
}

export interface DealListQuery {
  sort: DealSort;
  after: { key: string | null; id: string } | null;
  limit: number;
  ownerId?: string;
  pipelineId?: string;
  stageId?: string;
  status?: DealStatus;
  organizationId?: string;
  contactId?: string;
  tag?: string;
  q?: string;
  ownerGroupId?: string;
  owners?: Owners;
  createdFrom?: Date;
  createdTo?: Date;
  updatedFrom?: Date;
  updatedTo?: Date;
}

function withProbability(db: Kysely<Database>) {
  return db
    .selectFrom('deals')
    .innerJoin('pipeline_stages', (join) =>
      join.onRef('pipeline_stages.tenant_id', '=', 'deals.tenant_id').onRef('pipeline_stages.id', '=', 'deals.stage_id'),
    )
    .selectAll('deals')
    .select('pipeline_stages.probability');
}

export async function insertDeal(db: Kysely<Database>, tenantId: string, row: DealValues & { id: string }): Promise<void> {
  const now = new Date();
  await db
    .insertInto('deals')
    .values({ ...row, tenant_id: tenantId, created_at: now, updated_at: now })
    .execute();
}

/** A live deal (or one in the recycle bin, with `deleted`) and its stage's probability. */
export async function findDeal(db: Kysely<Database>, tenantId: string, id: string, options: { deleted?: boolean } = {}) {
  return withProbability(db)
    .where('deals.tenant_id', '=', tenantId)
    .where('deals.id', '=', id)
    .where('deals.deleted_at', options.deleted ? 'is not' : 'is', null)
    .executeTakeFirst();
}

/** A page in the requested order; each row carries `sort_key` for the next cursor. */
export async function listDeals(db: Kysely<Database>, tenantId: string, q: DealListQuery) {
  const k = keyset(q.sort);
  const [first, second] = orderBy(k);
  // A subquery, so the case-insensitive title key can be sorted and compared by name.
  let query = db
    .selectFrom((eb) =>
      eb
        .selectFrom('deals')
        .innerJoin('pipeline_stages', (join) =>
          join.onRef('pipeline_stages.tenant_id', '=', 'deals.tenant_id').onRef('pipeline_stages.id', '=', 'deals.stage_id'),
        )
        .selectAll('deals')
        .select('pipeline_stages.probability')
        .select(sql<string>`lower(deals.title)`.as('title_key'))
        .where('deals.tenant_id', '=', tenantId)
        .where('deals.deleted_at', 'is', null)
        .as('deals'),
    )
    .selectAll()
    .select(sortKey(k).as('sort_key'))
    .orderBy(first)
    .orderBy(second)
    .limit(q.limit);
  if (q.after) query = query.where(after(k, q.after));
  if (q.ownerId) query = query.where('deals.owner_id', '=', q.ownerId);
  if (q.pipelineId) query = query.where('deals.pipeline_id', '=', q.pipelineId);
  if (q.stageId) query = query.where('deals.stage_id', '=', q.stageId);
  if (q.status) query = query.where('deals.status', '=', q.status);
  if (q.organizationId) query = query.where('deals.organization_id', '=', q.organizationId);
  if (q.ownerGroupId) query = query.where('deals.owner_group_id', '=', q.ownerGroupId);
  if (q.owners) query = query.where(ownedBy(q.owners, 'deals'));
  if (q.tag) query = query.where(taggedWith('deals', sql.ref('deals.id'), tenantId, q.tag));
  if (q.q) query = query.where(sql`lower(deals.title)`, 'like', `%${q.q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
  if (q.contactId) {
    const contactId = q.contactId;
    query = query.where(({ exists, selectFrom }) =>
      exists(
        selectFrom('deal_contacts')
          .select('deal_contacts.deal_id')
          .whereRef('deal_contacts.tenant_id', '=', 'deals.tenant_id')
          .whereRef('deal_contacts.deal_id', '=', 'deals.id')
          .where('deal_contacts.contact_id', '=', contactId),
      ),
    );
  }
  if (q.createdFrom) query = query.where('deals.created_at', '>=', q.createdFrom);
  if (q.createdTo) query = query.where('deals.created_at', '<', q.createdTo);
  if (q.updatedFrom) query = query.where('deals.updated_at', '>=', q.updatedFrom);
  if (q.updatedTo) query = query.where('deals.updated_at', '<', q.updatedTo);
  return query.execute();
}

/** The live contacts of each deal, by deal id. */
export async function contactsOfDeals(db: Kysely<Database>, tenantId: string, dealIds: string[]): Promise<Map<string, string[]>> {
  const result = new Map<string, string[]>(dealIds.map((id) => [id, []]));
  if (dealIds.length === 0) return result;
  const rows = await db
    .selectFrom('deal_contacts')
    .innerJoin('contacts', (join) =>
      join.onRef('contacts.tenant_id', '=', 'deal_contacts.tenant_id').onRef('contacts.id', '=', 'deal_contacts.contact_id'),
    )
    .select(['deal_contacts.deal_id', 'deal_contacts.contact_id'])
    .where('deal_contacts.tenant_id', '=', tenantId)
    .where('deal_contacts.deal_id', 'in', dealIds)
    .where('contacts.deleted_at', 'is', null)
    .orderBy('deal_contacts.contact_id')
    .execute();
  for (const row of rows) result.get(row.deal_id)?.push(row.contact_id);
  return result;
}

export async function replaceDealContacts(db: Kysely<Database>, tenantId: string, dealId: string, contactIds: string[]): Promise<void> {
  await db.deleteFrom('deal_contacts').where('tenant_id', '=', tenantId).where('deal_id', '=', dealId).execute();
  if (contactIds.length === 0) return;
  await db
    .insertInto('deal_contacts')
    .values(contactIds.map((contactId) => ({ tenant_id: tenantId, deal_id: dealId, contact_id: contactId })))
    .execute();
}

/** Updates when the version still matches; false means someone else changed it first. */
export async function updateDeal(
  db: Kysely<Database>,
  tenantId: string,
  id: string,
  expectedVersion: number,
  values: Partial<DealValues>,
): Promise<boolean> {
  const result = await db
    .updateTable('deals')
    .set((eb) => ({ ...values, version: eb('version', '+', 1), updated_at: new Date() }))
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .where('version', '=', expectedVersion)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

export async function insertStageChange(
  db: Kysely<Database>,
  tenantId: string,
  row: { id: string; deal_id: string; from_stage_id: string | null; to_stage_id: string; changed_by: string },
): Promise<void> {
  await db
    .insertInto('deal_stage_history')
    .values({ ...row, tenant_id: tenantId, changed_at: new Date() })
    .execute();
}

/** A deal's stage changes, oldest first, with the stage names. */
export async function stageHistory(db: Kysely<Database>, tenantId: string, dealId: string) {
  return db
    .selectFrom('deal_stage_history as h')
    .innerJoin('pipeline_stages as to', (join) => join.onRef('to.tenant_id', '=', 'h.tenant_id').onRef('to.id', '=', 'h.to_stage_id'))
    .leftJoin('pipeline_stages as from', (join) =>
      join.onRef('from.tenant_id', '=', 'h.tenant_id').onRef('from.id', '=', 'h.from_stage_id'),
    )
    .select([
      'h.id',
      'h.from_stage_id',
      'h.to_stage_id',
      'h.changed_by',
      'h.changed_at',
      'from.name as from_stage_name',
      'to.name as to_stage_name',
    ])
    .where('h.tenant_id', '=', tenantId)
    .where('h.deal_id', '=', dealId)
    .orderBy('h.id')
    .execute();
}
