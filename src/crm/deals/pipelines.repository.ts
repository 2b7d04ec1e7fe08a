import { sql, type Kysely } from 'kysely';
import type { Database, StageKind } from '../../db/schema.js';

// The only SQL for pipelines and their stages. Both are removed softly, so
// the stage history of deals keeps naming what they passed through.

export interface StageValues {
  id: string;
  name: string;
  position: number;
  probability: number;
  kind: StageKind;
}

/**
 * Creates the tenant's default pipeline unless it has one. The partial unique
 * index settles concurrent first requests: the loser's insert waits for the
 * winner's transaction and then does nothing. Answers whether it created it.
 */
export async function insertDefaultPipeline(
  db: Kysely<Database>,
  tenantId: string,
  pipeline: { id: string; name: string },
  stages: StageValues[],
): Promise<boolean> {
  const inserted = await sql<{ id: string }>`
    insert into pipelines (tenant_id, id, name, position, is_default, updated_at)
    values (${tenantId}, ${pipeline.id}, ${pipeline.name}, 0, true, now())
    on conflict (tenant_id) where is_default do nothing
    returning id`.execute(db);
  if (inserted.rows.length === 0) return false;
  await insertStages(db, tenantId, pipeline.id, stages);
  return true;
}

export async function hasDefaultPipeline(db: Kysely<Database>, tenantId: string): Promise<boolean> {
  const row = await db
    .selectFrom('pipelines')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('is_default', '=', true)
    .executeTakeFirst();
  return row !== undefined;
}

export async function insertPipeline(db: Kysely<Database>, tenantId: string, row: { id: string; name: string; position: number }) {
  return db
    .insertInto('pipelines')
    .values({ ...row, tenant_id: tenantId, updated_at: new Date() })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function insertStages(db: Kysely<Database>, tenantId: string, pipelineId: string, stages: StageValues[]): Promise<void> {
  if (stages.length === 0) return;
  await db
    .insertInto('pipeline_stages')
    .values(stages.map((s) => ({ ...s, tenant_id: tenantId, pipeline_id: pipelineId })))
    .execute();
}

/**
 * A live pipeline. `lock` holds its row until the transaction ends: 'update'
 * while its stages change or it is removed, 'share' while a deal is put in it,
 * so a deal never lands in a stage being removed at the same moment.
 */
export async function findPipeline(db: Kysely<Database>, tenantId: string, id: string, lock?: 'share' | 'update') {
  let query = db.selectFrom('pipelines').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).where('deleted_at', 'is', null);
  if (lock === 'share') query = query.forShare();
  if (lock === 'update') query = query.forUpdate();
  return query.executeTakeFirst();
}

export async function findDefaultPipeline(db: Kysely<Database>, tenantId: string) {
  return db.selectFrom('pipelines').selectAll().where('tenant_id', '=', tenantId).where('is_default', '=', true).executeTakeFirst();
}

export async function listPipelines(db: Kysely<Database>, tenantId: string) {
  return db
    .selectFrom('pipelines')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('deleted_at', 'is', null)
    .orderBy('position')
    .orderBy('id')
    .execute();
}

export async function nextPipelinePosition(db: Kysely<Database>, tenantId: string): Promise<number> {
  const row = await db
    .selectFrom('pipelines')
    .select(sql<number>`coalesce(max(position) + 1, 0)::int`.as('next'))
    .where('tenant_id', '=', tenantId)
    .where('deleted_at', 'is', null)
    .executeTakeFirstOrThrow();
  return row.next;
}

/** Live stages of the given pipelines, in their order. */
export async function listStages(db: Kysely<Database>, tenantId: string, pipelineIds: string[]) {
  if (pipelineIds.length === 0) return [];
  return db
    .selectFrom('pipeline_stages')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('pipeline_id', 'in', pipelineIds)
    .where('deleted_at', 'is', null)
    .orderBy('pipeline_id')
    .orderBy('position')
    .orderBy('id')
    .execute();
}

export async function findStage(db: Kysely<Database>, tenantId: string, id: string) {
  return db
    .selectFrom('pipeline_stages')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
}

export async function updatePipeline(
  db: Kysely<Database>,
  tenantId: string,
  id: string,
  expectedVersion: number,
  values: { name: string; position: number },
) {
  return db
    .updateTable('pipelines')
    .set((eb) => ({ ...values, version: eb('version', '+', 1), updated_at: new Date() }))
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .where('version', '=', expectedVersion)
    .where('deleted_at', 'is', null)
    .returningAll()
    .executeTakeFirst();
}

/** Makes one pipeline the tenant's default: the old one steps down first, for the unique index. */
export async function makeDefault(db: Kysely<Database>, tenantId: string, id: string): Promise<void> {
  await db.updateTable('pipelines').set({ is_default: false }).where('tenant_id', '=', tenantId).where('is_default', '=', true).execute();
  await db.updateTable('pipelines').set({ is_default: true }).where('tenant_id', '=', tenantId).where('id', '=', id).execute();
}

export async function updateStage(db: Kysely<Database>, tenantId: string, stage: StageValues): Promise<void> {
  const { id, ...values } = stage;
  await db.updateTable('pipeline_stages').set(values).where('tenant_id', '=', tenantId).where('id', '=', id).execute();
}

export async function removeStages(db: Kysely<Database>, tenantId: string, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await db
    .updateTable('pipeline_stages')
    .set({ deleted_at: new Date() })
    .where('tenant_id', '=', tenantId)
    .where('id', 'in', ids)
    .execute();
}

/** How many deals, live or in the recycle bin, sit in the pipeline or in one of the stages. */
export async function countDeals(
  db: Kysely<Database>,
  tenantId: string,
  where: { pipelineId: string } | { stageIds: string[] },
): Promise<number> {
  let query = db
    .selectFrom('deals')
    .select(sql<number>`count(*)::int`.as('n'))
    .where('tenant_id', '=', tenantId);
  if ('pipelineId' in where) query = query.where('pipeline_id', '=', where.pipelineId);
  else if (where.stageIds.length === 0) return 0;
  else query = query.where('stage_id', 'in', where.stageIds);
  return (await query.executeTakeFirstOrThrow()).n;
}

export async function softDeletePipeline(db: Kysely<Database>, tenantId: string, id: string): Promise<boolean> {
  const now = new Date();
  const result = await db
    .updateTable('pipelines')
    .set({ deleted_at: now })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .where('is_default', '=', false)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  if (result.numUpdatedRows !== 1n) return false;
  await db
    .updateTable('pipeline_stages')
    .set({ deleted_at: now })
    .where('tenant_id', '=', tenantId)
    .where('pipeline_id', '=', id)
    .where('deleted_at', 'is', null)
    .execute();
  return true;
}
