import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';

// The only SQL over import records.

interface Progress {
  rows: number;
  created: number;
  updated: number;
  skipped: number;
  errorCount: number;
  bytes: number;
}

export async function insertImport(
  db: Kysely<Database>,
  tenantId: string,
  row: { id: string; module: string; dryRun: boolean; lawfulBasis: string; duplicates: string; startedBy: string },
): Promise<void> {
  await db
    .insertInto('imports')
    .values({
      tenant_id: tenantId,
      id: row.id,
      module: row.module,
      status: 'running',
      dry_run: row.dryRun,
      lawful_basis: row.lawfulBasis,
      duplicates: row.duplicates,
      started_by: row.startedBy,
      updated_at: new Date(),
    })
    .execute();
}

function counters(p: Progress) {
  return {
    rows: p.rows,
    created: p.created,
    updated: p.updated,
    skipped: p.skipped,
    error_count: p.errorCount,
    bytes: p.bytes,
    updated_at: new Date(),
  };
}

export async function recordProgress(db: Kysely<Database>, tenantId: string, id: string, progress: Progress): Promise<void> {
  await db.updateTable('imports').set(counters(progress)).where('tenant_id', '=', tenantId).where('id', '=', id).execute();
}

export async function finishImport(
  db: Kysely<Database>,
  tenantId: string,
  id: string,
  status: 'done' | 'failed',
  progress: Progress & { errors: Array<{ line: number; message: string }> },
): Promise<void> {
  await db
    .updateTable('imports')
    .set({ ...counters(progress), status, errors: JSON.stringify(progress.errors), finished_at: new Date() })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .execute();
}

export async function findImport(db: Kysely<Database>, tenantId: string, id: string) {
  return db.selectFrom('imports').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
}

/** The subject (the person) of each contact an import has just created. */
export async function subjectsOfContacts(db: Kysely<Database>, tenantId: string, ids: string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .selectFrom('contacts')
    .select(['id', 'subject_id'])
    .where('tenant_id', '=', tenantId)
    .where('id', 'in', ids)
    .execute();
  return new Map(rows.map((r) => [r.id, r.subject_id]));
}

/**
 * The tables a contact import fills, analyzed so the planner knows their new
 * rows at once (autovacuum may be off, and lags minutes where it is on).
 * ANALYZE takes no lock that blocks reads or writes and samples a bounded
 * number of rows, so it costs the same for 1,000 rows as for a million.
 */
export const IMPORTED_TABLES = [
  'contacts',
  'subjects',
  'subject_keys',
  'blind_index_terms',
  'organizations',
  'tags',
  'record_tags',
  'notes',
] as const;

export async function analyzeImportedTables(db: Kysely<Database>): Promise<void> {
  await sql`analyze ${sql.join(IMPORTED_TABLES.map((t) => sql.table(t)))}`.execute(db);
}
