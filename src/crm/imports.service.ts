import { Readable, Transform, type TransformCallback } from 'node:stream';
import { CsvError, parse } from 'csv-parse';
import type { Kysely } from 'kysely';
import { requirePermission } from '../access/access.service.js';
import { DomainError } from '../shared/domain-error.js';
import type { Database } from '../db/schema.js';
import type { Authenticated } from '../identity/identity.service.js';
import type { Keyring } from '../keys/keyring.js';
import { findCandidatesPerValue } from '../keys/keys.service.js';
import { newId } from '../shared/ids.js';
import { detectDelimiter, mapHeader, rowToContact, type CsvContact, type HeaderMapping } from './contact-csv.js';
import { CONTACT_EMAIL_INDEX, contactKind, type Contact } from './contacts.service.js';
import { CrmError } from './crm.errors.js';
import * as repo from './imports.repository.js';
import { createOrganization, findOrganizationByName } from './organizations.service.js';
import { LAWFUL_BASES, lawfulBasis, personFields, type LawfulBasis } from './people.js';
import { createPeopleInBulk, emailsOfPeople, peopleByIds, updatePerson, type NewPerson, type PersonKind } from './person-records.js';
import { tagNames } from './tags.service.js';

/**
 * CSV import of contacts, streamed: the body is parsed as it arrives and
 * written in batches, each in its own transaction, so a file of any length
 * goes in without being held in memory, and a bad row is reported by its
 * line while the good ones go in. People are matched by e-mail through the
 * blind index and updated or skipped, never doubled. Every person imported
 * needs a lawful basis for holding their data.
 */

export const IMPORT_BATCH = 500;
/** Errors listed in the answer; the count covers all of them. */
const LISTED_ERRORS = 1000;

export type DuplicatePolicy = 'skip' | 'update';

export interface ImportOptions {
  lawfulBasis: string | undefined;
  dryRun: boolean;
  duplicates: DuplicatePolicy;
  maxBytes: number;
}

export interface ImportResult {
  id: string;
  dryRun: boolean;
  rows: number;
  created: number;
  updated: number;
  skipped: number;
  errors: Array<{ line: number; message: string }>;
  errorCount: number;
  ignoredColumns: string[];
}

/** A lawful basis is required before a byte of the file is read. */
export function requireLawfulBasis(value: string | undefined): LawfulBasis {
  if (!value) {
    throw new CrmError('lawful_basis_required', `importing people needs ?lawfulBasis= one of ${LAWFUL_BASES.join(', ')}`);
  }
  const basis = lawfulBasis(value);
  if (!basis) throw new CrmError('lawful_basis_required', 'a lawful basis is required');
  return basis;
}

/** Fails the stream once more than `max` bytes have passed. */
class ByteLimit extends Transform {
  bytes = 0;
  constructor(private readonly max: number) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.max) done(new CrmError('import_too_large', `an import is at most ${this.max} bytes`));
    else done(null, chunk);
  }
}

/** The body with its first line read ahead, to pick the separator before parsing. */
async function sniff(body: Readable): Promise<{ stream: Readable; delimiter: ',' | ';' | '\t' } | null> {
  const chunks: Buffer[] = [];
  const iterator = body[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let head = Buffer.alloc(0);
  let done = false;
  while (!head.includes(0x0a)) {
    const next = await iterator.next();
    if (next.done) {
      done = true;
      break;
    }
    chunks.push(next.value);
    head = Buffer.concat([head, next.value]);
    if (head.length > 1_000_000) break;
  }
  const firstLine = head.toString('utf8').replace(/^\uFEFF/, '').split(/\r?\n/)[0] ?? '';
  if (!firstLine.trim()) return null;
  async function* rest() {
    yield* chunks;
    if (done) return;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
  }
  return { stream: Readable.from(rest()), delimiter: detectDelimiter(firstLine) };
}

interface Counts {
  rows: number;
  created: number;
  updated: number;
  skipped: number;
  errorCount: number;
  errors: Array<{ line: number; message: string }>;
}

class DryRunRollback extends Error {}

function reason(error: unknown): string {
  if (error instanceof DomainError && error.kind !== 'unavailable') return error.message;
  throw error;
}

export async function importContacts(
  db: Kysely<Database>,
  keyring: Keyring,
  actor: Authenticated,
  body: Readable,
  options: ImportOptions,
): Promise<ImportResult> {
  const basis = requireLawfulBasis(options.lawfulBasis);
  await requirePermission(db, actor, 'contacts', 'create');
  const id = newId();
  await repo.insertImport(db, actor.tenantId, { id, module: 'contacts', dryRun: options.dryRun, lawfulBasis: basis, duplicates: options.duplicates, startedBy: actor.user.id });
  const counts: Counts = { rows: 0, created: 0, updated: 0, skipped: 0, errorCount: 0, errors: [] };
  const fail = (line: number, message: string) => {
    counts.errorCount++;
    if (counts.errors.length < LISTED_ERRORS) counts.errors.push({ line, message });
  };
  const limit = new ByteLimit(options.maxBytes);
  let mapping: HeaderMapping | undefined;
  // Dry runs roll every batch back, so duplicates across batches are remembered here instead.
  const dryRunEmails = options.dryRun ? new Set<string>() : undefined;
  const organizations = new Map<string, string | null>();
  const kind = contactKind as PersonKind<Contact, never>;

  /** Runs a batch in its own transaction; `created` collects the organizations it creates (uncommitted until it ends). */
  const runBatch = async (batch: Array<{ line: number; contact: CsvContact }>, created: Set<string>) => {
    const apply = async (trx: Kysely<Database>) => {
      const emails = [...new Set(batch.flatMap((r) => (r.contact.input.emails ?? []).map((e) => (typeof e === 'string' ? e : e.value).toLowerCase())))];
      const candidates = await findCandidatesPerValue(trx, keyring, actor.tenantId, 'contacts', CONTACT_EMAIL_INDEX, emails);
      // Candidates are mostly collisions of the truncated index: their addresses decide, and only real matches are opened whole.
      const candidateEmails = await emailsOfPeople(trx, keyring, actor.tenantId, 'contacts', [...new Set([...candidates.values()].flat())]);
      const wanted = new Set(emails);
      const matches = [...candidateEmails].filter(([, own]) => own.some((e) => wanted.has(e))).map(([contactId]) => contactId);
      const existing = await peopleByIds(trx, keyring, actor, kind, matches);
      const byEmail = new Map<string, Contact | 'new'>();
      for (const c of existing) for (const e of c.emails) byEmail.set(e.value.toLowerCase(), c);
      const fresh: NewPerson[] = [];
      const tally = { created: 0, updated: 0, skipped: 0 };
      for (const { line, contact } of batch) {
        const own = (contact.input.emails ?? []).map((e) => (typeof e === 'string' ? e : e.value).toLowerCase());
        const match = own.map((e) => byEmail.get(e) ?? (dryRunEmails?.has(e) ? 'new' : undefined)).find(Boolean);
        try {
          if (match && (options.duplicates === 'skip' || match === 'new')) {
            tally.skipped++;
            continue;
          }
          // Validate before anything is written for the row (an organization, say).
          const fields = personFields(contact.input, match ? match : undefined);
          const organizationId = await organizationFor(trx, contact.organization, created);
          if (match) {
            await updatePerson(trx, keyring, actor, contactKind, match.id, {
              ...contact.input,
              ...(organizationId !== undefined ? { organizationId } : {}),
              lawfulBasis: basis,
            });
            tally.updated++;
            continue;
          }
          fresh.push({
            fields,
            custom: { plain: {}, personal: {} },
            tags: tagNames(contact.input.tags),
            lawfulBasis: basis,
            plain: { organization_id: organizationId ?? null },
          });
          for (const e of own) {
            byEmail.set(e, 'new');
            dryRunEmails?.add(e);
          }
          tally.created++;
        } catch (error) {
          fail(line, reason(error));
        }
      }
      await createPeopleInBulk(trx, keyring, actor, 'contacts', fresh);
      return tally;
    };
    let tally: { created: number; updated: number; skipped: number } | undefined;
    try {
      await db.transaction().execute(async (trx) => {
        tally = await apply(trx);
        if (options.dryRun) throw new DryRunRollback();
      });
    } catch (error) {
      if (!(error instanceof DryRunRollback)) throw error;
    }
    counts.created += tally!.created;
    counts.updated += tally!.updated;
    counts.skipped += tally!.skipped;
    await repo.recordProgress(db, actor.tenantId, id, { ...counts, bytes: limit.bytes });
  };

  /**
   * Two batches in flight when they cannot depend on each other: one writes
   * while the next is parsed, checked and sealed. A batch waits for the one
   * before when they share an e-mail address or it names an organization not
   * yet resolved or created by the batch in flight (its transaction has not
   * committed: a row pointing at it would fail), and always when duplicates
   * are updated (an update must see what the batch before wrote).
   */
  let inFlight: { done: Promise<void>; emails: Set<string>; created: Set<string> } | undefined;
  const queueBatch = async (batch: Array<{ line: number; contact: CsvContact }>) => {
    const emails = new Set(batch.flatMap((r) => (r.contact.input.emails ?? []).map((e) => (typeof e === 'string' ? e : e.value).toLowerCase())));
    const previous = inFlight;
    const independent =
      options.duplicates === 'skip' &&
      !batch.some((r) => {
        const key = r.contact.organization?.trim().toLowerCase();
        return key && (!organizations.has(key) || previous?.created.has(key));
      }) &&
      ![...emails].some((e) => previous?.emails.has(e));
    if (previous && !independent) await previous.done;
    const created = new Set<string>();
    const done = runBatch(batch, created);
    done.catch(() => undefined); // awaited below, or by the next batch, or at the end
    inFlight = { done, emails, created };
    if (previous && independent) await previous.done;
  };

  /** The organization named in a row: found by name, else created (not in a dry run). */
  async function organizationFor(trx: Kysely<Database>, name: string | null, created: Set<string>): Promise<string | null | undefined> {
    if (!name) return undefined;
    const key = name.trim().toLowerCase();
    if (key.length > 200) throw new CrmError('invalid_field', 'organization must be at most 200 characters');
    if (!organizations.has(key)) {
      const found = await findOrganizationByName(trx, actor, name);
      if (!found && !options.dryRun) created.add(key);
      organizations.set(key, found ? found.id : options.dryRun ? null : (await createOrganization(trx, actor, { name: name.trim() })).id);
    }
    return organizations.get(key) ?? null;
  }

  try {
    const sniffed = await sniff(body.pipe(limit));
    if (!sniffed) throw new CrmError('invalid_csv', 'the file is empty; it needs a header line and rows');
    const parser = sniffed.stream.pipe(
      parse({ bom: true, delimiter: sniffed.delimiter, relax_column_count: true, relax_quotes: true, skip_empty_lines: true, info: true, max_record_size: 1_000_000 }),
    );
    let batch: Array<{ line: number; contact: CsvContact }> = [];
    let overcount = 0;
    try {
      for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
        // The line a record starts on: where it ends, less the line breaks quoted inside it. The parser
        // counts a quoted CRLF as two lines (and keeps counting so), which `overcount` takes back.
        const count = (pattern: RegExp) => record.reduce((n, v) => n + (v.match(pattern)?.length ?? 0), 0);
        overcount += count(/\r\n/g);
        const line = info.lines - overcount - count(/\r\n|\r|\n/g);
        if (!mapping) {
          mapping = mapHeader(record);
          continue;
        }
        counts.rows++;
        try {
          batch.push({ line, contact: rowToContact(mapping, record) });
        } catch (error) {
          fail(line, reason(error));
        }
        if (batch.length >= IMPORT_BATCH) {
          await queueBatch(batch);
          batch = [];
        }
      }
    } catch (error) {
      if (!(error instanceof CsvError)) throw error;
      // A broken quote ends the readable part of the file: what came before stands.
      const line = (error as CsvError & { lines?: number }).lines ?? counts.rows + 1;
      fail(line, `the CSV cannot be read from here on (${error.code.toLowerCase().replace(/^csv_/, '').replace(/_/g, ' ')})`);
    }
    if (batch.length > 0) await queueBatch(batch);
    await inFlight?.done;
    if (!mapping) throw new CrmError('invalid_csv', 'the file is empty; it needs a header line and rows');
    counts.errors.sort((a, b) => a.line - b.line); // batches in flight together report as they go
    await repo.finishImport(db, actor.tenantId, id, 'done', { ...counts, bytes: limit.bytes });
    return { id, dryRun: options.dryRun, ...counts, ignoredColumns: mapping.ignored };
  } catch (error) {
    await inFlight?.done.catch(() => undefined);
    await repo.finishImport(db, actor.tenantId, id, 'failed', { ...counts, bytes: limit.bytes });
    body.resume(); // drain what is left so the connection can answer
    throw error;
  }
}

export async function getImport(db: Kysely<Database>, actor: Authenticated, id: string) {
  const row = await repo.findImport(db, actor.tenantId, id);
  if (!row) throw new CrmError('record_not_found', 'no such import');
  return {
    id: row.id,
    module: row.module,
    status: row.status,
    dryRun: row.dry_run,
    lawfulBasis: row.lawful_basis,
    duplicates: row.duplicates,
    rows: row.rows,
    created: row.created,
    updated: row.updated,
    skipped: row.skipped,
    errorCount: row.error_count,
    errors: row.errors,
    bytes: Number(row.bytes),
    startedBy: row.started_by,
    startedAt: row.started_at,
    updatedAt: row.updated_at,
    finishedAt: row.finished_at,
  };
}
