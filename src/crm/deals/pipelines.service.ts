import type { Kysely } from 'kysely';
import type { Database, StageKind } from '../../db/schema.js';
import { inTransaction } from '../../db/transaction.js';
import type { Authenticated } from '../../shared/actor.js';
import { newId } from '../../shared/ids.js';
import { CrmError } from '../common/crm.errors.js';
import * as repo from './pipelines.repository.js';

/**
 * Pipelines: each tenant's ordered sales stages, each with a win probability
 * and a kind (open, won, lost) that decides a deal's status. Every tenant has
 * exactly one default pipeline, created on first use.
 */

export interface Stage {
  id: string;
  name: string;
  position: number;
  probability: number;
  kind: StageKind;
}

export interface Pipeline {
  id: string;
  name: string;
  position: number;
  isDefault: boolean;
  stages: Stage[];
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface StageInput {
  /** An existing stage of the pipeline (on update); absent for a new one. */
  id?: string;
  name: string;
  probability: number;
  kind?: StageKind;
}

export interface PipelineInput {
  name?: string;
  position?: number;
  isDefault?: boolean;
  stages?: StageInput[];
}

const DEFAULT_PIPELINE = {
  name: 'Sales',
  stages: [
    { name: 'Qualification', probability: 10, kind: 'open' },
    { name: 'Proposal', probability: 40, kind: 'open' },
    { name: 'Negotiation', probability: 70, kind: 'open' },
    { name: 'Won', probability: 100, kind: 'won' },
    { name: 'Lost', probability: 0, kind: 'lost' },
  ] satisfies StageInput[],
};

const MAX_STAGES = 30;
const STAGE_KINDS: StageKind[] = ['open', 'won', 'lost'];

type PipelineRow = NonNullable<Awaited<ReturnType<typeof repo.findPipeline>>>;
type StageRow = Awaited<ReturnType<typeof repo.listStages>>[number];

function toStage(row: StageRow): Stage {
  return { id: row.id, name: row.name, position: row.position, probability: row.probability, kind: row.kind };
}

function toPipeline(row: PipelineRow, stages: StageRow[]): Pipeline {
  return {
    id: row.id,
    name: row.name,
    position: row.position,
    isDefault: row.is_default,
    stages: stages.filter((s) => s.pipeline_id === row.id).map(toStage),
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/**
 * Gives the tenant its default "Sales" pipeline unless it has one. Tenants
 * made before pipelines existed have none, so every pipeline and deal path
 * calls this first; concurrent first calls agree on a single pipeline.
 */
/** Pipelines shape everyone's board: administrators change them, everyone uses them. */
function assertAdmin(actor: Authenticated): void {
  if (!actor.user.isAdmin) throw new CrmError('admin_required', 'only administrators change pipelines');
}

export async function ensureDefaultPipeline(db: Kysely<Database>, tenantId: string): Promise<void> {
  if (await repo.hasDefaultPipeline(db, tenantId)) return;
  await inTransaction(db, (trx) =>
    repo.insertDefaultPipeline(
      trx,
      tenantId,
      { id: newId(), name: DEFAULT_PIPELINE.name },
      DEFAULT_PIPELINE.stages.map((s, position) => ({ ...s, id: newId(), position })),
    ),
  );
}

function pipelineName(value: string | undefined): string {
  const name = (value ?? '').trim();
  if (!name || name.length > 100) throw new CrmError('invalid_field', 'name must be 1 to 100 characters');
  return name;
}

function stageValues(inputs: StageInput[]): Array<Omit<repo.StageValues, 'id'> & { id?: string }> {
  if (inputs.length === 0 || inputs.length > MAX_STAGES) throw new CrmError('invalid_stage', `a pipeline has 1 to ${MAX_STAGES} stages`);
  const names = new Set<string>();
  return inputs.map((input, position) => {
    const name = input.name.trim();
    if (!name || name.length > 100) throw new CrmError('invalid_stage', `stages[${position}].name must be 1 to 100 characters`);
    if (names.has(name.toLowerCase())) throw new CrmError('invalid_stage', `two stages are named "${name}"`);
    names.add(name.toLowerCase());
    if (!Number.isInteger(input.probability) || input.probability < 0 || input.probability > 100) {
      throw new CrmError('invalid_stage', `stages[${position}].probability must be a whole percentage, 0 to 100`);
    }
    const kind = input.kind ?? 'open';
    if (!STAGE_KINDS.includes(kind)) throw new CrmError('invalid_stage', `stages[${position}].kind must be open, won or lost`);
    return { ...(input.id !== undefined ? { id: input.id } : {}), name, position, probability: input.probability, kind };
  });
}

async function load(db: Kysely<Database>, tenantId: string, id: string): Promise<Pipeline> {
  const row = await repo.findPipeline(db, tenantId, id);
  if (!row) throw new CrmError('record_not_found', 'no such pipeline');
  return toPipeline(row, await repo.listStages(db, tenantId, [row.id]));
}

export async function getPipeline(db: Kysely<Database>, actor: Authenticated, id: string): Promise<Pipeline> {
  await ensureDefaultPipeline(db, actor.tenantId);
  return load(db, actor.tenantId, id);
}

/** The tenant's default pipeline with its stages. */
export async function defaultPipeline(db: Kysely<Database>, tenantId: string): Promise<Pipeline> {
  await ensureDefaultPipeline(db, tenantId);
  const row = await repo.findDefaultPipeline(db, tenantId);
  if (!row) throw new Error('the default pipeline vanished');
  return toPipeline(row, await repo.listStages(db, tenantId, [row.id]));
}

/** Every pipeline of the tenant, in board order; a handful, so one page. */
export async function listPipelines(db: Kysely<Database>, actor: Authenticated): Promise<{ items: Pipeline[]; nextCursor: null }> {
  await ensureDefaultPipeline(db, actor.tenantId);
  const rows = await repo.listPipelines(db, actor.tenantId);
  const stages = await repo.listStages(
    db,
    actor.tenantId,
    rows.map((r) => r.id),
  );
  return { items: rows.map((r) => toPipeline(r, stages)), nextCursor: null };
}

export async function createPipeline(
  db: Kysely<Database>,
  actor: Authenticated,
  input: { name: string; stages: StageInput[]; position?: number; isDefault?: boolean },
): Promise<Pipeline> {
  assertAdmin(actor);
  const name = pipelineName(input.name);
  const stages = stageValues(input.stages);
  if (stages.some((s) => s.id !== undefined)) throw new CrmError('invalid_stage', 'new stages do not carry an id');
  await ensureDefaultPipeline(db, actor.tenantId);
  return inTransaction(db, async (trx) => {
    const position = input.position ?? (await repo.nextPipelinePosition(trx, actor.tenantId));
    const row = await repo.insertPipeline(trx, actor.tenantId, { id: newId(), name, position });
    await repo.insertStages(
      trx,
      actor.tenantId,
      row.id,
      stages.map((s) => ({ ...s, id: newId() })),
    );
    if (input.isDefault) await repo.makeDefault(trx, actor.tenantId, row.id);
    return load(trx, actor.tenantId, row.id);
  });
}

/**
 * Renames, reorders or makes a pipeline the default. `stages`, when given, is
 * the whole new ordered list: entries with an id keep (and may rename) that
 * stage, entries without one are added, and stages left out are removed —
 * unless deals sit in them, which answers stage_in_use.
 */
export async function updatePipeline(
  db: Kysely<Database>,
  actor: Authenticated,
  id: string,
  input: PipelineInput & { version?: number },
  ifMatch?: number,
): Promise<Pipeline> {
  assertAdmin(actor);
  const name = input.name !== undefined ? pipelineName(input.name) : undefined;
  const stages = input.stages !== undefined ? stageValues(input.stages) : undefined;
  await ensureDefaultPipeline(db, actor.tenantId);
  return inTransaction(db, async (trx) => {
    const current = await repo.findPipeline(trx, actor.tenantId, id, 'update');
    if (!current) throw new CrmError('record_not_found', 'no such pipeline');
    const expected = ifMatch ?? input.version ?? current.version;
    const updated = await repo.updatePipeline(trx, actor.tenantId, id, expected, {
      name: name ?? current.name,
      position: input.position ?? current.position,
    });
    if (!updated) throw new CrmError('version_conflict', `the pipeline changed since version ${expected}; reload and try again`);
    if (input.isDefault === false && current.is_default) {
      throw new CrmError('invalid_field', 'a tenant always has a default pipeline: make another one the default instead');
    }
    if (input.isDefault === true && !current.is_default) await repo.makeDefault(trx, actor.tenantId, id);
    if (stages) await replaceStages(trx, actor.tenantId, id, stages);
    return load(trx, actor.tenantId, id);
  });
}

async function replaceStages(
  db: Kysely<Database>,
  tenantId: string,
  pipelineId: string,
  stages: Array<Omit<repo.StageValues, 'id'> & { id?: string }>,
): Promise<void> {
  const existing = new Map((await repo.listStages(db, tenantId, [pipelineId])).map((s) => [s.id, s]));
  const kept = new Set<string>();
  for (const [i, stage] of stages.entries()) {
    if (stage.id === undefined) continue;
    if (!existing.has(stage.id)) throw new CrmError('invalid_stage', `stages[${i}].id is not a stage of this pipeline`);
    if (kept.has(stage.id)) throw new CrmError('invalid_stage', `stages[${i}].id appears twice`);
    kept.add(stage.id);
  }
  const removed = [...existing.keys()].filter((stageId) => !kept.has(stageId));
  if ((await repo.countDeals(db, tenantId, { stageIds: removed })) > 0) {
    throw new CrmError('stage_in_use', 'deals (live or in the recycle bin) sit in a stage left out; move them first');
  }
  // A deal's status follows its stage's kind, so the kind of an occupied stage stays.
  const rekinded = stages.filter((s) => s.id !== undefined && existing.get(s.id)!.kind !== s.kind).map((s) => s.id!);
  if ((await repo.countDeals(db, tenantId, { stageIds: rekinded })) > 0) {
    throw new CrmError('stage_in_use', 'the kind of a stage with deals in it cannot change; move the deals first');
  }
  await repo.removeStages(db, tenantId, removed);
  for (const stage of stages) if (stage.id !== undefined) await repo.updateStage(db, tenantId, stage as repo.StageValues);
  await repo.insertStages(
    db,
    tenantId,
    pipelineId,
    stages.filter((s) => s.id === undefined).map((s) => ({ ...s, id: newId() })),
  );
}

/** Removes a pipeline; never the default one, nor one that holds deals (recycled ones included). */
export async function deletePipeline(db: Kysely<Database>, actor: Authenticated, id: string): Promise<void> {
  assertAdmin(actor);
  await ensureDefaultPipeline(db, actor.tenantId);
  await inTransaction(db, async (trx) => {
    const current = await repo.findPipeline(trx, actor.tenantId, id, 'update');
    if (!current) throw new CrmError('record_not_found', 'no such pipeline');
    if (current.is_default)
      throw new CrmError('default_pipeline', 'the default pipeline cannot be deleted; make another one the default first');
    if ((await repo.countDeals(trx, actor.tenantId, { pipelineId: id })) > 0) {
      throw new CrmError('pipeline_in_use', 'the pipeline holds deals (live or in the recycle bin); move them first');
    }
    await repo.softDeletePipeline(trx, actor.tenantId, id);
  });
}

/** A live stage and its pipeline, for placing a deal. */
export async function findStage(
  db: Kysely<Database>,
  tenantId: string,
  stageId: string,
): Promise<(Stage & { pipelineId: string }) | undefined> {
  const row = await repo.findStage(db, tenantId, stageId);
  return row ? { ...toStage(row), pipelineId: row.pipeline_id } : undefined;
}

/** A live pipeline with its stages, its row share-locked until the caller's transaction ends. */
export async function lockPipeline(db: Kysely<Database>, tenantId: string, id: string): Promise<Pipeline | undefined> {
  const row = await repo.findPipeline(db, tenantId, id, 'share');
  return row ? toPipeline(row, await repo.listStages(db, tenantId, [id])) : undefined;
}
