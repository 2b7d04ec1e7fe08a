import type { Kysely } from 'kysely';
import { recordsSubjectId } from '../../keys/keys.service.js';
import { startPeriodicJob, type PeriodicJob } from '../../shared/periodic-job.js';
import { requirePermission } from '../../access/access.service.js';
import { auditActorOf, recordChange, systemActor, type AuditActor } from '../../audit/recorder.js';
import type { Database, RetentionAction, RetentionBasis, RetentionModule, RetentionRuleCount } from '../../db/schema.js';
import type { Keyring } from '../../keys/keyring.js';
import { openField, sealField } from '../../keys/keys.service.js';
import type { Authenticated } from '../../shared/actor.js';
import { newId } from '../../shared/ids.js';
import { getTenant, listTenants } from '../../tenants/tenants.service.js';
import { eraseRecords } from '../erasure/erasure.service.js';
import { PrivacyError } from '../privacy.errors.js';
import { findPurpose } from '../purposes/purposes.repository.js';
import * as repo from './retention.repository.js';

/**
 * Retention (Art. 5(1)(e)): rules say how long records are kept; a run finds
 * the people a rule has expired and erases them, one transaction each, through
 * the erasure of erasure.service (key shredded, rows deleted, addresses
 * suppressed, `person.erased` audited with the rule as its reason).
 *
 * - A person is one subject: a lead and the contact it became are expired only
 *   when every record of theirs is past the rule's date, and erased together.
 * - A legal hold on the person suspends every rule; so does a restriction of
 *   processing (Art. 18 says keep the data). Both count as `held`.
 * - `anonymize` exists for deals only: "closed deals after N days → anonymize
 *   the people in them" erases the contacts all of whose deals closed before
 *   the date and who have had no activity since; the deals stay (title,
 *   amount, stage, dates, organization) with nobody linked. For contacts and
 *   leads the record is the person, so anonymizing would be erasing: refused.
 */

export const RUN_CANDIDATES_SHOWN = 500;
/** People handled per rule and run; the next run takes the rest. */
export const RUN_BATCH = 5000;
const STALE_RUN_MS = 6 * 3_600_000;
const DAY_MS = 86_400_000;

export interface RetentionRule {
  id: string;
  module: RetentionModule;
  afterDays: number;
  basedOn: RetentionBasis;
  action: RetentionAction;
  /** The purpose the rule is narrowed to: it covers only people with a consent event for it. */
  purposeId: string | null;
  createdBy: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface RuleInput {
  module: RetentionModule;
  afterDays: number;
  basedOn: RetentionBasis;
  action: RetentionAction;
  purposeId?: string | null | undefined;
}

export interface LegalHold {
  id: string;
  /** The held record: a person, or a deal (every person linked to it is held). */
  personTable: repo.PersonTable | 'deals';
  personId: string;
  reason: string | null;
  active: boolean;
  placedBy: string | null;
  placedAt: Date;
  releasedAt: Date | null;
  releasedBy: string | null;
  releaseReason: string | null;
}

export interface RunCandidate {
  table: repo.PersonTable;
  id: string;
  ruleId: string;
  action: RetentionAction;
  held: boolean;
  /** Why a held person was kept. */
  heldBy: 'legal_hold' | 'restriction' | null;
}

export interface RetentionReport {
  id: string;
  dryRun: boolean;
  /** People erased (or, in a dry run, who would be) by erase rules. */
  erased: number;
  /** People erased by anonymize rules (the deals they were on stay). */
  anonymized: number;
  /** People a rule has expired but a legal hold or a restriction keeps. */
  held: number;
  /** Erasures that failed; the next run tries them again. */
  failed: number;
  perRule: RetentionRuleCount[];
  /** Ids only, at most RUN_CANDIDATES_SHOWN. */
  candidates: RunCandidate[];
  candidatesTruncated: boolean;
  startedAt: Date;
  finishedAt: Date | null;
}

export interface RetentionRun {
  id: string;
  dryRun: boolean;
  by: 'user' | 'system';
  userId: string | null;
  status: 'running' | 'done' | 'failed';
  erased: number;
  anonymized: number;
  held: number;
  failed: number;
  perRule: RetentionRuleCount[];
  startedAt: Date;
  finishedAt: Date | null;
}

// --- rules -------------------------------------------------------------------------------

function toRule(row: repo.RuleRow): RetentionRule {
  return {
    id: row.id,
    module: row.module,
    afterDays: row.after_days,
    basedOn: row.based_on,
    action: row.action,
    purposeId: row.purpose_id,
    createdBy: row.created_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function checkRule(rule: RuleInput): void {
  if (!Number.isInteger(rule.afterDays) || rule.afterDays < 1 || rule.afterDays > 36_500)
    throw new PrivacyError('retention_rule_invalid', 'afterDays must be a whole number from 1 to 36500');
  if (rule.module === 'deals') {
    if (rule.purposeId)
      throw new PrivacyError(
        'retention_purpose_unsupported',
        'a deals rule covers the people on closed deals: it cannot be narrowed to a purpose (purposeId is for contacts and leads)',
      );
    if (rule.basedOn !== 'closed')
      throw new PrivacyError('retention_rule_invalid', 'a deals rule counts from when the deal closed: basedOn closed');
    if (rule.action !== 'anonymize')
      throw new PrivacyError(
        'retention_action_unsupported',
        'a deal is kept as a business record: a deals rule anonymizes the people in it (action anonymize)',
      );
    return;
  }
  if (rule.basedOn === 'closed')
    throw new PrivacyError('retention_rule_invalid', 'only deals close: use last_activity, created, updated or consent_withdrawn');
  if (rule.basedOn === 'consent_withdrawn' && !rule.purposeId)
    throw new PrivacyError(
      'retention_purpose_required',
      'basedOn consent_withdrawn counts from a withdrawal of consent: name its purposeId',
    );
  if (rule.action !== 'erase')
    throw new PrivacyError(
      'retention_action_unsupported',
      'a contact or lead is the person: anonymizing it would be erasing it, so the action is erase',
    );
}

const ruleDetails = (row: repo.RuleRow) => ({
  module: row.module,
  afterDays: row.after_days,
  basedOn: row.based_on,
  action: row.action,
  purposeId: row.purpose_id,
});

/** The rule's purpose must be one of the tenant's (404 otherwise). */
async function checkPurpose(trx: Kysely<Database>, tenantId: string, purposeId: string | null | undefined): Promise<void> {
  if (purposeId && !(await findPurpose(trx, tenantId, purposeId))) throw new PrivacyError('purpose_not_found', 'no such purpose');
}

export async function listRules(db: Kysely<Database>, actor: Authenticated): Promise<RetentionRule[]> {
  await requirePermission(db, actor, 'privacy', 'view');
  return (await repo.listRules(db, actor.tenantId)).map(toRule);
}

async function insertRule(trx: Kysely<Database>, keyring: Keyring, actor: Authenticated, input: RuleInput, preset?: string) {
  checkRule(input);
  await checkPurpose(trx, actor.tenantId, input.purposeId);
  const row = await repo.insertRule(trx, {
    tenant_id: actor.tenantId,
    id: newId(),
    module: input.module,
    after_days: input.afterDays,
    based_on: input.basedOn,
    action: input.action,
    purpose_id: input.purposeId ?? null,
    created_by: actor.user.id,
  });
  await recordChange(trx, keyring, {
    tenantId: actor.tenantId,
    actor: auditActorOf(actor),
    action: 'retention_rule.created',
    entity: 'retention_rules',
    entityId: row.id,
    details: { ...ruleDetails(row), preset: preset ?? null },
  });
  return row;
}

export async function createRule(db: Kysely<Database>, keyring: Keyring, actor: Authenticated, input: RuleInput): Promise<RetentionRule> {
  await requirePermission(db, actor, 'privacy', 'edit');
  return toRule(await db.transaction().execute((trx) => insertRule(trx, keyring, actor, input)));
}

/** The tenant-default offer: contacts and leads are erased 2 years (730 days) after the last contact with them. */
export const TWO_YEAR_PRESET: readonly RuleInput[] = [
  { module: 'contacts', afterDays: 730, basedOn: 'last_activity', action: 'erase' },
  { module: 'leads', afterDays: 730, basedOn: 'last_activity', action: 'erase' },
];

/** Creates the preset's rules that the tenant does not have yet; answers every rule of the tenant. */
export async function applyTwoYearPreset(db: Kysely<Database>, keyring: Keyring, actor: Authenticated): Promise<RetentionRule[]> {
  await requirePermission(db, actor, 'privacy', 'edit');
  return db.transaction().execute(async (trx) => {
    const existing = await repo.listRules(trx, actor.tenantId);
    for (const rule of TWO_YEAR_PRESET) {
      const same = existing.some(
        (r) =>
          r.module === rule.module &&
          r.after_days === rule.afterDays &&
          r.based_on === rule.basedOn &&
          r.action === rule.action &&
          r.purpose_id === null,
      );
      if (!same) await insertRule(trx, keyring, actor, rule, 'two_years');
    }
    return (await repo.listRules(trx, actor.tenantId)).map(toRule);
  });
}

export async function updateRule(
  db: Kysely<Database>,
  keyring: Keyring,
  actor: Authenticated,
  id: string,
  changes: Partial<Omit<RuleInput, 'module'>>,
): Promise<RetentionRule> {
  await requirePermission(db, actor, 'privacy', 'edit');
  return db.transaction().execute(async (trx) => {
    const current = await repo.findRule(trx, actor.tenantId, id);
    if (!current) throw new PrivacyError('retention_rule_not_found', 'no such retention rule');
    const next: RuleInput = {
      module: current.module,
      afterDays: changes.afterDays ?? current.after_days,
      basedOn: changes.basedOn ?? current.based_on,
      action: changes.action ?? current.action,
      purposeId: changes.purposeId === undefined ? current.purpose_id : changes.purposeId,
    };
    checkRule(next);
    if (changes.purposeId) await checkPurpose(trx, actor.tenantId, changes.purposeId);
    const row = await repo.updateRule(trx, actor.tenantId, id, {
      after_days: next.afterDays,
      based_on: next.basedOn,
      action: next.action,
      purpose_id: next.purposeId ?? null,
    });
    await recordChange(trx, keyring, {
      tenantId: actor.tenantId,
      actor: auditActorOf(actor),
      action: 'retention_rule.updated',
      entity: 'retention_rules',
      entityId: id,
      fields: (['afterDays', 'basedOn', 'action', 'purposeId'] as const).filter((f) => changes[f] !== undefined),
      details: {
        ...ruleDetails(row),
        previousAfterDays: current.after_days,
        previousBasedOn: current.based_on,
        previousPurposeId: current.purpose_id,
      },
    });
    return toRule(row);
  });
}

export async function deleteRule(db: Kysely<Database>, keyring: Keyring, actor: Authenticated, id: string): Promise<void> {
  await requirePermission(db, actor, 'privacy', 'edit');
  await db.transaction().execute(async (trx) => {
    const current = await repo.findRule(trx, actor.tenantId, id);
    if (!current) throw new PrivacyError('retention_rule_not_found', 'no such retention rule');
    await repo.deleteRule(trx, actor.tenantId, id);
    await recordChange(trx, keyring, {
      tenantId: actor.tenantId,
      actor: auditActorOf(actor),
      action: 'retention_rule.deleted',
      entity: 'retention_rules',
      entityId: id,
      details: ruleDetails(current),
    });
  });
}

// --- legal holds ---------------------------------------------------------------------------

const holdRef = (row: { tenant_id: string; subject_id: string; id: string }, field: 'reason' | 'releaseReason') => ({
  tenantId: row.tenant_id,
  subjectId: row.subject_id,
  table: 'legal_holds',
  rowId: row.id,
  field,
});

async function openOrNull(db: Kysely<Database>, keyring: Keyring, row: repo.HoldRow, field: 'reason' | 'releaseReason') {
  const sealed = field === 'reason' ? row.reason_enc : row.release_reason_enc;
  if (!sealed) return null;
  try {
    return await openField(db, keyring, holdRef(row, field), sealed);
  } catch {
    return null; // the person was erased since: their key is gone
  }
}

async function toHold(db: Kysely<Database>, keyring: Keyring, row: repo.HoldRow): Promise<LegalHold> {
  return {
    id: row.id,
    personTable: row.person_table,
    personId: row.person_id,
    reason: await openOrNull(db, keyring, row, 'reason'),
    active: row.released_at === null,
    placedBy: row.placed_by,
    placedAt: row.placed_at,
    releasedAt: row.released_at,
    releasedBy: row.released_by,
    releaseReason: await openOrNull(db, keyring, row, 'releaseReason'),
  };
}

// The schema says 1…max, but lets an overflowing number such as 1e400 through as Infinity.
const pageSize = (limit: number | undefined, fallback: number, max: number) => Math.min(Math.max(limit ?? fallback, 1), max);

const blank = (value: string | undefined) => value === undefined || value.trim() === '';

/**
 * Places a legal hold on a person (their subject: the lead and the contact it
 * became alike): no retention rule touches them until it is released. The
 * reason is staff's words about the person, sealed under their key.
 */
export async function placeHold(
  db: Kysely<Database>,
  keyring: Keyring,
  actor: Authenticated,
  input: { contactId?: string | undefined; leadId?: string | undefined; dealId?: string | undefined; reason: string },
): Promise<LegalHold> {
  await requirePermission(db, actor, 'privacy', 'edit');
  if ([input.contactId, input.leadId, input.dealId].filter((v) => v !== undefined).length !== 1)
    throw new PrivacyError('legal_hold_invalid', 'name exactly one of contactId, leadId or dealId');
  if (blank(input.reason)) throw new PrivacyError('reason_required', 'a legal hold needs its reason');
  const table: repo.PersonTable | 'deals' = input.contactId ? 'contacts' : input.leadId ? 'leads' : 'deals';
  const personId = (input.contactId ?? input.leadId ?? input.dealId)!;
  const row = await db.transaction().execute(async (trx) => {
    // A deal's hold is about a company record: its reason is sealed under the tenant's records subject.
    const subjectId =
      table === 'deals'
        ? (await repo.dealExists(trx, actor.tenantId, personId))
          ? await recordsSubjectId(trx, keyring, actor.tenantId)
          : undefined
        : await repo.subjectOfPerson(trx, actor.tenantId, table, personId);
    if (!subjectId)
      throw new PrivacyError(
        table === 'deals' ? 'legal_hold_invalid' : 'person_not_found',
        `no such ${table === 'contacts' ? 'contact' : table === 'leads' ? 'lead' : 'deal'}`,
      );
    const id = newId();
    const reason = input.reason.trim();
    const row = await repo.insertHold(trx, {
      tenant_id: actor.tenantId,
      id,
      subject_id: subjectId,
      person_table: table,
      person_id: personId,
      reason_enc: await sealField(trx, keyring, holdRef({ tenant_id: actor.tenantId, subject_id: subjectId, id }, 'reason'), reason),
      placed_by: actor.user.id,
    });
    await recordChange(trx, keyring, {
      tenantId: actor.tenantId,
      actor: auditActorOf(actor),
      action: 'legal_hold.placed',
      entity: 'legal_holds',
      entityId: id,
      subjectIds: table === 'deals' ? [] : [subjectId],
      details: { personTable: table, personId },
      values: { subjectId, data: { reason } },
    });
    return row;
  });
  return toHold(db, keyring, row);
}

export async function listHolds(
  db: Kysely<Database>,
  keyring: Keyring,
  actor: Authenticated,
  query: { active?: boolean | undefined; limit?: number | undefined },
): Promise<LegalHold[]> {
  await requirePermission(db, actor, 'privacy', 'view');
  const rows = await repo.listHolds(db, actor.tenantId, { activeOnly: query.active === true, limit: pageSize(query.limit, 200, 200) });
  return Promise.all(rows.map((row) => toHold(db, keyring, row)));
}

export async function releaseHold(
  db: Kysely<Database>,
  keyring: Keyring,
  actor: Authenticated,
  id: string,
  input: { reason: string },
): Promise<LegalHold> {
  await requirePermission(db, actor, 'privacy', 'edit');
  if (blank(input.reason)) throw new PrivacyError('reason_required', 'releasing a legal hold needs its reason');
  const row = await db.transaction().execute(async (trx) => {
    const current = await repo.findHold(trx, actor.tenantId, id);
    if (!current) throw new PrivacyError('legal_hold_not_found', 'no such legal hold');
    if (current.released_at) throw new PrivacyError('legal_hold_released', 'the legal hold was released already');
    const reason = input.reason.trim();
    const row = await repo.releaseHold(trx, actor.tenantId, id, {
      released_at: new Date(),
      released_by: actor.user.id,
      release_reason_enc: await sealField(trx, keyring, holdRef(current, 'releaseReason'), reason),
    });
    await recordChange(trx, keyring, {
      tenantId: actor.tenantId,
      actor: auditActorOf(actor),
      action: 'legal_hold.released',
      entity: 'legal_holds',
      entityId: id,
      subjectIds: [current.subject_id],
      details: { personTable: current.person_table, personId: current.person_id },
      values: { subjectId: current.subject_id, data: { reason } },
    });
    return row;
  });
  return toHold(db, keyring, row);
}

// --- runs ----------------------------------------------------------------------------------

function toRun(row: repo.RunRow): RetentionRun {
  return {
    id: row.id,
    dryRun: row.dry_run,
    by: row.user_id ? 'user' : 'system',
    userId: row.user_id,
    status: row.status,
    erased: row.erased,
    anonymized: row.anonymized,
    held: row.held,
    failed: row.failed,
    perRule: row.per_rule,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
}

export interface RunOptions {
  dryRun: boolean;
  /** Who runs it: a user of the tenant, or the daily job / the operator's CLI (system). */
  by: { actor: AuditActor; userId: string | null };
  now?: Date;
  log?: { error(details: object, message: string): void };
}

/**
 * Applies every rule of the tenant (oldest rule first; a person expired by
 * several is handled by the first). A dry run changes nothing and reports
 * what a run would do. Refused with 409 while another real run of the tenant
 * is in progress (on any node).
 */
export async function runForTenant(
  db: Kysely<Database>,
  keyring: Keyring,
  tenantId: string,
  options: RunOptions,
): Promise<RetentionReport> {
  const now = options.now ?? new Date();
  await repo.failStaleRuns(db, tenantId, new Date(now.getTime() - STALE_RUN_MS));
  const run = await repo.startRun(db, { tenant_id: tenantId, id: newId(), dry_run: options.dryRun, user_id: options.by.userId });
  if (!run) throw new PrivacyError('retention_run_in_progress', 'a retention run of this tenant is in progress; try again when it is done');

  const seen = new Set<string>();
  const candidates: RunCandidate[] = [];
  const totals = { erased: 0, anonymized: 0, held: 0, failed: 0 };
  const perRule: RetentionRuleCount[] = [];
  try {
    for (const rule of await repo.listRules(db, tenantId)) {
      const count: RetentionRuleCount = {
        ruleId: rule.id,
        module: rule.module,
        action: rule.action,
        erased: 0,
        anonymized: 0,
        held: 0,
        failed: 0,
      };
      perRule.push(count);
      const cutoff = new Date(now.getTime() - rule.after_days * DAY_MS);
      const found = await repo.findCandidates(
        db,
        tenantId,
        { module: rule.module, basedOn: rule.based_on, cutoff, purposeId: rule.purpose_id },
        RUN_BATCH,
      );
      for (const person of found) {
        if (seen.has(person.subjectId)) continue;
        seen.add(person.subjectId);
        const heldBy = person.legalHold ? 'legal_hold' : person.restricted ? 'restriction' : null;
        if (candidates.length < RUN_CANDIDATES_SHOWN)
          candidates.push({ table: person.table, id: person.id, ruleId: rule.id, action: rule.action, held: heldBy !== null, heldBy });
        const outcome = rule.action === 'erase' ? 'erased' : 'anonymized';
        if (heldBy) {
          count.held++;
          totals.held++;
          continue;
        }
        if (!options.dryRun) {
          try {
            await eraseRecords(db, keyring, tenantId, person, {
              actor: options.by.actor,
              userId: options.by.userId,
              reason: `retention rule ${rule.id}`,
            });
          } catch (error) {
            // Erased meanwhile (another node, a privacy officer): nothing left to do.
            if (error instanceof PrivacyError && error.code === 'person_not_found') continue;
            // Put on hold since the candidates were found: the erasure refused, the person is kept.
            if (error instanceof PrivacyError && error.code === 'legal_hold') {
              count.held++;
              totals.held++;
              continue;
            }
            count.failed++;
            totals.failed++;
            options.log?.error(
              { tenantId, ruleId: rule.id, code: (error as { code?: string }).code ?? 'unknown' },
              'retention erasure failed',
            );
            continue;
          }
        }
        count[outcome]++;
        totals[outcome]++;
      }
    }
  } catch (error) {
    await repo.finishRun(db, tenantId, run.id, { status: 'failed', ...totals, per_rule: JSON.stringify(perRule) });
    throw error;
  }
  const finished = await repo.finishRun(db, tenantId, run.id, { status: 'done', ...totals, per_rule: JSON.stringify(perRule) });
  await recordChange(db, keyring, {
    tenantId,
    actor: options.by.actor,
    action: 'retention.run',
    entity: 'retention_runs',
    entityId: run.id,
    details: { dryRun: options.dryRun, ...totals, rules: perRule.map((r) => r.ruleId) },
  });
  return {
    id: run.id,
    dryRun: options.dryRun,
    ...totals,
    perRule,
    candidates,
    candidatesTruncated:
      candidates.length >= RUN_CANDIDATES_SHOWN && totals.erased + totals.anonymized + totals.held + totals.failed > candidates.length,
    startedAt: finished.started_at,
    finishedAt: finished.finished_at,
  };
}

/** A run asked for by a user: privacy `edit` permission. */
export async function runRetention(
  db: Kysely<Database>,
  keyring: Keyring,
  actor: Authenticated,
  input: { dryRun: boolean },
): Promise<RetentionReport> {
  await requirePermission(db, actor, 'privacy', 'edit');
  return runForTenant(db, keyring, actor.tenantId, { dryRun: input.dryRun, by: { actor: auditActorOf(actor), userId: actor.user.id } });
}

/** The operator's `custodia retention run --tenant <slug> [--dry-run]`: recorded as the system. */
export async function runRetentionForSlug(
  db: Kysely<Database>,
  keyring: Keyring,
  slug: string,
  input: { dryRun: boolean },
): Promise<RetentionReport & { slug: string }> {
  const tenant = await getTenant(db, slug);
  const report = await runForTenant(db, keyring, tenant.id, {
    dryRun: input.dryRun,
    by: { actor: systemActor('retention-cli'), userId: null },
  });
  return { slug: tenant.slug, ...report };
}

export async function listRuns(db: Kysely<Database>, actor: Authenticated, query: { limit?: number | undefined }): Promise<RetentionRun[]> {
  await requirePermission(db, actor, 'privacy', 'view');
  return (await repo.listRuns(db, actor.tenantId, pageSize(query.limit, 20, 100))).map(toRun);
}

// --- the daily job -------------------------------------------------------------------------

export interface RetentionJobLog {
  info(details: object, message: string): void;
  error(details: object, message: string): void;
}

/**
 * One pass of the daily job: every active tenant with rules whose last job
 * run started more than `minGapMs` ago. Several nodes may run it: the run's
 * unique "running" row keeps two from working on one tenant at once, the gap
 * keeps a tenant from being run once per node, and an erasure of someone
 * already gone is skipped.
 */
export async function runRetentionJob(
  db: Kysely<Database>,
  keyring: Keyring,
  options: { minGapMs: number; now?: Date },
  log?: RetentionJobLog,
): Promise<Array<{ tenantId: string; erased: number; anonymized: number; held: number; failed: number }>> {
  const now = options.now ?? new Date();
  const withRules = new Set(await repo.tenantsWithRules(db));
  const done: Array<{ tenantId: string; erased: number; anonymized: number; held: number; failed: number }> = [];
  for (const tenant of await listTenants(db, { status: 'active' })) {
    if (!withRules.has(tenant.id)) continue;
    const last = await repo.lastJobRunAt(db, tenant.id);
    if (last && now.getTime() - last.getTime() < options.minGapMs) continue;
    try {
      const report = await runForTenant(db, keyring, tenant.id, {
        dryRun: false,
        by: { actor: systemActor('retention'), userId: null },
        now,
        ...(log ? { log } : {}),
      });
      done.push({ tenantId: tenant.id, erased: report.erased, anonymized: report.anonymized, held: report.held, failed: report.failed });
    } catch (error) {
      if (error instanceof PrivacyError && error.code === 'retention_run_in_progress') continue;
      log?.error({ tenantId: tenant.id, code: (error as { code?: string }).code ?? 'unknown' }, 'retention run failed; will try again');
    }
  }
  return done;
}

/** Runs runRetentionJob a few minutes after start and then every `everyMs` (daily by default); stop() waits for a run in flight. */
export function startRetentionJob(deps: {
  db: Kysely<Database>;
  keyring: Keyring;
  log: RetentionJobLog;
  everyMs: number;
  firstAfterMs?: number;
}): PeriodicJob {
  return startPeriodicJob({
    name: 'retention job',
    log: deps.log,
    firstAfterMs: deps.firstAfterMs ?? 10 * 60_000,
    everyMs: deps.everyMs,
    work: async () => {
      // A little under the interval, so a node's own next pass is not skipped for starting a moment early.
      const done = await runRetentionJob(deps.db, deps.keyring, { minGapMs: deps.everyMs * 0.9 }, deps.log);
      for (const r of done) if (r.erased + r.anonymized + r.held + r.failed > 0) deps.log.info(r, 'retention run');
    },
  });
}
