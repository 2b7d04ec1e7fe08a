import type { Kysely } from 'kysely';
import type { AuditActorKind, Database } from '../db/schema.js';
import { encryptField, fieldKey } from '../keys/field-crypto.js';
import type { Keyring } from '../keys/keyring.js';
import { subjectKey } from '../keys/keys.service.js';
import type { AuditOrigin } from '../shared/actor.js';
import { newId } from '../shared/ids.js';
import * as repo from './audit.repository.js';
import { canonicalDetails, ENCODING_FORMAT, entryMac, type EntryContent } from './chain.js';
import { sealOrigin } from './origin.js';

/**
 * Writing audit entries. Changes are written in the caller's transaction, so
 * an entry exists exactly when its change does. Reads are written outside any
 * transaction, before the record is handed out, through a group-commit writer:
 * concurrent requests share one INSERT, and each waits for it, so a read is on
 * record even when its request fails afterwards. The keyring is a parameter of
 * every writer: an entry is sealed (origin, values) and MACed as it is built,
 * so none is ever written without its MAC.
 */

/** What the writer needs to know of a signed-in actor (identity's Authenticated is one). */
export interface SignedInActor {
  via: 'session' | 'token';
  user: { id: string };
  userSubjectId?: string | null | undefined;
  tokenId?: string | undefined;
  origin?: AuditOrigin | undefined;
}

export interface AuditActor {
  kind: AuditActorKind;
  userId?: string | null;
  /** The acting user's subject: their key seals the origin (else the tenant's records subject does). */
  subjectId?: string | null;
  tokenId?: string | null;
  /** A system job's name, or how a data subject reached us (e.g. a public consent page). */
  label?: string | null;
  origin?: AuditOrigin;
}

export type DetailValue = string | number | boolean | null | string[];

export interface AuditRecord {
  tenantId: string;
  actor: AuditActor;
  /** `<noun>.<verb>`, e.g. contact.read, lead.converted, sign_in.failed. */
  action: string;
  entity?: string | null;
  entityId?: string | null;
  /** The data subjects (people) the entry is about. */
  subjectIds?: readonly string[];
  /** Names of the fields read or changed. */
  fields?: readonly string[];
  /** Non-personal facts only: ids, counts, reasons. */
  details?: Record<string, DetailValue | undefined>;
  /** Personal values (old/new), encrypted under this subject's key. */
  values?: { subjectId: string; data: unknown };
}

/** The actor of a signed-in request. */
export function auditActorOf(actor: SignedInActor): AuditActor {
  return {
    kind: actor.via === 'token' ? 'token' : 'user',
    userId: actor.user.id,
    subjectId: actor.userSubjectId ?? null,
    tokenId: actor.tokenId ?? null,
    ...(actor.origin ? { origin: actor.origin } : {}),
  };
}

export function systemActor(label: string): AuditActor {
  return { kind: 'system', label };
}

const uuid = (value: string | null | undefined): string | null => (value ? value.toLowerCase() : null);
// Text PostgreSQL cannot store (NUL) or that would make logs and CSV ambiguous goes; cut by code point,
// so no half of a surrogate pair is stored differently from what was hashed.
const clean = (value: string | null | undefined, max: number): string | null =>
  value
    ? Array.from(value)
        .slice(0, max)
        .map((c) => (c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f ? ' ' : c))
        .join('')
    : null;

export const VALUES_CONTEXT = { table: 'audit_entries', field: 'values' } as const;

async function buildEntry(db: Kysely<Database>, keyring: Keyring, record: AuditRecord): Promise<repo.NewAuditEntry> {
  const id = newId();
  const at = new Date();
  const tenantId = record.tenantId.toLowerCase();
  let valuesEnc: Buffer | null = null;
  let valuesSubjectId: string | null = null;
  if (record.values) {
    valuesSubjectId = uuid(record.values.subjectId);
    const key = fieldKey(await subjectKey(db, keyring, tenantId, valuesSubjectId!));
    valuesEnc = encryptField(
      key,
      1,
      { tenantId, table: VALUES_CONTEXT.table, rowId: id, field: VALUES_CONTEXT.field },
      JSON.stringify(record.values.data),
    );
  }
  const origin = record.actor.origin ?? {};
  const ip = clean(origin.ip, 64);
  const userAgent = clean(origin.userAgent, 512);
  const sealedOrigin = await sealOrigin(db, keyring, { tenantId, table: VALUES_CONTEXT.table, rowId: id }, uuid(record.actor.subjectId), {
    ip,
    userAgent,
  });
  const content: EntryContent = {
    tenantId,
    id,
    atMicros: at.getTime() * 1000,
    actorKind: record.actor.kind,
    actorUserId: uuid(record.actor.userId),
    actorTokenId: uuid(record.actor.tokenId),
    actorLabel: clean(record.actor.label, 100),
    action: record.action,
    entity: record.entity ?? null,
    entityId: uuid(record.entityId),
    subjectIds: [...new Set((record.subjectIds ?? []).map((s) => s.toLowerCase()))],
    fields: [...(record.fields ?? [])],
    requestId: clean(origin.requestId, 64),
    format: ENCODING_FORMAT,
    originSubjectId: sealedOrigin?.origin_subject_id ?? null,
    originEnc: sealedOrigin?.origin_enc ?? null,
    ip: null,
    userAgent: null,
    details: canonicalDetails(record.details),
    valuesSubjectId,
    valuesEnc,
  };
  return {
    tenant_id: tenantId,
    id,
    at,
    actor_kind: content.actorKind as AuditActorKind,
    actor_user_id: content.actorUserId,
    actor_token_id: content.actorTokenId,
    actor_label: content.actorLabel,
    action: content.action,
    entity: content.entity,
    entity_id: content.entityId,
    subject_ids: [...content.subjectIds],
    fields: [...content.fields],
    request_id: content.requestId,
    encoding_format: content.format,
    origin_subject_id: content.originSubjectId,
    origin_enc: content.originEnc,
    details: content.details,
    values_subject_id: valuesSubjectId,
    values_enc: valuesEnc,
    mac: entryMac(keyring, tenantId, content),
  };
}

/** Records a change in the caller's transaction: it commits or rolls back with the change. */
export async function recordChange(db: Kysely<Database>, keyring: Keyring, record: AuditRecord): Promise<void> {
  await repo.insertEntries(db, [await buildEntry(db, keyring, record)]);
}

// --- group commit for reads ------------------------------------------------------------------

interface Batch {
  rows: repo.NewAuditEntry[];
  waiters: Array<{ resolve(): void; reject(error: unknown): void }>;
}

const CHUNK = 500;

class GroupWriter {
  private next: Batch | null = null;
  private draining = false;

  constructor(private readonly db: Kysely<Database>) {}

  write(row: repo.NewAuditEntry): Promise<void> {
    const batch = (this.next ??= { rows: [], waiters: [] });
    batch.rows.push(row);
    const done = new Promise<void>((resolve, reject) => batch.waiters.push({ resolve, reject }));
    if (!this.draining) {
      this.draining = true;
      setImmediate(() => void this.drain());
    }
    return done;
  }

  // While one INSERT is under way the next batch fills; it goes as soon as the first is done.
  private async drain(): Promise<void> {
    while (this.next) {
      const batch = this.next;
      this.next = null;
      try {
        for (let i = 0; i < batch.rows.length; i += CHUNK) await repo.insertEntries(this.db, batch.rows.slice(i, i + CHUNK));
        for (const w of batch.waiters) w.resolve();
      } catch (error) {
        for (const w of batch.waiters) w.reject(error);
      }
    }
    this.draining = false;
  }
}

const writers = new WeakMap<Kysely<Database>, GroupWriter>();

/**
 * Records a read of personal data and resolves once it is stored. Outside a
 * transaction (the usual case) it shares an INSERT with concurrent reads.
 */
export async function recordRead(db: Kysely<Database>, keyring: Keyring, record: AuditRecord): Promise<void> {
  const row = await buildEntry(db, keyring, record);
  if (db.isTransaction) return repo.insertEntries(db, [row]);
  let writer = writers.get(db);
  if (!writer) writers.set(db, (writer = new GroupWriter(db)));
  return writer.write(row);
}

// --- what changed ------------------------------------------------------------------------------

const NOT_COMPARED = new Set(['id', 'subjectId', 'version', 'createdAt', 'updatedAt']);

/** The fields whose values differ between two versions of a record, with old and new values; custom values per key. */
export function changesBetween(
  before: object | null,
  after: object,
): { fields: string[]; values: Record<string, { old?: unknown; new?: unknown }> } {
  const flat = (record: object | null) => {
    const out = new Map<string, unknown>();
    if (!record) return out;
    for (const [k, v] of Object.entries(record)) {
      if (NOT_COMPARED.has(k)) continue;
      if (k === 'custom' && v && typeof v === 'object') for (const [ck, cv] of Object.entries(v)) out.set(`custom.${ck}`, cv);
      else out.set(k, v);
    }
    return out;
  };
  const a = flat(before);
  const b = flat(after);
  const fields: string[] = [];
  const values: Record<string, { old?: unknown; new?: unknown }> = {};
  for (const key of new Set([...a.keys(), ...b.keys()])) {
    const oldValue = a.get(key) ?? null;
    const newValue = b.get(key) ?? null;
    if (JSON.stringify(oldValue) === JSON.stringify(newValue)) continue;
    if (!before && (newValue === null || (Array.isArray(newValue) && newValue.length === 0))) continue;
    fields.push(key);
    values[key] = before ? { old: oldValue, new: newValue } : { new: newValue };
  }
  return { fields: fields.sort(), values };
}

const META = new Set(['id', 'subjectId', 'version', 'createdAt', 'updatedAt', 'ownerId', 'ownerGroupId']);

/** The personal and business fields a read handed out (what a profile hides is absent). */
export function fieldsShown(record: object): string[] {
  return Object.keys(record)
    .filter((k) => !META.has(k))
    .sort();
}
