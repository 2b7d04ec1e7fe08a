import { Readable } from 'node:stream';
import { stringify } from 'csv-stringify';
import type { Kysely } from 'kysely';
import { AccessError } from '../access/access.errors.js';
import { accessOf, requirePermission } from '../access/access.service.js';
import { RECORD_MODULES, type Access, type RecordModule } from '../access/policy.js';
import { decodeCursor, pageOf, pageSize } from '../shared/cursor.js';
import type { Database } from '../db/schema.js';
import type { Authenticated } from '../shared/actor.js';
import { decryptField, fieldKey } from '../keys/field-crypto.js';
import type { Keyring } from '../keys/keyring.js';
import { subjectKeys } from '../keys/keys.service.js';
import { AuditError } from '../audit/audit.errors.js';
import { verifyTenant, type VerifyReport } from '../audit/verify.js';
import * as repo from '../audit/audit.repository.js';
import { GENESIS } from '../audit/chain.js';
import { openOrigins, type Origin } from '../audit/origin.js';
import { auditActorOf, recordChange, recordRead, VALUES_CONTEXT } from '../audit/recorder.js';

/**
 * Reading the trail: entries about a person (for anyone who may see that
 * person: "who accessed this person"), or any filter for holders of the
 * audit module. Every entry is listed; its old and new values are shown only
 * to holders of the audit module, only while the person's key exists, and
 * only as far as the records show them: of a record the viewer could read
 * now, without the fields their profile hides. The rest is withheld and
 * marked so, unless the viewer holds audit.allValues (each use recorded).
 */

/**
 * What the trail needs to know of the records it names. The CRM answers
 * (crm/common/audited-records.ts, handed in by server.ts), so reading the trail
 * does not import the CRM, which writes to it.
 */
export interface AuditedRecords {
  /** The subject of a contact or lead, if the actor may see it (else the CRM's not-found or access error). */
  subjectOf(db: Kysely<Database>, actor: Authenticated, entity: 'contacts' | 'leads', id: string): Promise<string>;
  /** Of these records, the ones the actor could read now, as `<entity>:<id>`. */
  readable(db: Kysely<Database>, actor: Authenticated, refs: ReadonlyArray<{ entity: string; id: string }>): Promise<Set<string>>;
}

export interface AuditQuery {
  contactId?: string;
  leadId?: string;
  subjectId?: string;
  entity?: string;
  entityId?: string;
  actorId?: string;
  action?: string;
  from?: string;
  to?: string;
  limit?: number;
  cursor?: string;
}

export interface AuditEntryView {
  id: string;
  /** Chain position; null until sealed (within about a second). */
  position: number | null;
  at: Date;
  actor: { kind: string; userId: string | null; tokenId: string | null; label: string | null };
  action: string;
  entity: string | null;
  entityId: string | null;
  subjectIds: string[];
  fields: string[];
  requestId: string | null;
  /** Only for holders of the audit module. */
  ip?: string | null;
  userAgent?: string | null;
  details: Record<string, unknown>;
  /**
   * Old and new values, for holders of the audit module: undefined when the
   * entry has none, null when they may not see them or the person was erased.
   */
  changes?: Record<string, unknown> | null;
  valuesErased?: boolean;
  /** Some or all of the values are withheld from this viewer (record out of reach, field hidden). */
  valuesWithheld?: boolean;
  /** The fields whose values are withheld. */
  withheldFields?: string[];
}

/** What a viewer is shown of entries' values. */
interface ValuesRule {
  /** Holds the audit module: values may be shown at all. */
  auditor: boolean;
  /** Holds audit.allValues: every value, whatever the records show. */
  unrestricted: boolean;
  access: Access;
  /** The records with values on the page that the viewer could read now (`<entity>:<id>`). */
  readable: Set<string>;
}

async function valuesRule(
  db: Kysely<Database>,
  records: AuditedRecords,
  actor: Authenticated,
  access: Access,
  auditor: boolean,
  rows: repo.EntryRow[],
): Promise<ValuesRule> {
  const refs = auditor ? rows.flatMap((r) => (r.values_enc && r.entity && r.entity_id ? [{ entity: r.entity, id: r.entity_id }] : [])) : [];
  return { auditor, unrestricted: auditor && access.can('audit', 'allValues'), access, readable: await records.readable(db, actor, refs) };
}

/** The fields of an entry whose values the records would not show this viewer: all ('all') or these. */
function withheldByRecords(rule: ValuesRule, row: repo.EntryRow, changes: Record<string, unknown> | null): 'all' | string[] {
  if (!row.entity || !row.entity_id || !rule.readable.has(`${row.entity}:${row.entity_id}`)) return 'all';
  if (!changes || !(RECORD_MODULES as readonly string[]).includes(row.entity)) return [];
  const module = row.entity as RecordModule;
  return Object.keys(changes).filter((field) => rule.access.field(module, field) === 'hidden');
}

// Pages go newest first on (at, id); the cursor carries the last entry's time as its key.
const SORT = 'audit';

function afterCursor(cursor: string | undefined): { at: Date; id: string } | null {
  const last = decodeCursor(cursor, SORT);
  if (!last) return null;
  const at = typeof last.key === 'string' ? new Date(last.key) : undefined;
  if (!at || Number.isNaN(at.getTime())) throw new AuditError('invalid_cursor', 'cursor is not one this API gave out');
  return { at, id: last.id };
}

function instant(value: string | undefined, name: string): Date | undefined {
  if (value === undefined) return undefined;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new AuditError('invalid_filter', `${name} must be a date-time`);
  return date;
}

/**
 * Seeing personal values in the trail (a page, or a page of the CSV export) is
 * itself a read of them. Under audit.allValues it says so (`unrestricted`),
 * with how many entries showed values the records would have withheld.
 */
async function recordDisclosure(
  db: Kysely<Database>,
  keyring: Keyring,
  actor: Authenticated,
  rows: Array<{ values_subject_id: string | null }>,
  shown: Shown,
): Promise<void> {
  const { views, rule, beyondReach } = shown;
  const disclosed = [...new Set(views.flatMap((v, n) => (v.changes && rows[n]!.values_subject_id ? [rows[n]!.values_subject_id] : [])))];
  if (disclosed.length === 0) return;
  const details = rule.unrestricted ? { entries: views.length, unrestricted: true, beyondReach } : { entries: views.length };
  await recordRead(db, keyring, {
    tenantId: actor.tenantId,
    actor: auditActorOf(actor),
    action: 'audit.values_read',
    subjectIds: disclosed,
    details,
  });
}

/** Turns the query into a repository filter; who may ask what is decided here. */
async function filterFor(
  db: Kysely<Database>,
  records: AuditedRecords,
  actor: Authenticated,
  query: AuditQuery,
): Promise<{ filter: repo.EntryFilter; access: Access; auditor: boolean }> {
  const access = await accessOf(db, actor);
  const auditor = access.can('audit', 'view');
  const filter: repo.EntryFilter = {};
  const people = [query.contactId, query.leadId].filter((v) => v !== undefined).length;
  if (people > 1) throw new AuditError('invalid_filter', 'give contactId or leadId, not both');
  // The access log of a person is open to whoever may see that person; anything wider needs the audit module.
  if (query.contactId)
    filter.record = { entity: 'contacts', id: query.contactId, subjectId: await records.subjectOf(db, actor, 'contacts', query.contactId) };
  else if (query.leadId)
    filter.record = { entity: 'leads', id: query.leadId, subjectId: await records.subjectOf(db, actor, 'leads', query.leadId) };
  else if (!auditor) await requirePermission(db, actor, 'audit', 'view');
  if (query.subjectId) filter.subjectId = query.subjectId;
  if (query.entity || query.entityId) {
    if (!query.entity || !query.entityId) throw new AuditError('invalid_filter', 'entity and entityId go together');
    if (filter.record) throw new AuditError('invalid_filter', 'give a person (contactId, leadId) or a record (entity, entityId), not both');
    filter.record = { entity: query.entity, id: query.entityId };
  }
  if (query.actorId) filter.actorUserId = query.actorId;
  if (query.action) filter.action = query.action;
  const from = instant(query.from, 'from');
  const to = instant(query.to, 'to');
  if (from && to && from > to) throw new AuditError('invalid_filter', 'from must not be after to');
  if (from) filter.from = from;
  if (to) filter.to = to;
  return { filter, access, auditor };
}

interface Shown {
  views: AuditEntryView[];
  rule: ValuesRule;
  /** Entries whose values were shown only under audit.allValues. */
  beyondReach: number;
}

async function toViews(db: Kysely<Database>, keyring: Keyring, tenantId: string, rows: repo.EntryRow[], rule: ValuesRule): Promise<Shown> {
  const { auditor } = rule;
  let beyondReach = 0;
  const keys = auditor
    ? await subjectKeys(
        db,
        keyring,
        tenantId,
        rows.flatMap((r) => (r.values_subject_id ? [r.values_subject_id] : [])),
      )
    : new Map<string, Buffer>();
  // Sealed since migration 0013; older (format 2) entries hold them in clear.
  const origins = auditor ? await openOrigins(db, keyring, tenantId, VALUES_CONTEXT.table, rows) : new Map<string, Origin>();
  const views = rows.map((r) => {
    const view: AuditEntryView = {
      id: r.id,
      position: r.seq === null ? null : Number(r.seq),
      at: r.at,
      actor: { kind: r.actor_kind, userId: r.actor_user_id, tokenId: r.actor_token_id, label: r.actor_label },
      action: r.action,
      entity: r.entity,
      entityId: r.entity_id,
      subjectIds: r.subject_ids,
      fields: r.fields,
      requestId: r.request_id,
      details: JSON.parse(r.details) as Record<string, unknown>,
    };
    if (auditor) {
      view.ip = origins.get(r.id)?.ip ?? r.ip;
      view.userAgent = origins.get(r.id)?.userAgent ?? r.user_agent;
    }
    if (r.values_enc && r.values_subject_id) {
      const key = keys.get(r.values_subject_id);
      view.changes = null;
      if (auditor && !key) view.valuesErased = true;
      else if (!key || (!rule.unrestricted && withheldByRecords(rule, r, null) === 'all')) {
        // Not even decrypted: the entry stays a fact (who, when, which fields) without its values.
        view.valuesWithheld = true;
        view.withheldFields = r.fields;
      } else {
        const context = { tenantId, table: VALUES_CONTEXT.table, rowId: r.id, field: VALUES_CONTEXT.field };
        const changes = JSON.parse(decryptField(fieldKey(key), context, r.values_enc)) as Record<string, unknown>;
        const withheld = withheldByRecords(rule, r, changes);
        if (rule.unrestricted) {
          if (withheld === 'all' || withheld.length > 0) beyondReach++;
        } else if (withheld !== 'all' && withheld.length > 0) {
          for (const field of withheld) delete changes[field];
          view.valuesWithheld = true;
          view.withheldFields = withheld.sort();
        }
        view.changes = changes;
      }
    }
    return view;
  });
  return { views, rule, beyondReach };
}

/** A page of entries, newest first. */
export async function listAuditEntries(
  db: Kysely<Database>,
  keyring: Keyring,
  records: AuditedRecords,
  actor: Authenticated,
  query: AuditQuery,
): Promise<{ items: AuditEntryView[]; nextCursor: string | null }> {
  const { filter, access, auditor } = await filterFor(db, records, actor, query);
  const limit = pageSize(query.limit);
  const rows = await repo.listEntries(db, actor.tenantId, filter, afterCursor(query.cursor), limit + 1);
  const { rows: page, nextCursor } = pageOf(rows, limit, (r) => r.at.toISOString(), SORT);
  const shown = await toViews(db, keyring, actor.tenantId, page, await valuesRule(db, records, actor, access, auditor, page));
  await recordDisclosure(db, keyring, actor, page, shown);
  return { items: shown.views, nextCursor };
}

const CSV_COLUMNS = [
  'position',
  'at',
  'actorKind',
  'actorUserId',
  'actorTokenId',
  'actorLabel',
  'action',
  'entity',
  'entityId',
  'subjectIds',
  'fields',
  'requestId',
  'ip',
  'userAgent',
  'details',
  'changes',
  'id',
  'withheldFields',
];

// A cell that a spreadsheet would run as a formula is prefixed, as contact exports do.
const cell = (value: unknown): string => {
  const text = value === null || value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value);
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
};

/** The entries matching the filters as a CSV stream, for auditors (audit module: export). */
export async function exportAuditCsv(
  db: Kysely<Database>,
  keyring: Keyring,
  records: AuditedRecords,
  actor: Authenticated,
  query: Omit<AuditQuery, 'limit' | 'cursor'>,
): Promise<Readable> {
  await requirePermission(db, actor, 'audit', 'export');
  const { filter, access } = await filterFor(db, records, actor, query);
  await recordRead(db, keyring, {
    tenantId: actor.tenantId,
    actor: auditActorOf(actor),
    action: 'audit.exported',
    details: {
      filters: Object.keys(query)
        .filter((k) => query[k as keyof typeof query] !== undefined)
        .sort(),
    },
  });
  async function* rows() {
    yield CSV_COLUMNS;
    let after: { at: Date; id: string } | null = null;
    for (;;) {
      const page = await repo.listEntries(db, actor.tenantId, filter, after, 500);
      const shown = await toViews(db, keyring, actor.tenantId, page, await valuesRule(db, records, actor, access, true, page));
      await recordDisclosure(db, keyring, actor, page, shown);
      for (const v of shown.views) {
        const changes = v.valuesErased ? 'erased' : v.changes === null && v.valuesWithheld ? 'withheld' : v.changes;
        yield [
          v.position,
          v.at.toISOString(),
          v.actor.kind,
          v.actor.userId,
          v.actor.tokenId,
          v.actor.label,
          v.action,
          v.entity,
          v.entityId,
          v.subjectIds.join(' '),
          v.fields.join(' '),
          v.requestId,
          v.ip,
          v.userAgent,
          v.details,
          changes,
          v.id,
          v.withheldFields?.join(' '),
        ].map(cell);
      }
      const last = page[page.length - 1];
      if (page.length < 500 || !last) break;
      after = { at: last.at, id: last.id };
    }
  }
  const csv = stringify({ bom: true, record_delimiter: '\r\n', quoted_match: /[\r\n]/ });
  const source = Readable.from(rows());
  source.on('error', (error) => csv.destroy(error));
  return source.pipe(csv);
}

// --- settings ------------------------------------------------------------------------------------

export interface AuditSettings {
  retentionDays: number;
  archivedUpTo: number;
  archivedAt: Date | null;
}

export async function auditSettings(db: Kysely<Database>, actor: Authenticated): Promise<AuditSettings> {
  await requirePermission(db, actor, 'audit', 'view');
  await repo.ensureHead(db, actor.tenantId, GENESIS);
  const head = (await repo.findHead(db, actor.tenantId))!;
  return { retentionDays: head.retention_days, archivedUpTo: Number(head.anchor_seq), archivedAt: head.archived_at };
}

/**
 * Verifies the tenant's whole chain, as `custodia audit verify` does:
 * administrators only, since it walks every entry.
 */
export async function verifyAuditTrail(db: Kysely<Database>, keyring: Keyring, actor: Authenticated): Promise<VerifyReport> {
  const access = await accessOf(db, actor);
  if (!access.isAdmin) throw new AccessError('admin_required', 'only administrators verify the audit trail');
  return verifyTenant(db, keyring, actor.tenantId);
}

/** How long the trail is kept (default 6 years); older entries are archived behind a signed anchor. */
export async function setAuditRetention(
  db: Kysely<Database>,
  keyring: Keyring,
  actor: Authenticated,
  retentionDays: number,
): Promise<AuditSettings> {
  const access = await accessOf(db, actor);
  if (!access.isAdmin) throw new AccessError('admin_required', 'only administrators change how long the audit trail is kept');
  if (!Number.isInteger(retentionDays) || retentionDays < 30 || retentionDays > 36525) {
    throw new AuditError('invalid_setting', 'retentionDays must be a whole number from 30 to 36525');
  }
  await repo.ensureHead(db, actor.tenantId, GENESIS);
  await db.transaction().execute(async (trx) => {
    await repo.setRetention(trx, actor.tenantId, retentionDays);
    await recordChange(trx, keyring, {
      tenantId: actor.tenantId,
      actor: auditActorOf(actor),
      action: 'audit.retention_changed',
      details: { retentionDays },
    });
  });
  return auditSettings(db, actor);
}

/** One entry of a person's access log, as their access package gives it: the fact, never old or new values. */
export interface AccessLogEntry {
  at: Date;
  actorKind: string;
  actorUserId: string | null;
  actorLabel: string | null;
  action: string;
  entity: string | null;
  entityId: string | null;
  fields: string[];
}

/**
 * Every entry naming a data subject, newest first, a page at a time, for the
 * access package (Art. 15: who accessed their data). The caller decided that
 * its actor may compile the package; no values or origins are opened.
 */
export async function accessLogOfSubject(
  db: Kysely<Database>,
  tenantId: string,
  subjectId: string,
  after: { at: Date; id: string } | null,
  limit: number,
): Promise<{ entries: AccessLogEntry[]; next: { at: Date; id: string } | null }> {
  const rows = await repo.listEntries(db, tenantId, { subjectId }, after, limit);
  const last = rows.at(-1);
  return {
    entries: rows.map((r) => ({
      at: r.at,
      actorKind: r.actor_kind,
      actorUserId: r.actor_user_id,
      actorLabel: r.actor_label,
      action: r.action,
      entity: r.entity,
      entityId: r.entity_id,
      fields: r.fields,
    })),
    next: rows.length === limit && last ? { at: last.at, id: last.id } : null,
  };
}
