import type { Kysely } from 'kysely';
import { AccessError } from '../../access/access.errors.js';
import { accessOf, assertWritable, redact, requirePermission } from '../../access/access.service.js';
import type { Database, DealStatus } from '../../db/schema.js';
import { inTransaction } from '../../db/transaction.js';
import type { Authenticated } from '../../shared/actor.js';
import { isActiveUser } from '../../identity/users.service.js';
import { newId } from '../../shared/ids.js';
import { CrmError } from '../common/crm.errors.js';
import { instant } from '../common/instant.js';
import { plainCustomValues } from '../custom-fields/custom-fields.service.js';
import { ownerGroupOf, ownersOf } from '../common/ownership.js';
import { setRecordTags, tagNames, tagsOf } from '../tags/tags.service.js';
import { decodeCursor, pageOf, pageSize } from '../../shared/cursor.js';
import * as repo from './deals.repository.js';
import { linkableIds, organizationOf } from '../common/links.service.js';
import { defaultPipeline, ensureDefaultPipeline, findStage, lockPipeline, type Pipeline, type Stage } from './pipelines.service.js';
import { moveToBin } from '../recycle-bin/recycle-bin.repository.js';

/**
 * Deals: money in integer minor units of an ISO 4217 currency, moving through
 * the stages of a pipeline. The stage decides the status: a won or lost stage
 * closes the deal, and every move is written to the deal's stage history.
 */

export interface Deal {
  id: string;
  title: string;
  /** Integer minor units of `currency`: 1250 with EUR is EUR 12.50. */
  amount: number;
  currency: string;
  pipelineId: string;
  stageId: string;
  status: DealStatus;
  probability: number;
  lostReason: string | null;
  closedAt: Date | null;
  expectedCloseDate: string | null;
  organizationId: string | null;
  contactIds: string[];
  tags: string[];
  ownerId: string;
  ownerGroupId: string | null;
  custom: Record<string, unknown>;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface DealInput {
  title?: string;
  amount?: number;
  currency?: string;
  pipelineId?: string;
  stageId?: string;
  /** Moves the deal to its pipeline's first stage of this kind (unless stageId says which). */
  status?: DealStatus;
  expectedCloseDate?: string | null;
  organizationId?: string | null;
  contactIds?: string[];
  tags?: string[];
  ownerId?: string;
  ownerGroupId?: string | null;
  lostReason?: string | null;
  custom?: Record<string, unknown>;
}

export interface StageChange {
  id: string;
  fromStageId: string | null;
  fromStageName: string | null;
  toStageId: string;
  toStageName: string;
  changedBy: string;
  changedAt: Date;
}

export const DEAL_SORTS = [
  'createdAt',
  '-createdAt',
  'updatedAt',
  '-updatedAt',
  'amount',
  '-amount',
  'expectedCloseDate',
  'title',
] as const;
export type DealSort = (typeof DEAL_SORTS)[number];

/** How long a deleted deal or activity stays in the recycle bin. */
const CURRENCIES = new Set(Intl.supportedValuesOf('currency'));
const MAX_CONTACTS = 50;

type Row = NonNullable<Awaited<ReturnType<typeof repo.findDeal>>>;

function toDeal(row: Row, contactIds: string[], tags: string[]): Deal {
  return {
    id: row.id,
    title: row.title,
    amount: row.amount_minor,
    currency: row.currency,
    pipelineId: row.pipeline_id,
    stageId: row.stage_id,
    status: row.status,
    probability: row.probability,
    lostReason: row.lost_reason,
    closedAt: row.closed_at,
    expectedCloseDate: row.expected_close_date,
    organizationId: row.organization_id,
    contactIds,
    tags,
    ownerId: row.owner_id,
    ownerGroupId: row.owner_group_id,
    custom: row.custom,
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function title(value: string | undefined): string {
  const trimmed = (value ?? '').trim();
  if (!trimmed || trimmed.length > 300) throw new CrmError('invalid_field', 'title must be 1 to 300 characters');
  return trimmed;
}

function amount(value: number | undefined): number {
  const n = value ?? 0;
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new CrmError('invalid_field', 'amount must be a whole, non-negative number of minor units (1250 is 12.50)');
  }
  return n;
}

function currency(value: string | undefined): string {
  if (value === undefined || !/^[A-Z]{3}$/.test(value) || !CURRENCIES.has(value)) {
    throw new CrmError('invalid_field', 'currency must be an upper-case ISO 4217 code such as EUR');
  }
  return value;
}

/** A calendar date, YYYY-MM-DD, that exists. */
export function calendarDate(value: string | null | undefined, field: string): string | null {
  if (value === undefined || value === null) return null;
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  const date = match ? new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]))) : null;
  if (!date || Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== value) {
    throw new CrmError('invalid_field', `${field} must be a calendar date, YYYY-MM-DD`);
  }
  return value;
}

function lostReason(value: string | null | undefined): string | null {
  if (value === undefined || value === null) return null;
  const trimmed = value.trim();
  if (trimmed.length > 1000) throw new CrmError('invalid_field', 'lostReason must be at most 1,000 characters');
  return trimmed || null;
}

/**
 * The contacts a deal links to: live ones of the tenant, each one the actor
 * could read unless the deal links to it already (`kept`) or it was made in
 * the same act (a lead's conversion, whose contact may go to an owner whose
 * contacts the converter does not reach).
 */
async function contactsOf(
  db: Kysely<Database>,
  actor: Authenticated,
  ids: string[] | undefined,
  kept: readonly string[] = [],
): Promise<string[]> {
  const wanted = [...new Set(ids ?? [])];
  if (wanted.length > MAX_CONTACTS) throw new CrmError('invalid_field', `a deal has at most ${MAX_CONTACTS} contacts`);
  const linkable = await linkableIds(db, actor, 'contacts', wanted, kept);
  // Named by position: the answer is then the same whichever id it was.
  const missing = (ids ?? []).findIndex((id) => !linkable.has(id));
  if (missing >= 0) throw new CrmError('invalid_field', `contactIds[${missing}] does not name a contact`);
  return wanted;
}

async function ownerOf(db: Kysely<Database>, actor: Authenticated, id: string | undefined): Promise<string> {
  if (id === undefined || id === actor.user.id) return actor.user.id;
  if (!(await isActiveUser(db, actor.tenantId, id))) throw new CrmError('invalid_field', 'ownerId does not name an active user');
  return id;
}

/**
 * The pipeline and stage a deal goes to: the stage named, else the first of
 * the asked kind, else (for a new deal or a new pipeline) the first stage.
 * A stage must belong to the pipeline. The pipeline's row stays share-locked
 * until the transaction ends, so its stages cannot be removed meanwhile.
 */
async function placement(
  db: Kysely<Database>,
  actor: Authenticated,
  input: DealInput,
  current?: { pipelineId: string; stageId: string },
): Promise<{ pipeline: Pipeline; stage: Stage }> {
  let pipelineId = input.pipelineId ?? current?.pipelineId;
  if (pipelineId === undefined && input.stageId !== undefined)
    pipelineId = (await findStage(db, actor.tenantId, input.stageId))?.pipelineId;
  const pipeline =
    pipelineId !== undefined ? await lockPipeline(db, actor.tenantId, pipelineId) : await defaultPipeline(db, actor.tenantId);
  if (!pipeline) {
    if (input.pipelineId !== undefined) throw new CrmError('invalid_field', 'pipelineId does not name a pipeline');
    throw new CrmError('invalid_stage', 'stageId does not name a stage');
  }
  let stage: Stage | undefined;
  if (input.stageId !== undefined) {
    stage = pipeline.stages.find((s) => s.id === input.stageId);
    if (!stage) throw new CrmError('invalid_stage', "stageId is not a stage of the deal's pipeline");
    if (input.status !== undefined && stage.kind !== input.status)
      throw new CrmError('invalid_stage', `the stage is ${stage.kind}, not ${input.status}`);
  } else if (input.status !== undefined) {
    const onStage = current && current.pipelineId === pipeline.id ? pipeline.stages.find((s) => s.id === current.stageId) : undefined;
    stage = onStage?.kind === input.status ? onStage : pipeline.stages.find((s) => s.kind === input.status);
    if (!stage) throw new CrmError('invalid_stage', `the pipeline has no ${input.status} stage`);
  } else if (current && current.pipelineId === pipeline.id) {
    stage = pipeline.stages.find((s) => s.id === current.stageId);
  } else {
    stage = pipeline.stages[0];
  }
  if (!stage) throw new CrmError('invalid_stage', 'the pipeline has no stages');
  return { pipeline, stage };
}

/** What the stage's kind makes of the deal: status, when it closed, and why it was lost. */
function outcome(
  stage: Stage,
  previous: { status: DealStatus; closedAt: Date | null; lostReason: string | null } | undefined,
  reason: string | null | undefined,
) {
  if (stage.kind !== 'lost' && reason) throw new CrmError('invalid_field', 'lostReason is for lost deals only');
  const closedAt = stage.kind === 'open' ? null : previous?.status === stage.kind && previous.closedAt ? previous.closedAt : new Date();
  const lost = stage.kind === 'lost' ? (reason !== undefined ? lostReason(reason) : (previous?.lostReason ?? null)) : null;
  return { status: stage.kind, closed_at: closedAt, lost_reason: lost };
}

/** The deal, or record_not_found also when the actor may not see it; `raw` keeps hidden fields (for changes). */
async function load(db: Kysely<Database>, actor: Authenticated, id: string, options: { raw?: boolean } = {}): Promise<Deal> {
  const access = await requirePermission(db, actor, 'deals', 'view');
  const row = await repo.findDeal(db, actor.tenantId, id);
  if (!row || !access.mayRead('deals', { ownerId: row.owner_id, ownerGroupId: row.owner_group_id }))
    throw new CrmError('record_not_found', 'no such deal');
  const deal = toDeal(
    row,
    (await repo.contactsOfDeals(db, actor.tenantId, [id])).get(id) ?? [],
    (await tagsOf(db, actor.tenantId, 'deals', [id])).get(id) ?? [],
  );
  return options.raw ? deal : redact(access, 'deals', deal);
}

async function dealForChange(db: Kysely<Database>, actor: Authenticated, id: string, action: 'edit' | 'delete'): Promise<Deal> {
  const deal = await load(db, actor, id, { raw: true });
  const access = await requirePermission(db, actor, 'deals', action);
  if (!access.mayWrite('deals', deal)) throw new AccessError('permission_denied', 'you may see this deal but not change it');
  return deal;
}

/** Opens a deal; `madeWith` names contacts created in the same act (a lead's conversion), linked whoever sees them. */
export async function createDeal(
  db: Kysely<Database>,
  actor: Authenticated,
  input: DealInput,
  madeWith: { contactIds?: string[] } = {},
): Promise<Deal> {
  const access = await requirePermission(db, actor, 'deals', 'create');
  assertWritable(access, 'deals', input);
  const values = {
    title: title(input.title),
    amount_minor: amount(input.amount),
    currency: currency(input.currency),
    expected_close_date: calendarDate(input.expectedCloseDate, 'expectedCloseDate'),
  };
  const names = tagNames(input.tags);
  await ensureDefaultPipeline(db, actor.tenantId);
  return inTransaction(db, async (trx) => {
    const { pipeline, stage } = await placement(trx, actor, input);
    const id = newId();
    await repo.insertDeal(trx, actor.tenantId, {
      ...values,
      custom: await plainCustomValues(trx, actor.tenantId, 'deals', {}, input.custom),
      id,
      pipeline_id: pipeline.id,
      stage_id: stage.id,
      organization_id: await organizationOf(trx, actor, input.organizationId),
      owner_id: await ownerOf(trx, actor, input.ownerId),
      owner_group_id: ownerGroupOf(access, input.ownerGroupId),
      ...outcome(stage, undefined, input.lostReason),
    });
    await repo.replaceDealContacts(trx, actor.tenantId, id, await contactsOf(trx, actor, input.contactIds, madeWith.contactIds));
    await setRecordTags(trx, actor.tenantId, 'deals', id, names);
    await repo.insertStageChange(trx, actor.tenantId, {
      id: newId(),
      deal_id: id,
      from_stage_id: null,
      to_stage_id: stage.id,
      changed_by: actor.user.id,
    });
    return load(trx, actor, id);
  });
}

export async function getDeal(db: Kysely<Database>, actor: Authenticated, id: string): Promise<Deal> {
  return load(db, actor, id);
}

export interface DealListQuery {
  limit?: number;
  cursor?: string;
  sort?: DealSort;
  ownerId?: string;
  ownerGroupId?: string;
  pipelineId?: string;
  stageId?: string;
  status?: DealStatus;
  organizationId?: string;
  contactId?: string;
  tag?: string;
  q?: string;
  createdFrom?: string | Date;
  createdTo?: string | Date;
  updatedFrom?: string | Date;
  updatedTo?: string | Date;
}

/** A page of deals with filters, in a stable order on non-personal columns. */
export async function listDeals(
  db: Kysely<Database>,
  actor: Authenticated,
  query: DealListQuery,
): Promise<{ items: Deal[]; nextCursor: string | null }> {
  const access = await requirePermission(db, actor, 'deals', 'view');
  const scope = access.owners('deals', 'read');
  const limit = pageSize(query.limit);
  const sort = query.sort ?? 'createdAt';
  if (!DEAL_SORTS.includes(sort)) throw new CrmError('invalid_field', `sort must be one of ${DEAL_SORTS.join(', ')}`);
  const after = decodeCursor(query.cursor, sort);
  if (after && after.key !== null && typeof after.key !== 'string')
    throw new CrmError('invalid_cursor', 'cursor is not one this API gave out');
  const filters = {
    createdFrom: instant(query.createdFrom, 'createdFrom', 'a date-time'),
    createdTo: instant(query.createdTo, 'createdTo', 'a date-time'),
    updatedFrom: instant(query.updatedFrom, 'updatedFrom', 'a date-time'),
    updatedTo: instant(query.updatedTo, 'updatedTo', 'a date-time'),
  };
  const rows = await repo.listDeals(db, actor.tenantId, {
    sort,
    after: after ? { id: after.id, key: (after.key as string | null | undefined) ?? null } : null,
    limit: limit + 1,
    ...(query.ownerId ? { ownerId: query.ownerId } : {}),
    ...(query.pipelineId ? { pipelineId: query.pipelineId } : {}),
    ...(query.stageId ? { stageId: query.stageId } : {}),
    ...(query.status ? { status: query.status } : {}),
    ...(query.organizationId ? { organizationId: query.organizationId } : {}),
    ...(query.contactId ? { contactId: query.contactId } : {}),
    ...(query.tag ? { tag: query.tag } : {}),
    ...(query.q ? { q: query.q } : {}),
    ...(query.ownerGroupId ? { ownerGroupId: query.ownerGroupId } : {}),
    ...ownersOf(scope),
    ...Object.fromEntries(Object.entries(filters).filter(([, v]) => v !== undefined)),
  });
  const page = pageOf(rows, limit, (r) => r.sort_key, sort);
  const contacts = await repo.contactsOfDeals(
    db,
    actor.tenantId,
    page.rows.map((r) => r.id),
  );
  const tags = await tagsOf(
    db,
    actor.tenantId,
    'deals',
    page.rows.map((r) => r.id),
  );
  return {
    items: page.rows.map((r) => redact(access, 'deals', toDeal(r, contacts.get(r.id) ?? [], tags.get(r.id) ?? []))),
    nextCursor: page.nextCursor,
  };
}

/**
 * Changes a deal. A new stage (or pipeline, or status) is written to the
 * stage history, and a won or lost stage closes the deal. A stale If-Match
 * or `version` answers version_conflict.
 */
export async function updateDeal(
  db: Kysely<Database>,
  actor: Authenticated,
  id: string,
  input: DealInput & { version?: number },
  ifMatch?: number,
): Promise<Deal> {
  return inTransaction(db, async (trx) => {
    const current = await dealForChange(trx, actor, id, 'edit');
    const access = await accessOf(trx, actor);
    assertWritable(access, 'deals', input);
    const expected = ifMatch ?? input.version ?? current.version;
    const moves = input.pipelineId !== undefined || input.stageId !== undefined || input.status !== undefined;
    const { pipeline, stage } = await placement(trx, actor, moves ? input : {}, current);
    const values: Partial<repo.DealValues> = {
      ...(input.title !== undefined ? { title: title(input.title) } : {}),
      ...(input.amount !== undefined ? { amount_minor: amount(input.amount) } : {}),
      ...(input.currency !== undefined ? { currency: currency(input.currency) } : {}),
      ...(input.expectedCloseDate !== undefined ? { expected_close_date: calendarDate(input.expectedCloseDate, 'expectedCloseDate') } : {}),
      ...(input.organizationId !== undefined
        ? { organization_id: await organizationOf(trx, actor, input.organizationId, current.organizationId) }
        : {}),
      ...(input.ownerId !== undefined ? { owner_id: await ownerOf(trx, actor, input.ownerId) } : {}),
      ...(input.ownerGroupId !== undefined ? { owner_group_id: ownerGroupOf(access, input.ownerGroupId, current.ownerGroupId) } : {}),
      ...(input.custom !== undefined
        ? { custom: await plainCustomValues(trx, actor.tenantId, 'deals', current.custom, input.custom) }
        : {}),
      pipeline_id: pipeline.id,
      stage_id: stage.id,
      ...outcome(stage, current, input.lostReason),
    };
    if (!(await repo.updateDeal(trx, actor.tenantId, id, expected, values))) {
      throw new CrmError('version_conflict', `the deal changed since version ${expected}; reload and try again`);
    }
    if (input.contactIds !== undefined)
      await repo.replaceDealContacts(trx, actor.tenantId, id, await contactsOf(trx, actor, input.contactIds, current.contactIds));
    if (input.tags !== undefined) await setRecordTags(trx, actor.tenantId, 'deals', id, tagNames(input.tags));
    if (stage.id !== current.stageId) {
      await repo.insertStageChange(trx, actor.tenantId, {
        id: newId(),
        deal_id: id,
        from_stage_id: current.stageId,
        to_stage_id: stage.id,
        changed_by: actor.user.id,
      });
    }
    return load(trx, actor, id);
  });
}

/** Soft delete: the deal goes to the recycle bin for 30 days. */
export async function deleteDeal(db: Kysely<Database>, actor: Authenticated, id: string): Promise<void> {
  await dealForChange(db, actor, id, 'delete');
  if (!(await moveToBin(db, actor.tenantId, 'deals', id))) throw new CrmError('record_not_found', 'no such deal');
}

/** The stages a deal went through, oldest first. */
export async function dealHistory(db: Kysely<Database>, actor: Authenticated, id: string): Promise<{ items: StageChange[] }> {
  await load(db, actor, id);
  const rows = await repo.stageHistory(db, actor.tenantId, id);
  return {
    items: rows.map((r) => ({
      id: r.id,
      fromStageId: r.from_stage_id,
      fromStageName: r.from_stage_name,
      toStageId: r.to_stage_id,
      toStageName: r.to_stage_name,
      changedBy: r.changed_by,
      changedAt: r.changed_at,
    })),
  };
}
