import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database, SubjectKind } from '../db/schema.js';
import { newId } from '../shared/ids.js';
import { blindIndexTerms, indexKey, indexTerm, type BlindIndexSpec } from './blind-index.js';
import { decryptField, encryptField, fieldKey } from './field-crypto.js';
import { KeyError } from './keys.errors.js';
import * as repo from './keys.repository.js';
import type { Keyring } from './keyring.js';
import { loadKeyring, type LoadedKeyring } from './master-key.js';
import { open, seal } from './secret-box.js';

/**
 * The key hierarchy: master key → instance key and tenant keys (versioned) →
 * one key per data subject. Personal fields are encrypted under their
 * subject's key; erasing the subject destroys that key (crypto-shredding).
 */

// --- instance key (doubles as the master key check) ------------------------------

/**
 * Creates the instance key on first start, or proves the configured master
 * key matches the data by unwrapping it. Refuses a key that does not match.
 */
export async function initializeKeys(db: Kysely<Database>, keyring: Keyring): Promise<void> {
  let row = await repo.findInstanceKey(db);
  if (!row) {
    await repo.insertInstanceKey(db, await keyring.master.wrap(randomBytes(32), 'instance'), keyring.master.keyId);
    row = (await repo.findInstanceKey(db))!;
  }
  const provider = keyring.providerFor(row.master_key_id);
  if (!provider) {
    throw new KeyError(
      'master_key_mismatch',
      `the configured master key (${keyring.master.keyId}) is not the one this data was encrypted with (${row.master_key_id}); ` +
        'start with the right key, or give the old one as CUSTODIA_PREVIOUS_MASTER_KEY to rotate',
    );
  }
  try {
    keyring.setInstanceKey(await provider.unwrap(row.wrapped_key, 'instance'));
  } catch {
    throw new KeyError('master_key_mismatch', `the master key ${provider.keyId} cannot unwrap this data's keys`);
  }
}

/** The process's keyring from the configuration, checked against the data. */
export async function openKeys(database: { db: Kysely<Database> }, config: Parameters<typeof loadKeyring>[0]): Promise<LoadedKeyring> {
  // A key file is only ever created for a database that has no keys yet:
  // for existing data a missing file must be restored, not replaced.
  const hasKeys = (await repo.findInstanceKey(database.db)) !== undefined;
  const loaded = await loadKeyring(config, { createFile: !hasKeys });
  await initializeKeys(database.db, loaded.keyring);
  return loaded;
}

// --- tenant keys ---------------------------------------------------------------------

function tenantContext(tenantId: string, version: number): string {
  return `tenant|${tenantId}|${version}`;
}

export async function createTenantKey(db: Kysely<Database>, keyring: Keyring, tenantId: string, version = 1): Promise<Buffer> {
  const key = randomBytes(32);
  await repo.insertTenantKey(db, tenantId, {
    version,
    wrapped: await keyring.master.wrap(key, tenantContext(tenantId, version)),
    masterKeyId: keyring.master.keyId,
  });
  keyring.tenantKeys.set(`${tenantId}:${version}`, key);
  return key;
}

export async function tenantKey(db: Kysely<Database>, keyring: Keyring, tenantId: string, version: number): Promise<Buffer> {
  const cached = keyring.tenantKeys.get(`${tenantId}:${version}`);
  if (cached) return cached;
  const row = await repo.findTenantKey(db, tenantId, version);
  if (!row) throw new KeyError('tenant_key_missing', 'the tenant has no key of this version');
  if (!row.wrapped_key || !row.master_key_id) throw new KeyError('tenant_key_destroyed', "the tenant's keys have been destroyed");
  const provider = keyring.providerFor(row.master_key_id);
  if (!provider) throw new KeyError('master_key_mismatch', `tenant key is wrapped by ${row.master_key_id}, which is not configured`);
  const key = await provider.unwrap(row.wrapped_key, tenantContext(tenantId, version));
  keyring.tenantKeys.set(`${tenantId}:${version}`, key);
  return key;
}

export async function activeTenantKey(db: Kysely<Database>, keyring: Keyring, tenantId: string): Promise<{ version: number; key: Buffer }> {
  const row = await repo.findActiveTenantKey(db, tenantId);
  if (!row) throw new KeyError('tenant_key_destroyed', 'the tenant has no active key');
  return { version: row.version, key: await tenantKey(db, keyring, tenantId, row.version) };
}

// --- subjects ----------------------------------------------------------------------------

function subjectContext(tenantId: string, subjectId: string): string {
  return `subject|${tenantId}|${subjectId}`;
}

/** Registers a natural person (or user) with a fresh random key of their own. */
export async function createSubject(
  db: Kysely<Database>,
  keyring: Keyring,
  tenantId: string,
  kind: SubjectKind,
): Promise<{ id: string; key: Buffer }> {
  const { version, key: tk } = await activeTenantKey(db, keyring, tenantId);
  const id = newId();
  const key = randomBytes(32);
  await repo.insertSubject(db, tenantId, { id, kind, wrapped: seal(tk, key, subjectContext(tenantId, id)), tenantKeyVersion: version });
  keyring.subjectKeys.set(tenantId, id, key);
  return { id, key };
}

/**
 * The tenant's 'records' subject: its key seals free text on records that are
 * not a person (a note on an organization or a deal), so no body is ever
 * plaintext, and terminating the tenant shreds it with everything else.
 */
export async function recordsSubjectId(db: Kysely<Database>, keyring: Keyring, tenantId: string): Promise<string> {
  const cached = keyring.recordsSubjects.get(tenantId);
  if (cached) return cached;
  const { version, key: tk } = await activeTenantKey(db, keyring, tenantId);
  const id = newId();
  const key = randomBytes(32);
  const subject = await repo.ensureRecordsSubject(db, tenantId, {
    id,
    wrapped: seal(tk, key, subjectContext(tenantId, id)),
    tenantKeyVersion: version,
  });
  // Only a committed subject may be remembered: a new one rolls back with its transaction.
  if (!subject.created) keyring.recordsSubjects.set(tenantId, subject.id);
  return subject.id;
}

/** Many new subjects at once (imports): one tenant key lookup, two statements. */
export async function createSubjects(
  db: Kysely<Database>,
  keyring: Keyring,
  tenantId: string,
  kind: SubjectKind,
  count: number,
): Promise<Array<{ id: string; key: Buffer }>> {
  const { version, key: tk } = await activeTenantKey(db, keyring, tenantId);
  const subjects = Array.from({ length: count }, () => ({ id: newId(), key: randomBytes(32) }));
  await repo.insertSubjects(
    db,
    tenantId,
    subjects.map((s) => ({ id: s.id, kind, wrapped: seal(tk, s.key, subjectContext(tenantId, s.id)), tenantKeyVersion: version })),
  );
  for (const s of subjects) keyring.subjectKeys.set(tenantId, s.id, s.key);
  return subjects;
}

/** The subject's key, or subject_erased once it has been shredded. */
export async function subjectKey(db: Kysely<Database>, keyring: Keyring, tenantId: string, subjectId: string): Promise<Buffer> {
  const cached = keyring.subjectKeys.get(tenantId, subjectId);
  if (cached) return cached;
  const row = await repo.findSubjectKey(db, tenantId, subjectId);
  if (!row) throw new KeyError('subject_erased', 'the personal data of this subject has been erased');
  return unwrapSubjectKey(db, keyring, tenantId, subjectId, row);
}

/**
 * A subject key whose wrapped form came joined to another row (a session's
 * user, say), so it costs no query of its own; cached like `subjectKey`'s.
 * A null row means the subject was erased.
 */
export async function subjectKeyOf(
  db: Kysely<Database>,
  keyring: Keyring,
  tenantId: string,
  subjectId: string,
  row: { wrapped_key: Buffer | null; tenant_key_version: number | null },
): Promise<Buffer> {
  const cached = keyring.subjectKeys.get(tenantId, subjectId);
  if (cached) return cached;
  if (!row.wrapped_key || row.tenant_key_version === null)
    throw new KeyError('subject_erased', 'the personal data of this subject has been erased');
  return unwrapSubjectKey(db, keyring, tenantId, subjectId, { wrapped_key: row.wrapped_key, tenant_key_version: row.tenant_key_version });
}

async function unwrapSubjectKey(
  db: Kysely<Database>,
  keyring: Keyring,
  tenantId: string,
  subjectId: string,
  row: { wrapped_key: Buffer; tenant_key_version: number },
): Promise<Buffer> {
  const tk = await tenantKey(db, keyring, tenantId, row.tenant_key_version);
  const key = open(tk, row.wrapped_key, subjectContext(tenantId, subjectId));
  keyring.subjectKeys.set(tenantId, subjectId, key);
  return key;
}

/** Unwraps many subject keys with one query (list pages). Erased subjects are absent from the map. */
export async function subjectKeys(
  db: Kysely<Database>,
  keyring: Keyring,
  tenantId: string,
  subjectIds: string[],
): Promise<Map<string, Buffer>> {
  const result = new Map<string, Buffer>();
  const missing: string[] = [];
  for (const id of new Set(subjectIds)) {
    const cached = keyring.subjectKeys.get(tenantId, id);
    if (cached) result.set(id, cached);
    else missing.push(id);
  }
  for (const row of await repo.findSubjectKeys(db, tenantId, missing)) {
    result.set(row.subject_id, await unwrapSubjectKey(db, keyring, tenantId, row.subject_id, row));
  }
  return result;
}

// --- fields ------------------------------------------------------------------------------

export interface FieldRef {
  tenantId: string;
  subjectId: string;
  table: string;
  rowId: string;
  field: string;
}

const SUBJECT_KEY_VERSION = 1;

export async function sealField(db: Kysely<Database>, keyring: Keyring, ref: FieldRef, value: string): Promise<Buffer> {
  const key = fieldKey(await subjectKey(db, keyring, ref.tenantId, ref.subjectId));
  return encryptField(key, SUBJECT_KEY_VERSION, ref, value);
}

export async function openField(db: Kysely<Database>, keyring: Keyring, ref: FieldRef, ciphertext: Buffer): Promise<string> {
  const key = fieldKey(await subjectKey(db, keyring, ref.tenantId, ref.subjectId));
  return decryptField(key, ref, ciphertext);
}

// --- blind indexes --------------------------------------------------------------------------

export interface IndexedValue {
  spec: BlindIndexSpec;
  values: string[];
}

async function termsFor(db: Kysely<Database>, keyring: Keyring, tenantId: string, version: number, entries: IndexedValue[]) {
  const tk = await tenantKey(db, keyring, tenantId, version);
  return entries.flatMap(({ spec, values }) => {
    const key = indexKey(tk, spec);
    const terms = new Set(values.flatMap((v) => blindIndexTerms(key, spec, v)));
    return [...terms].map((term) => ({ indexName: spec.name, keyVersion: version, term }));
  });
}

/** Replaces a record's index terms, under every key version that searches consult. */
export async function indexRecord(
  db: Kysely<Database>,
  keyring: Keyring,
  tenantId: string,
  record: { table: string; id: string; subjectId: string },
  entries: IndexedValue[],
  onlyVersion?: number,
): Promise<void> {
  const versions = onlyVersion !== undefined ? [onlyVersion] : await repo.searchableKeyVersions(db, tenantId);
  const terms = (await Promise.all(versions.map((v) => termsFor(db, keyring, tenantId, v, entries)))).flat();
  await repo.replaceRecordTerms(db, tenantId, record, terms, onlyVersion);
}

/** Index terms for records that have none yet (new records of an import), in bulk. */
export async function indexNewRecords(
  db: Kysely<Database>,
  keyring: Keyring,
  tenantId: string,
  records: Array<{ table: string; id: string; subjectId: string; entries: IndexedValue[] }>,
): Promise<void> {
  const sending: Promise<void>[] = [];
  for (const version of await repo.searchableKeyVersions(db, tenantId)) {
    const tk = await tenantKey(db, keyring, tenantId, version);
    // One HMAC key per index, not one per record and index.
    const keys = new Map<string, Buffer>();
    const keyOf = (spec: BlindIndexSpec) => keys.get(spec.name) ?? keys.set(spec.name, indexKey(tk, spec)).get(spec.name)!;
    for (let i = 0; i < records.length; i += TERMS_SLICE) {
      const rows: Array<repo.TermRow & { table: string; recordId: string; subjectId: string }> = [];
      for (const record of records.slice(i, i + TERMS_SLICE)) {
        for (const { spec, values } of record.entries) {
          const terms = new Set(values.flatMap((v) => blindIndexTerms(keyOf(spec), spec, v)));
          for (const term of terms)
            rows.push({
              indexName: spec.name,
              keyVersion: version,
              term,
              table: record.table,
              recordId: record.id,
              subjectId: record.subjectId,
            });
        }
      }
      // The statement goes out before the next slice is computed, so PostgreSQL writes while this computes.
      sending.push(repo.insertTerms(db, tenantId, rows));
      sending.at(-1)!.catch(() => undefined);
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  await Promise.all(sending);
}

const TERMS_SLICE = 250;

/**
 * For each value, the records whose index holds its first normalized term:
 * candidates for many exact lookups (an import's e-mails) in one query per key version.
 */
export async function findCandidatesPerValue(
  db: Kysely<Database>,
  keyring: Keyring,
  tenantId: string,
  table: string,
  spec: BlindIndexSpec,
  values: string[],
): Promise<Map<string, string[]>> {
  const result = new Map<string, string[]>(values.map((v) => [v, []]));
  for (const version of await repo.searchableKeyVersions(db, tenantId)) {
    const key = indexKey(await tenantKey(db, keyring, tenantId, version), spec);
    const byTerm = new Map<number, string[]>();
    for (const value of values) {
      const normalized = spec.normalize(value)[0];
      if (normalized === undefined) continue;
      const term = indexTermOf(key, spec, normalized);
      byTerm.set(term, [...(byTerm.get(term) ?? []), value]);
    }
    for (const row of await repo.findRecordsPerTerm(db, tenantId, table, spec.name, version, [...byTerm.keys()])) {
      for (const value of byTerm.get(row.term) ?? []) {
        const ids = result.get(value)!;
        if (!ids.includes(row.record_id)) ids.push(row.record_id);
      }
    }
  }
  return result;
}

/**
 * Candidate records whose index holds all of the query's terms. Candidates,
 * not answers: the caller decrypts and confirms, since truncated terms collide.
 */
export async function findCandidates(
  db: Kysely<Database>,
  keyring: Keyring,
  tenantId: string,
  table: string,
  spec: BlindIndexSpec,
  normalizedTerms: string[],
  limit = 1000,
): Promise<string[]> {
  if (normalizedTerms.length === 0) return [];
  const versions = await repo.searchableKeyVersions(db, tenantId);
  const termsByVersion = await Promise.all(
    versions.map(async (version) => {
      const key = indexKey(await tenantKey(db, keyring, tenantId, version), spec);
      return { version, terms: normalizedTerms.map((t) => indexTermOf(key, spec, t)) };
    }),
  );
  return repo.findRecordsByTerms(db, tenantId, table, spec.name, termsByVersion, limit);
}

function indexTermOf(key: Buffer, spec: BlindIndexSpec, normalized: string): number {
  return indexTerm(key, spec.bits, normalized);
}
