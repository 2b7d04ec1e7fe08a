import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import { requirePermission } from '../../access/access.service.js';
import { auditActorOf, recordChange } from '../../audit/recorder.js';
import type { Database, Language, LawfulBasisName } from '../../db/schema.js';
import { inTransaction } from '../../db/transaction.js';
import type { Keyring } from '../../keys/keyring.js';
import type { Authenticated } from '../../shared/actor.js';
import { isUniqueViolation } from '../../shared/domain-error.js';
import { newId } from '../../shared/ids.js';
import { PrivacyError } from '../privacy.errors.js';
import * as repo from './purposes.repository.js';

/**
 * Processing purposes and their privacy notices: what the tenant does with
 * personal data, on which lawful basis (Art. 6), and the exact texts people
 * were shown. Purposes are retired, never deleted, since consent events and
 * the record of processing point to them; notices are versioned and never
 * edited, since a consent proves which text (by its SHA-256) was shown.
 */

export const LAWFUL_BASES = [
  'consent',
  'contract',
  'legal_obligation',
  'vital_interests',
  'public_task',
  'legitimate_interests',
] as const satisfies readonly LawfulBasisName[];
export const NOTICE_LANGUAGES = ['en', 'nl'] as const satisfies readonly Language[];
export const LIA_FIELDS = ['purposeTest', 'necessityTest', 'balancingTest', 'outcome', 'reviewer', 'reviewedAt'] as const;

/** The Legitimate Interests Assessment a legitimate_interests purpose must keep. */
export type Lia = Record<(typeof LIA_FIELDS)[number], string>;
export interface Transfer {
  country: string;
  safeguard: string;
}
export type PurposeStatus = 'active' | 'retired';

export interface NoticeSummary {
  id: string;
  purposeId: string;
  language: Language;
  version: number;
  sha256: string;
  createdAt: Date;
}
export interface Notice extends NoticeSummary {
  text: string;
  createdBy: string | null;
}

export interface Purpose {
  id: string;
  name: string;
  description: string;
  lawfulBasis: LawfulBasisName;
  dataCategories: string[];
  retentionDays: number;
  recipients: string[];
  transfers: Transfer[];
  marketing: boolean;
  status: PurposeStatus;
  lia: Lia | null;
  version: number;
  createdBy: string | null;
  createdAt: Date;
  updatedAt: Date;
  /** Whether a notice exists per language (a consent purpose cannot collect consent without one). */
  hasNotice: Record<Language, boolean>;
  /** The newest notice version per language. */
  notices: NoticeSummary[];
  /** Where people sign up for an active consent purpose (the public subscribe page), on one purpose's read; else null. */
  signUpPath: string | null;
}

export interface PurposeInput {
  name: string;
  description?: string | undefined;
  lawfulBasis: LawfulBasisName;
  dataCategories: string[];
  retentionDays: number;
  recipients?: string[] | undefined;
  transfers?: Transfer[] | undefined;
  marketing?: boolean | undefined;
  lia?: Partial<Lia> | null | undefined;
  status?: PurposeStatus | undefined;
  /** The first notice, published with the purpose. */
  notice?: { language: Language; text: string } | undefined;
}

export type PurposeChange = Partial<Omit<PurposeInput, 'notice'>> & { version?: number | undefined };

const MAX_NOTICE = 100_000;

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

function toSummary(row: repo.NoticeSummaryRow): NoticeSummary {
  return {
    id: row.id,
    purposeId: row.purpose_id,
    language: row.language,
    version: row.version,
    sha256: row.sha256,
    createdAt: row.created_at,
  };
}

function toNotice(row: repo.NoticeRow): Notice {
  return { ...toSummary(row), text: row.text, createdBy: row.created_by };
}

function liaOf(value: Record<string, unknown> | null): Lia | null {
  if (!value) return null;
  return Object.fromEntries(LIA_FIELDS.map((f) => [f, typeof value[f] === 'string' ? value[f] : ''])) as Lia;
}

function toPurpose(row: repo.PurposeRow, notices: readonly repo.NoticeSummaryRow[]): Purpose {
  const newest = new Map<Language, repo.NoticeSummaryRow>();
  for (const n of notices) if (n.purpose_id === row.id && (newest.get(n.language)?.version ?? 0) < n.version) newest.set(n.language, n);
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    lawfulBasis: row.lawful_basis,
    dataCategories: row.data_categories,
    retentionDays: row.retention_days,
    recipients: row.recipients,
    transfers: row.transfers,
    marketing: row.marketing,
    status: row.status,
    lia: liaOf(row.lia),
    version: row.version,
    createdBy: row.created_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    hasNotice: { en: newest.has('en'), nl: newest.has('nl') },
    notices: NOTICE_LANGUAGES.flatMap((l) => (newest.has(l) ? [toSummary(newest.get(l)!)] : [])),
    signUpPath: null,
  };
}

// --- validation ------------------------------------------------------------------------------

function text(value: string, field: string, max: number, min = 1): string {
  const trimmed = value.trim();
  if (trimmed.length < min || trimmed.length > max)
    throw new PrivacyError('purpose_invalid', `${field} must be ${min} to ${max} characters`);
  return trimmed;
}

function list(values: readonly string[], field: string, max: number): string[] {
  const out: string[] = [];
  for (const v of values) {
    const t = text(v, `each of ${field}`, 200);
    if (!out.some((o) => o.toLowerCase() === t.toLowerCase())) out.push(t);
  }
  if (out.length > max) throw new PrivacyError('purpose_invalid', `${field} has at most ${max} entries`);
  return out;
}

/** A complete LIA (every part filled, a real review date), or lia_required naming what is missing. */
function completeLia(lia: Partial<Lia> | null | undefined): Lia {
  const missing = LIA_FIELDS.filter((f) => typeof lia?.[f] !== 'string' || lia[f]!.trim() === '');
  if (missing.length > 0)
    throw new PrivacyError(
      'lia_required',
      `a legitimate-interests purpose needs a complete Legitimate Interests Assessment; missing: ${missing.join(', ')}`,
      { missing },
    );
  const reviewedAt = lia!.reviewedAt!.trim();
  if (!/^\d{4}-\d{2}-\d{2}/.test(reviewedAt) || Number.isNaN(Date.parse(reviewedAt)))
    throw new PrivacyError('lia_required', 'the LIA reviewedAt must be a date (YYYY-MM-DD)', { missing: ['reviewedAt'] });
  return Object.fromEntries(LIA_FIELDS.map((f) => [f, lia![f]!.trim()])) as Lia;
}

/** An LIA as given (possibly partial, kept as a draft) when the purpose does not need one in force. */
function draftLia(lia: Partial<Lia> | null | undefined): Lia | null {
  if (!lia) return null;
  const filled = LIA_FIELDS.filter((f) => typeof lia[f] === 'string' && lia[f]!.trim() !== '');
  if (filled.length === 0) return null;
  return Object.fromEntries(LIA_FIELDS.map((f) => [f, (lia[f] ?? '').trim()])) as Lia;
}

interface Checked {
  name: string;
  description: string;
  lawfulBasis: LawfulBasisName;
  dataCategories: string[];
  retentionDays: number;
  recipients: string[];
  transfers: Transfer[];
  marketing: boolean;
  status: PurposeStatus;
  lia: Lia | null;
}

function check(input: Omit<PurposeInput, 'notice'>): Checked {
  if (!LAWFUL_BASES.includes(input.lawfulBasis))
    throw new PrivacyError('purpose_invalid', `lawfulBasis must be one of ${LAWFUL_BASES.join(', ')}`);
  const dataCategories = list(input.dataCategories, 'dataCategories', 50);
  if (dataCategories.length === 0) throw new PrivacyError('purpose_invalid', 'dataCategories names at least one category of personal data');
  if (!Number.isInteger(input.retentionDays) || input.retentionDays < 1 || input.retentionDays > 36_500)
    throw new PrivacyError('purpose_invalid', 'retentionDays must be a whole number of days from 1 to 36500');
  const status = input.status ?? 'active';
  // The LIA must be complete while the purpose rests on legitimate interests and is in force.
  const lia = input.lawfulBasis === 'legitimate_interests' && status === 'active' ? completeLia(input.lia) : draftLia(input.lia);
  return {
    name: text(input.name, 'name', 200),
    description: text(input.description ?? '', 'description', 5_000, 0),
    lawfulBasis: input.lawfulBasis,
    dataCategories,
    retentionDays: input.retentionDays,
    recipients: list(input.recipients ?? [], 'recipients', 50),
    transfers: (input.transfers ?? []).map((t) => ({
      country: text(t.country, 'transfers.country', 100),
      safeguard: text(t.safeguard, 'transfers.safeguard', 500),
    })),
    marketing: input.marketing ?? false,
    status,
    lia,
  };
}

function noticeText(value: string): string {
  // Kept exactly as given (its hash is the proof of what was shown); only emptiness is refused.
  if (value.trim() === '' || value.length > MAX_NOTICE)
    throw new PrivacyError('purpose_invalid', `a notice text is 1 to ${MAX_NOTICE} characters`);
  return value;
}

const columns = (c: Checked) => ({
  name: c.name,
  description: c.description,
  lawful_basis: c.lawfulBasis,
  data_categories: JSON.stringify(c.dataCategories),
  retention_days: c.retentionDays,
  recipients: JSON.stringify(c.recipients),
  transfers: JSON.stringify(c.transfers),
  marketing: c.marketing,
  status: c.status,
  lia: c.lia ? JSON.stringify(c.lia) : null,
});

async function assertNameFree(db: Kysely<Database>, tenantId: string, name: string, self?: string): Promise<void> {
  const other = await repo.purposeNamed(db, tenantId, name);
  if (other && other.id !== self) throw new PrivacyError('duplicate_name', 'another purpose already has this name');
}

// --- purposes --------------------------------------------------------------------------------

export async function listPurposes(db: Kysely<Database>, actor: Authenticated): Promise<Purpose[]> {
  await requirePermission(db, actor, 'privacy', 'view');
  const rows = await repo.listPurposes(db, actor.tenantId);
  const notices = await repo.noticeSummaries(db, actor.tenantId);
  return rows.map((r) => toPurpose(r, notices));
}

async function loadPurpose(db: Kysely<Database>, tenantId: string, id: string): Promise<Purpose> {
  const row = await repo.findPurpose(db, tenantId, id);
  if (!row) throw new PrivacyError('purpose_not_found', 'no such purpose');
  return toPurpose(row, await repo.noticeSummaries(db, tenantId, [id]));
}

export async function getPurpose(db: Kysely<Database>, actor: Authenticated, id: string): Promise<Purpose> {
  await requirePermission(db, actor, 'privacy', 'view');
  const purpose = await loadPurpose(db, actor.tenantId, id);
  if (purpose.lawfulBasis !== 'consent' || purpose.status !== 'active') return purpose;
  const slug = await repo.tenantSlugOf(db, actor.tenantId);
  return { ...purpose, signUpPath: slug ? `/api/v1/public/${slug}/subscribe?purpose=${purpose.id}` : null };
}

export async function createPurpose(db: Kysely<Database>, keyring: Keyring, actor: Authenticated, input: PurposeInput): Promise<Purpose> {
  await requirePermission(db, actor, 'privacy', 'edit');
  const checked = check(input);
  const notice = input.notice ? { language: input.notice.language, text: noticeText(input.notice.text) } : undefined;
  return inTransaction(db, async (trx) => {
    await assertNameFree(trx, actor.tenantId, checked.name);
    if ((await repo.countPurposes(trx, actor.tenantId)) >= repo.MAX_PURPOSES)
      throw new PrivacyError('purpose_invalid', `a tenant has at most ${repo.MAX_PURPOSES} purposes; retire and reuse one`);
    const id = newId();
    try {
      await repo.insertPurpose(trx, { tenant_id: actor.tenantId, id, created_by: actor.user.id, ...columns(checked) });
    } catch (error) {
      if (isUniqueViolation(error, 'purposes_name_key')) throw new PrivacyError('duplicate_name', 'another purpose already has this name');
      throw error;
    }
    await recordChange(trx, keyring, {
      tenantId: actor.tenantId,
      actor: auditActorOf(actor),
      action: 'purpose.created',
      entity: 'purposes',
      entityId: id,
      fields: Object.keys(checked).sort(),
      details: { lawfulBasis: checked.lawfulBasis, marketing: checked.marketing, status: checked.status, liaStored: checked.lia !== null },
    });
    if (notice) await publish(trx, keyring, actor, id, notice);
    return loadPurpose(trx, actor.tenantId, id);
  });
}

/** Changes a purpose; a stale `version` answers 409. Retiring is a change of status, never a delete. */
export async function updatePurpose(
  db: Kysely<Database>,
  keyring: Keyring,
  actor: Authenticated,
  id: string,
  change: PurposeChange,
  expected?: number,
): Promise<Purpose> {
  await requirePermission(db, actor, 'privacy', 'edit');
  return inTransaction(db, async (trx) => {
    const row = await repo.lockPurpose(trx, actor.tenantId, id);
    if (!row) throw new PrivacyError('purpose_not_found', 'no such purpose');
    const version = expected ?? change.version ?? row.version;
    if (version !== row.version)
      throw new PrivacyError('version_conflict', `the purpose changed since version ${version}; reload and try again`);
    const before = toPurpose(row, []);
    const merged = check({
      name: change.name ?? before.name,
      description: change.description ?? before.description,
      lawfulBasis: change.lawfulBasis ?? before.lawfulBasis,
      dataCategories: change.dataCategories ?? before.dataCategories,
      retentionDays: change.retentionDays ?? before.retentionDays,
      recipients: change.recipients ?? before.recipients,
      transfers: change.transfers ?? before.transfers,
      marketing: change.marketing ?? before.marketing,
      status: change.status ?? before.status,
      lia: change.lia === undefined ? before.lia : change.lia,
    });
    if (merged.name.toLowerCase() !== before.name.toLowerCase()) await assertNameFree(trx, actor.tenantId, merged.name, id);
    const was = columns({ ...before });
    const next = columns(merged);
    const changed = (Object.keys(next) as Array<keyof typeof next>).filter((k) => JSON.stringify(next[k]) !== JSON.stringify(was[k]));
    if (changed.length === 0) return loadPurpose(trx, actor.tenantId, id);
    let updated: repo.PurposeRow | undefined;
    try {
      updated = await repo.updatePurpose(trx, actor.tenantId, id, row.version, next);
    } catch (error) {
      if (isUniqueViolation(error, 'purposes_name_key')) throw new PrivacyError('duplicate_name', 'another purpose already has this name');
      throw error;
    }
    if (!updated) throw new PrivacyError('version_conflict', 'the purpose changed meanwhile; reload and try again');
    await recordChange(trx, keyring, {
      tenantId: actor.tenantId,
      actor: auditActorOf(actor),
      action: 'purpose.updated',
      entity: 'purposes',
      entityId: id,
      fields: changed.map(String).sort(),
      details: {
        version: updated.version,
        lawfulBasis: merged.lawfulBasis,
        status: merged.status,
        ...(merged.status !== before.status ? { statusBefore: before.status } : {}),
        ...(merged.lawfulBasis !== before.lawfulBasis ? { lawfulBasisBefore: before.lawfulBasis } : {}),
      },
    });
    return loadPurpose(trx, actor.tenantId, id);
  });
}

// --- notices ---------------------------------------------------------------------------------

async function publish(
  trx: Kysely<Database>,
  keyring: Keyring,
  actor: Authenticated,
  purposeId: string,
  notice: { language: Language; text: string },
): Promise<Notice> {
  const version = (await repo.latestNoticeVersion(trx, actor.tenantId, purposeId, notice.language)) + 1;
  const row = await repo.insertNotice(trx, {
    tenant_id: actor.tenantId,
    id: newId(),
    purpose_id: purposeId,
    language: notice.language,
    version,
    text: notice.text,
    sha256: sha256Hex(notice.text),
    created_by: actor.user.id,
  });
  await recordChange(trx, keyring, {
    tenantId: actor.tenantId,
    actor: auditActorOf(actor),
    action: 'notice.published',
    entity: 'privacy_notices',
    entityId: row.id,
    details: { purposeId, language: row.language, version: row.version, sha256: row.sha256 },
  });
  return toNotice(row);
}

/** Publishes the next version of a purpose's notice in one language; earlier versions stay as they were. */
export async function publishNotice(
  db: Kysely<Database>,
  keyring: Keyring,
  actor: Authenticated,
  purposeId: string,
  input: { language: Language; text: string },
): Promise<Notice> {
  await requirePermission(db, actor, 'privacy', 'edit');
  if (!NOTICE_LANGUAGES.includes(input.language)) throw new PrivacyError('purpose_invalid', 'a notice is in en or nl');
  const body = noticeText(input.text);
  return inTransaction(db, async (trx) => {
    const purpose = await repo.lockPurpose(trx, actor.tenantId, purposeId);
    if (!purpose) throw new PrivacyError('purpose_not_found', 'no such purpose');
    if (purpose.status === 'retired')
      throw new PrivacyError('purpose_retired', 'this purpose is retired; reactivate it to publish a notice');
    return publish(trx, keyring, actor, purposeId, { language: input.language, text: body });
  });
}

export async function listNotices(db: Kysely<Database>, actor: Authenticated, purposeId: string): Promise<Notice[]> {
  await requirePermission(db, actor, 'privacy', 'view');
  if (!(await repo.findPurpose(db, actor.tenantId, purposeId))) throw new PrivacyError('purpose_not_found', 'no such purpose');
  return (await repo.noticesOf(db, actor.tenantId, purposeId)).map(toNotice);
}

export async function getNotice(db: Kysely<Database>, actor: Authenticated, id: string): Promise<Notice> {
  await requirePermission(db, actor, 'privacy', 'view');
  const row = await repo.findNotice(db, actor.tenantId, id);
  if (!row) throw new PrivacyError('notice_not_found', 'no such notice');
  return toNotice(row);
}

/** Every purpose with its newest notices, for the record of processing (the caller checked permission). */
export async function purposesForRecord(db: Kysely<Database>, tenantId: string): Promise<Purpose[]> {
  const notices = await repo.noticeSummaries(db, tenantId);
  return (await repo.listPurposes(db, tenantId)).map((r) => toPurpose(r, notices));
}
