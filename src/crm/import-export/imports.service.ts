import type { Readable } from 'node:stream';
import { CsvError, parse } from 'csv-parse';
import type { Kysely } from 'kysely';
import { requirePermission } from '../../access/access.service.js';
import { DomainError, domainErrorClass, isUniqueViolation } from '../../shared/domain-error.js';
import type { Database } from '../../db/schema.js';
import type { Authenticated } from '../../shared/actor.js';
import type { Keyring } from '../../keys/keyring.js';
import { findCandidatesPerValue } from '../../keys/keys.service.js';
import { newId } from '../../shared/ids.js';
import {
  detectDelimiter,
  looksLikeHeader,
  mapHeader,
  parseMapping,
  rowToContact,
  type ColumnSpec,
  type CsvContact,
  type HeaderMapping,
  type ImportWarning,
} from './contact-csv.js';
import { readVcards, type ReadRecord } from './contact-vcard.js';
import { decodeText } from './import-decoding.js';
import { CONTACT_EMAIL_INDEX, contactKind, type Contact } from '../people/contacts.service.js';
import { CrmError } from '../common/crm.errors.js';
import { suppressedIndexes } from '../common/suppression.js';
import * as repo from './imports.repository.js';
import { bodyOf, createImportedNotes } from '../notes/notes.service.js';
import { createOrganization, findOrganizationByName } from '../organizations/organizations.service.js';
import { LAWFUL_BASES, lawfulBasis, personFields, type LawfulBasis } from '../people/people.js';
import {
  createPeopleInBulk,
  emailsOfPeople,
  peopleByIds,
  updatePerson,
  type NewPerson,
  type PersonKind,
} from '../people/person-records.js';
import { tagNames } from '../tags/tags.service.js';

/**
 * Import of contacts from CSV or vCard, streamed: the body is decoded
 * (UTF-8, Windows-1252 or UTF-16) and parsed as it arrives and written in
 * batches, each in its own transaction, so a file of any length goes in
 * without being held in memory, and a bad row is reported by its line while
 * the good ones go in. People are matched by e-mail through the blind index
 * and updated or skipped, never doubled. Every person imported needs a lawful
 * basis for holding their data. An import that wrote many rows ends with
 * ANALYZE of what it filled, so the planner knows the new rows at once.
 */

export const IMPORT_BATCH = 500;
/** Rows written from which an import refreshes the planner's statistics (ANALYZE costs tens of ms; see docs/performance.md). */
export const ANALYZE_AFTER_ROWS = 1000;
/** Lines before the header that are read as a preamble (LinkedIn's "Notes:" and its paragraph). */
const PREAMBLE_LINES = 20;
/** How much of the text is read ahead to find the format, the header line and its separator. */
const SNIFF_CHARS = 64 * 1024;
/** Errors (and warnings) listed in the answer; the count covers all of them. */
const LISTED_ERRORS = 1000;

export type DuplicatePolicy = 'skip' | 'update';

export type ImportFormat = 'csv' | 'vcard';

export interface ImportOptions {
  lawfulBasis: string | undefined;
  dryRun: boolean;
  duplicates: DuplicatePolicy;
  maxBytes: number;
  /** From the content-type; a body that starts with BEGIN:VCARD is read as vCard whatever it says. */
  format?: ImportFormat;
  /** A charset the content-type declares (a BOM still wins). */
  charset?: string;
  /** An explicit column mapping, `Column:field,…` (see parseMapping). */
  mapping?: string;
  /** The id the client chose for the import, so it can follow GET /imports/{id} while it uploads; new when absent. */
  importId?: string;
}

/** An import id the client chose that its tenant already used: a retry or a second tab, never two imports under one id. */
export const ImportError = domainErrorClass<'import_exists'>('ImportError', { import_exists: 'conflict' });

export type ImportLineWarning = ImportWarning & { line: number };

export interface ImportResult {
  id: string;
  dryRun: boolean;
  rows: number;
  created: number;
  updated: number;
  skipped: number;
  errors: Array<{ line: number; message: string }>;
  errorCount: number;
  /** Values left out of the people who went in (a phone, a birthday, a language that would not validate), by line and field; never the value. */
  warnings: ImportLineWarning[];
  warningCount: number;
  /** The format read: csv, or vcard (whose ignored "columns" are the vCard properties not used). */
  format: ImportFormat;
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

/** The body's chunks, failing once more than `max` bytes have passed; the body is left open for the route to answer on. */
async function* limited(body: Readable, max: number, seen: { bytes: number }): AsyncGenerator<Buffer> {
  for await (const chunk of body.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
    seen.bytes += chunk.length;
    if (seen.bytes > max) throw new CrmError('import_too_large', `an import is at most ${max} bytes`);
    yield chunk;
  }
}

/** The first part of the text read ahead, and the whole text again. */
async function readAhead(text: AsyncGenerator<string>): Promise<{ head: string; text: AsyncGenerator<string> }> {
  let head = '';
  let done = false;
  while (head.length < SNIFF_CHARS && (head.match(/\n/g)?.length ?? 0) <= PREAMBLE_LINES) {
    const next = await text.next();
    if (next.done) {
      done = true;
      break;
    }
    head += next.value;
  }
  async function* whole() {
    yield head;
    if (!done) yield* text;
  }
  return { head, text: whole() };
}

/** The separator of the first line that reads as a header (lines before it are a preamble). */
function delimiterOf(head: string, explicit: Map<string, ColumnSpec | null> | undefined): ',' | ';' | '\t' {
  const lines = head.split(/\r\n|\r|\n/).slice(0, PREAMBLE_LINES + 1);
  for (const line of lines) {
    const delimiter = detectDelimiter(line);
    if (
      looksLikeHeader(
        line.split(delimiter).map((h) => h.replace(/^\s*"|"\s*$/g, '')),
        explicit,
      )
    )
      return delimiter;
  }
  return detectDelimiter(lines.find((l) => l.trim() !== '') ?? '');
}

/** The rows of a CSV text as contacts, after its header (and any preamble before it). */
async function* readCsv(
  text: AsyncGenerator<string>,
  delimiter: ',' | ';' | '\t',
  explicit: Map<string, ColumnSpec | null> | undefined,
  header: { mapping?: HeaderMapping },
): AsyncGenerator<ReadRecord> {
  // Records are taken as the parser makes them (on_record), one text chunk at a time, so a record
  // that breaks the file (a broken quote, a field over 1 MB) loses none of those before it.
  const parsed: Array<{ record: string[]; lines: number }> = [];
  const parser = parse({
    delimiter,
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: true,
    max_record_size: 1_000_000,
    on_record: (record: string[], context: { lines: number }) => {
      parsed.push({ record, lines: context.lines });
      return null;
    },
  });
  parser.on('error', () => undefined); // read from parser.errored below
  parser.resume();
  let overcount = 0;
  let preamble = 0;
  const take = function* (): Generator<ReadRecord> {
    for (const { record, lines } of parsed.splice(0)) {
      // The line a record starts on: where it ends, less the line breaks quoted inside it. The parser
      // counts a quoted CRLF as two lines (and keeps counting so), which `overcount` takes back.
      const count = (pattern: RegExp) => record.reduce((n, v) => n + (v.match(pattern)?.length ?? 0), 0);
      overcount += count(/\r\n/g);
      const line = lines - overcount - count(/\r\n|\r|\n/g);
      if (!header.mapping) {
        if (!looksLikeHeader(record, explicit) && ++preamble <= PREAMBLE_LINES) continue;
        header.mapping = mapHeader(record, explicit);
        continue;
      }
      if (record.every((v) => v.trim() === '')) continue; // a spreadsheet's empty row: only separators
      try {
        yield { line, contact: rowToContact(header.mapping, record) };
      } catch (error) {
        yield { line, error };
      }
    }
  };
  for await (const chunk of text) {
    parser.write(chunk);
    yield* take();
    if (parser.errored) break;
  }
  if (!parser.errored) {
    await new Promise<void>((resolve) => {
      parser.once('error', () => resolve());
      parser.end(() => resolve());
    });
  }
  yield* take();
  const error = parser.errored;
  if (error) {
    if (!(error instanceof CsvError)) throw error;
    // A broken quote ends the readable part of the file: what came before stands.
    const line = (error as CsvError & { lines?: number }).lines ?? 0;
    yield {
      line,
      unreadable: true,
      error: new CrmError(
        'invalid_csv',
        `the CSV cannot be read from here on (${error.code.toLowerCase().replace(/^csv_/, '').replace(/_/g, ' ')})`,
      ),
    };
  }
}

interface Counts {
  rows: number;
  created: number;
  updated: number;
  skipped: number;
  errorCount: number;
  errors: Array<{ line: number; message: string }>;
  warningCount: number;
  warnings: ImportLineWarning[];
}

class DryRunRollback extends Error {}

/** The reason given for a line skipped because its person was erased (code first, like every import message). */
export const RESTRICTED_LINE = 'processing_restricted: skipped, the contact with this e-mail address is restricted and cannot be updated';
export const SUPPRESSED_LINE = 'suppressed: skipped, an e-mail address or phone number belongs to a person who was erased';

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
  const explicit = parseMapping(options.mapping);
  await requirePermission(db, actor, 'contacts', 'create');
  // A file's notes go on the contacts created when the profile allows notes; else each is reported.
  const notesRefused = await requirePermission(db, actor, 'notes', 'create').then(
    () => null,
    (error: unknown) => reason(error),
  );
  const id = options.importId ?? newId();
  // The row exists (running, no counts) before a byte of the body is read, so a client that named the import can follow it.
  await repo
    .insertImport(db, actor.tenantId, {
      id,
      module: 'contacts',
      dryRun: options.dryRun,
      lawfulBasis: basis,
      duplicates: options.duplicates,
      startedBy: actor.user.id,
    })
    .catch((error: unknown) => {
      if (options.importId !== undefined && isUniqueViolation(error, 'imports_pkey')) {
        throw new ImportError('import_exists', 'an import with this importId already exists; choose a new id for each import');
      }
      throw error;
    });
  const counts: Counts = { rows: 0, created: 0, updated: 0, skipped: 0, errorCount: 0, errors: [], warningCount: 0, warnings: [] };
  const fail = (line: number, message: string) => {
    counts.errorCount++;
    if (counts.errors.length < LISTED_ERRORS) counts.errors.push({ line, message });
  };
  /** A value the person went in without. */
  const warn = (line: number, warning: ImportWarning) => {
    counts.warningCount++;
    if (counts.warnings.length < LISTED_ERRORS) counts.warnings.push({ line, ...warning });
  };
  const limit = { bytes: 0 };
  const header: { mapping?: HeaderMapping } = {};
  let vcard = false;
  const ignoredProperties = new Set<string>();
  // Dry runs roll every batch back, so duplicates across batches are remembered here instead.
  const dryRunEmails = options.dryRun ? new Set<string>() : undefined;
  const organizations = new Map<string, string | null>();
  const kind = contactKind as PersonKind<Contact, never>;

  /** Runs a batch in its own transaction; `created` collects the organizations it creates (uncommitted until it ends). */
  const runBatch = async (batch: Array<{ line: number; contact: CsvContact }>, created: Set<string>) => {
    const apply = async (trx: Kysely<Database>) => {
      const emails = [
        ...new Set(batch.flatMap((r) => (r.contact.input.emails ?? []).map((e) => (typeof e === 'string' ? e : e.value).toLowerCase()))),
      ];
      const candidates = await findCandidatesPerValue(trx, keyring, actor.tenantId, 'contacts', CONTACT_EMAIL_INDEX, emails);
      // Candidates are mostly collisions of the truncated index: their addresses decide, and only real matches are opened whole.
      const candidateEmails = await emailsOfPeople(trx, keyring, actor.tenantId, 'contacts', [...new Set([...candidates.values()].flat())]);
      const wanted = new Set(emails);
      const matches = [...candidateEmails].filter(([, own]) => own.some((e) => wanted.has(e))).map(([contactId]) => contactId);
      const existing = await peopleByIds(trx, keyring, actor, kind, matches);
      const byEmail = new Map<string, Contact | 'new'>();
      for (const c of existing) for (const e of c.emails) byEmail.set(e.value.toLowerCase(), c);
      const fresh: NewPerson[] = [];
      const freshNotes: Array<{ index: number; body: string }> = [];
      const tally = { created: 0, updated: 0, skipped: 0 };
      // Lines of erased people are skipped, whatever the duplicate policy: they do not come back by import.
      const valueOf = (v: string | { value: string }) => (typeof v === 'string' ? v : v.value);
      const suppressed = await suppressedIndexes(
        trx,
        keyring,
        actor.tenantId,
        batch.map((r) => ({ emails: (r.contact.input.emails ?? []).map(valueOf), phones: (r.contact.input.phones ?? []).map(valueOf) })),
      );
      for (const [index, { line, contact }] of batch.entries()) {
        if (suppressed.has(index)) {
          tally.skipped++;
          warn(line, { field: 'emails', message: SUPPRESSED_LINE });
          continue;
        }
        const own = (contact.input.emails ?? []).map((e) => (typeof e === 'string' ? e : e.value).toLowerCase());
        const match = own.map((e) => byEmail.get(e) ?? (dryRunEmails?.has(e) ? 'new' : undefined)).find(Boolean);
        try {
          // A restricted person is not updated by an import (Art. 18): the line is skipped with that reason.
          if (match && match !== 'new' && match.restricted && options.duplicates !== 'skip') {
            tally.skipped++;
            warn(line, { field: 'emails', message: RESTRICTED_LINE });
            continue;
          }
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
            for (const w of contact.warnings) warn(line, w);
            continue;
          }
          fresh.push({
            fields,
            custom: { plain: {}, personal: {} },
            tags: tagNames(contact.input.tags),
            lawfulBasis: basis,
            plain: { organization_id: organizationId ?? null },
          });
          for (const w of contact.warnings) warn(line, w);
          if (contact.note) {
            try {
              if (notesRefused) throw new CrmError('invalid_field', notesRefused);
              freshNotes.push({ index: fresh.length - 1, body: bodyOf(contact.note) });
            } catch (error) {
              warn(line, { field: 'note', message: `the contact is created but not its note: ${reason(error)}` });
            }
          }
          for (const e of own) {
            byEmail.set(e, 'new');
            dryRunEmails?.add(e);
          }
          tally.created++;
        } catch (error) {
          fail(line, reason(error));
        }
      }
      const ids = await createPeopleInBulk(trx, keyring, actor, 'contacts', fresh);
      if (freshNotes.length > 0) {
        const subjects = await repo.subjectsOfContacts(
          trx,
          actor.tenantId,
          freshNotes.map((n) => ids[n.index]!),
        );
        const notes = freshNotes.map((n) => ({ contactId: ids[n.index]!, subjectId: subjects.get(ids[n.index]!)!, body: n.body }));
        await createImportedNotes(trx, keyring, actor, notes);
      }
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
    const emails = new Set(
      batch.flatMap((r) => (r.contact.input.emails ?? []).map((e) => (typeof e === 'string' ? e : e.value).toLowerCase())),
    );
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
    const ahead = await readAhead(decodeText(limited(body, options.maxBytes, limit), options.charset));
    if (!ahead.head.trim()) {
      if (options.format === 'vcard') throw new CrmError('invalid_vcard', 'the file is empty; it needs BEGIN:VCARD … END:VCARD');
      throw new CrmError('invalid_csv', 'the file is empty; it needs a header line and rows');
    }
    vcard = options.format === 'vcard' || /^\s*BEGIN:VCARD/i.test(ahead.head);
    const records = vcard
      ? readVcards(ahead.text, ignoredProperties)
      : readCsv(ahead.text, delimiterOf(ahead.head, explicit), explicit, header);
    let batch: Array<{ line: number; contact: CsvContact }> = [];
    for await (const record of records) {
      if ('error' in record) {
        if (!record.unreadable) counts.rows++;
        fail(record.line, reason(record.error));
        continue;
      }
      counts.rows++;
      batch.push(record);
      if (batch.length >= IMPORT_BATCH) {
        await queueBatch(batch);
        batch = [];
      }
    }
    if (batch.length > 0) await queueBatch(batch);
    await inFlight?.done;
    if (!vcard && !header.mapping && explicit)
      throw new CrmError('invalid_mapping', 'no line of the file has the columns the mapping names');
    if (!vcard && !header.mapping)
      throw new CrmError(
        'invalid_csv',
        'the file has no header line naming contact fields, e.g. firstName,lastName,email,phone,organization',
      );
    if (!vcard && counts.rows === 0 && counts.errorCount === 0) throw new CrmError('invalid_csv', 'the file has a header line but no rows');
    counts.errors.sort((a, b) => a.line - b.line); // batches in flight together report as they go
    counts.warnings.sort((a, b) => a.line - b.line);
    if (!options.dryRun && counts.created + counts.updated >= ANALYZE_AFTER_ROWS) await repo.analyzeImportedTables(db);
    await repo.finishImport(db, actor.tenantId, id, 'done', { ...counts, bytes: limit.bytes });
    const ignoredColumns = vcard ? [...ignoredProperties].sort() : header.mapping!.ignored;
    return { id, dryRun: options.dryRun, format: vcard ? 'vcard' : 'csv', ...counts, ignoredColumns };
  } catch (error) {
    await inFlight?.done.catch(() => undefined);
    await repo.finishImport(db, actor.tenantId, id, 'failed', { ...counts, bytes: limit.bytes });
    throw error;
  }
}

/** An import as the user who started it, or an admin of its tenant, may follow it; to anyone else it does not exist. */
export async function getImport(db: Kysely<Database>, actor: Authenticated, id: string) {
  const row = await repo.findImport(db, actor.tenantId, id);
  if (!row || (row.started_by !== actor.user.id && !actor.user.isAdmin)) throw new CrmError('record_not_found', 'no such import');
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
