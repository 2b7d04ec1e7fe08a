import { Kysely, PostgresDialect, sql, type Insertable, type PostgresPool, type SqlBool } from 'kysely';
import type pg from 'pg';
import { pgPoolOf } from '../db/database.js';
import { preparedStatement } from '../db/prepared.js';
import type { AuditEntriesTable, Database } from '../db/schema.js';
import { ENCODING_SQL } from './chain.js';

// The only SQL over the audit trail: entries, the per-tenant signed head.

export type NewAuditEntry = Insertable<AuditEntriesTable>;

const INSERTED = [
  'tenant_id',
  'id',
  'at',
  'actor_kind',
  'actor_user_id',
  'actor_token_id',
  'actor_label',
  'action',
  'entity',
  'entity_id',
  'subject_ids',
  'fields',
  'request_id',
  'encoding_format',
  'origin_subject_id',
  'origin_enc',
  'details',
  'values_subject_id',
  'values_enc',
  'mac',
] as const satisfies ReadonlyArray<keyof NewAuditEntry>;

// Any number of entries as one JSON parameter: one statement text, prepared once per connection
// (a multi-row VALUES list would be a new text, parsed and planned, for every batch size).
const insertJson = preparedStatement(
  `insert into audit_entries (${INSERTED.join(', ')}) select ${INSERTED.join(', ')} from json_populate_recordset(null::audit_entries, $1::json)`,
);

const jsonValue = (value: unknown): unknown =>
  Buffer.isBuffer(value) ? `\\x${value.toString('hex')}` : value instanceof Date ? value.toISOString() : value === undefined ? null : value;

export async function insertEntries(db: Kysely<Database>, rows: NewAuditEntry[]): Promise<void> {
  if (rows.length === 0) return;
  const json = rows.map((row) => {
    const out: Record<string, unknown> = {};
    for (const column of INSERTED) out[column] = jsonValue(row[column]);
    return out;
  });
  await insertJson(db, [JSON.stringify(json)]);
}

// --- sealing ------------------------------------------------------------------------------

export async function tenantsWithPendingEntries(db: Kysely<Database>): Promise<string[]> {
  const rows = await sql<{
    tenant_id: string;
  }>`select distinct tenant_id from audit_entries where seq is null and rejected_at is null`.execute(db);
  return rows.rows.map((r) => r.tenant_id);
}

export async function ensureHead(db: Kysely<Database>, tenantId: string, genesis: Buffer): Promise<void> {
  await db
    .insertInto('audit_heads')
    .values({ tenant_id: tenantId, head_hash: genesis, anchor_hash: genesis })
    .onConflict((oc) => oc.column('tenant_id').doNothing())
    .execute();
}

/** The head row locked for sealing, or undefined when another sealer holds it (skip, it is being done). */
export async function lockHead(db: Kysely<Database>, tenantId: string, wait = false) {
  let query = db.selectFrom('audit_heads').selectAll().where('tenant_id', '=', tenantId).forUpdate();
  if (!wait) query = query.skipLocked();
  return query.executeTakeFirst();
}

export async function findHead(db: Kysely<Database>, tenantId: string) {
  return db.selectFrom('audit_heads').selectAll().where('tenant_id', '=', tenantId).executeTakeFirst();
}

// The canonical encoding of each entry, computed by PostgreSQL from the stored columns (see chain.ts).
const ENCODING = ENCODING_SQL;

/** Pending entries in sealing order, with their MACs and encodings. */
export async function pendingEntries(db: Kysely<Database>, tenantId: string, limit: number) {
  return db
    .selectFrom('audit_entries')
    .select(['id', 'mac', sql<Buffer>`${sql.raw(ENCODING)}`.as('encoding')])
    .where('tenant_id', '=', tenantId)
    .where('seq', 'is', null)
    .where('rejected_at', 'is', null)
    .orderBy('at')
    .orderBy('id')
    .limit(limit)
    .execute();
}

/**
 * Gives entries their positions and chain hashes in one statement. The rows
 * are found by primary key (`id = any`), never by "seq is null": after a bulk
 * of inserts the statistics may still claim few pending rows, and a plan that
 * scans them all for each batch made sealing a backlog quadratic. The caller
 * holds the head lock, so nothing else can have sealed them meanwhile.
 */
export async function sealEntries(
  db: Kysely<Database>,
  tenantId: string,
  sealed: Array<{ id: string; seq: number; prevId: string | null; hash: Buffer }>,
): Promise<void> {
  if (sealed.length === 0) return;
  const ids = sealed.map((s) => s.id);
  await sql`update audit_entries as a
    set seq = v.seq, prev_id = v.prev_id, chain_hash = decode(v.hash, 'hex')
    from unnest(${ids}::uuid[], ${sealed.map((s) => s.seq)}::int8[],
                ${sealed.map((s) => s.prevId)}::uuid[], ${sealed.map((s) => s.hash.toString('hex'))}::text[])
      as v(id, seq, prev_id, hash)
    where a.tenant_id = ${tenantId} and a.id = any(${ids}::uuid[]) and a.id = v.id`.execute(db);
}

export async function rejectEntries(db: Kysely<Database>, tenantId: string, ids: string[], at: Date): Promise<void> {
  if (ids.length === 0) return;
  await db.updateTable('audit_entries').set({ rejected_at: at }).where('tenant_id', '=', tenantId).where('id', 'in', ids).execute();
}

export async function updateHead(
  db: Kysely<Database>,
  tenantId: string,
  head: { size: number; headHash: Buffer; lastId: string | null; signature: Buffer; signedAt: Date },
): Promise<void> {
  await db
    .updateTable('audit_heads')
    .set({ size: head.size, head_hash: head.headHash, last_id: head.lastId, signature: head.signature, signed_at: head.signedAt })
    .where('tenant_id', '=', tenantId)
    .execute();
}

// --- verification ------------------------------------------------------------------------

/**
 * One sealed entry as verification reads it: offsets into `buf`, which holds
 * it only while it is visited (length -1: null). Nothing is parsed or copied
 * on the way: a million entries are a million views.
 */
export interface ChainRow {
  buf: Buffer;
  seq: number;
  /** 16 bytes each. */
  idAt: number;
  prevIdAt: number;
  macAt: number;
  macLength: number;
  chainAt: number;
  chainLength: number;
  encodingAt: number;
  encodingLength: number;
}

/** Queries that see one snapshot of the trail (repeatable read, read only). */
export interface ChainSnapshot {
  db: Kysely<Database>;
  /** Visits the sealed entries after a position, in chain order. */
  sealedEntries(tenantId: string, afterSeq: number, visit: (row: ChainRow) => void): Promise<void>;
}

const CHAIN_COLUMNS = `seq, id, prev_id, mac, chain_hash, ${ENCODING}`;
const PAGE = 5000;

/**
 * Runs `work` in one read-only snapshot, so entries the sealer of a running
 * server adds meanwhile are neither half-seen nor taken for tampering. On
 * PostgreSQL the entries stream through binary COPY (PostgreSQL sends the
 * encodings as raw bytes while the verifier hashes the previous ones); other
 * databases (PGlite) read keyset pages of the same columns.
 */
export async function inChainSnapshot<T>(db: Kysely<Database>, work: (snapshot: ChainSnapshot) => Promise<T>): Promise<T> {
  const pool = pgPoolOf(db);
  if (!pool) {
    if (db.isTransaction) return work({ db, sealedEntries: (tenantId, afterSeq, visit) => pagedEntries(db, tenantId, afterSeq, visit) });
    return db
      .transaction()
      .setIsolationLevel('repeatable read')
      .setAccessMode('read only')
      .execute((trx) => work({ db: trx, sealedEntries: (tenantId, afterSeq, visit) => pagedEntries(trx, tenantId, afterSeq, visit) }));
  }
  const client = await pool.connect();
  try {
    await client.query('begin isolation level repeatable read read only');
    // The same client under Kysely, so the ordinary queries below share the snapshot.
    const single: PostgresPool = {
      connect: async () => ({ query: client.query.bind(client) as never, release: () => undefined }),
      end: async () => undefined,
    };
    const trx = new Kysely<Database>({ dialect: new PostgresDialect({ pool: single }) });
    const result = await work({ db: trx, sealedEntries: (tenantId, afterSeq, visit) => copiedEntries(client, tenantId, afterSeq, visit) });
    await client.query('commit');
    return result;
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

const UUID_TEXT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

async function copiedEntries(client: pg.PoolClient, tenantId: string, afterSeq: number, visit: (row: ChainRow) => void): Promise<void> {
  // COPY takes no parameters: both values are checked to be what they claim.
  if (!UUID_TEXT.test(tenantId) || !Number.isSafeInteger(afterSeq)) throw new TypeError('invalid tenant id or position');
  // Walk the (tenant_id, seq) index rather than sort a million rows when the statistics are stale;
  // no JIT compilation for a plan that is one index scan.
  await client.query('set local enable_sort = off; set local jit = off');
  const copy = new CopyOut(
    `copy (select ${CHAIN_COLUMNS} from audit_entries where tenant_id = '${tenantId}' and seq > ${afterSeq} order by seq) to stdout (format binary)`,
    new CopyTuples(visit),
  );
  client.query(copy as unknown as pg.QueryConfig);
  await copy.done;
}

/**
 * A pg "submittable" for COPY … TO STDOUT: node-postgres hands each CopyData
 * message to `handleCopyData` (PostgreSQL sends one per row), here parsed on
 * the spot — the message's buffer is reused by the driver afterwards.
 */
class CopyOut {
  readonly done: Promise<void>;
  private settle!: (error?: unknown) => void;
  private error: unknown;

  constructor(
    readonly text: string,
    private readonly tuples: CopyTuples,
  ) {
    this.done = new Promise<void>((resolve, reject) => {
      this.settle = (error) => (error ? reject(error) : resolve());
    });
  }

  submit(connection: { query(text: string): void }): void {
    connection.query(this.text);
  }

  handleCopyData(message: { chunk: Buffer }): void {
    if (this.error) return;
    try {
      this.tuples.push(message.chunk);
    } catch (error) {
      this.error = error;
    }
  }

  handleError(error: unknown): void {
    this.error ??= error;
  }

  handleReadyForQuery(): void {
    this.settle(this.error ?? (this.tuples.finished ? undefined : new Error('audit chain COPY ended early')));
  }

  handleCommandComplete(): void {}
  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}
  handleCopyInResponse(): void {}
}

/** A row to fill in place, entry after entry (one object per walk, not per entry). */
function emptyChainRow(): ChainRow {
  return {
    buf: Buffer.alloc(0),
    seq: 0,
    idAt: 0,
    prevIdAt: -1,
    macAt: -1,
    macLength: -1,
    chainAt: -1,
    chainLength: -1,
    encodingAt: 0,
    encodingLength: 0,
  };
}

const COPY_SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');

/** The binary COPY format: a header, then per row a field count and (length, bytes) per field; -1 ends it. */
class CopyTuples {
  finished = false;
  private started = false;
  private rest: Buffer | null = null;
  private readonly offsets = [0, 0, 0, 0, 0, 0];
  private readonly lengths = [0, 0, 0, 0, 0, 0];
  private readonly row = emptyChainRow();

  constructor(private readonly visit: (row: ChainRow) => void) {}

  push(chunk: Buffer): void {
    let buf = chunk;
    if (this.rest) {
      buf = Buffer.concat([this.rest, chunk]);
      this.rest = null;
    }
    let at = 0;
    if (!this.started) {
      if (buf.length < 19) return this.keep(buf, 0);
      if (!buf.subarray(0, 11).equals(COPY_SIGNATURE)) throw new Error('not a binary COPY stream');
      at = 19 + buf.readInt32BE(15);
      this.started = true;
    }
    while (at + 2 <= buf.length) {
      const fields = buf.readInt16BE(at);
      if (fields === -1) {
        this.finished = true;
        return;
      }
      const end = this.parse(buf, at + 2, fields);
      if (end < 0) break;
      at = end;
    }
    this.keep(buf, at);
  }

  // A row split across messages waits for the rest (a copy: the driver reuses its buffer).
  private keep(buf: Buffer, at: number): void {
    if (at < buf.length) this.rest = Buffer.from(buf.subarray(at));
  }

  /** Visits the row at `at`; returns where the next starts, or -1 when the buffer ends inside it. */
  private parse(buf: Buffer, at: number, fields: number): number {
    if (fields !== 6) throw new Error(`audit chain COPY: ${fields} fields`);
    const { offsets, lengths } = this;
    for (let i = 0; i < 6; i++) {
      if (at + 4 > buf.length) return -1;
      const length = buf.readInt32BE(at);
      at += 4;
      offsets[i] = at;
      lengths[i] = length;
      if (length > 0) at += length;
      if (at > buf.length) return -1;
    }
    visitFields(this.row, this.visit, buf, offsets, lengths);
    return at;
  }
}

function visitFields(row: ChainRow, visit: (row: ChainRow) => void, buf: Buffer, offsets: number[], lengths: number[]): void {
  if (lengths[0] !== 8 || lengths[1] !== 16 || !(lengths[2] === 16 || lengths[2] === -1) || lengths[5]! < 0) {
    throw new Error('audit chain row: unexpected column sizes');
  }
  row.buf = buf;
  row.seq = buf.readUInt32BE(offsets[0]!) * 2 ** 32 + buf.readUInt32BE(offsets[0]! + 4);
  row.idAt = offsets[1]!;
  row.prevIdAt = lengths[2] === 16 ? offsets[2]! : -1;
  row.macAt = offsets[3]!;
  row.macLength = lengths[3]!;
  row.chainAt = offsets[4]!;
  row.chainLength = lengths[4]!;
  row.encodingAt = offsets[5]!;
  row.encodingLength = lengths[5]!;
  visit(row);
}

/**
 * The same columns for databases without the COPY stream (PGlite): keyset
 * pages, each one bytea of the rows' `record_send`s back to back (one value
 * per page, not per row, spares the driver most of its per-row work).
 */
async function pagedEntries(db: Kysely<Database>, tenantId: string, afterSeq: number, visit: (row: ChainRow) => void): Promise<void> {
  const row = emptyChainRow();
  const offsets = [0, 0, 0, 0, 0, 0];
  const lengths = [0, 0, 0, 0, 0, 0];
  let from = afterSeq;
  for (;;) {
    const page = await sql<{
      rows: Buffer | null;
    }>`select string_agg(pg_catalog.record_send(row(${sql.raw(CHAIN_COLUMNS)})), ''::bytea order by seq) as rows
      from audit_entries where tenant_id = ${tenantId} and seq > ${from} and seq <= ${from + PAGE}`.execute(db);
    const buf = page.rows[0]?.rows;
    if (buf) {
      // record_send: the field count, then per field its type OID, length and bytes.
      for (let at = 0; at < buf.length;) {
        if (buf.readInt32BE(at) !== 6) throw new Error('audit chain page: unexpected record');
        at += 4;
        for (let i = 0; i < 6; i++) {
          const length = buf.readInt32BE(at + 4);
          at += 8;
          offsets[i] = at;
          lengths[i] = length;
          if (length > 0) at += length;
        }
        visitFields(row, visit, buf, offsets, lengths);
      }
      from += PAGE;
      continue;
    }
    // An empty page: the end, or a gap wider than a page (entries removed).
    const next = await sql<{
      seq: number | null;
    }>`select min(seq) as seq from audit_entries where tenant_id = ${tenantId} and seq > ${from}`.execute(db);
    const seq = next.rows[0]?.seq;
    if (seq === null || seq === undefined) return;
    from = Number(seq) - 1;
  }
}

/** Entries the sealer did not (or could not) give a position. */
export async function unsealedEntries(db: Kysely<Database>, tenantId: string, limit: number) {
  return db
    .selectFrom('audit_entries')
    .select(['id', 'at', 'rejected_at'])
    .where('tenant_id', '=', tenantId)
    .where('seq', 'is', null)
    .orderBy('at')
    .orderBy('id')
    .limit(limit)
    .execute();
}

// --- retention ------------------------------------------------------------------------------

export async function headsDueForArchive(db: Kysely<Database>, now: Date) {
  const result = await sql<{ tenant_id: string; retention_days: number }>`
    select h.tenant_id, h.retention_days from audit_heads h
    where exists (select 1 from audit_entries e where e.tenant_id = h.tenant_id and e.seq is not null
                  and e.seq = h.anchor_seq + 1 and e.at < ${now}::timestamptz - make_interval(days => h.retention_days))`.execute(db);
  return result.rows;
}

/** The last position of the oldest run of sealed entries all older than the cutoff. */
export async function lastPositionBefore(
  db: Kysely<Database>,
  tenantId: string,
  anchorSeq: number,
  size: number,
  cutoff: Date,
): Promise<number> {
  const result = await sql<{ first_kept: number | null }>`
    select min(seq) as first_kept from audit_entries
    where tenant_id = ${tenantId} and seq > ${anchorSeq} and at >= ${cutoff}`.execute(db);
  const firstKept = result.rows[0]?.first_kept ?? null;
  return firstKept === null ? size : Number(firstKept) - 1;
}

export async function entryAt(db: Kysely<Database>, tenantId: string, seq: number) {
  return db
    .selectFrom('audit_entries')
    .select(['id', 'chain_hash'])
    .where('tenant_id', '=', tenantId)
    .where('seq', '=', seq)
    .executeTakeFirst();
}

export async function deleteUpTo(db: Kysely<Database>, tenantId: string, seq: number): Promise<number> {
  const result = await db.deleteFrom('audit_entries').where('tenant_id', '=', tenantId).where('seq', '<=', seq).executeTakeFirst();
  return Number(result.numDeletedRows);
}

export async function setAnchor(
  db: Kysely<Database>,
  tenantId: string,
  anchor: { seq: number; hash: Buffer; id: string | null; signature: Buffer; at: Date },
): Promise<void> {
  await db
    .updateTable('audit_heads')
    .set({
      anchor_seq: anchor.seq,
      anchor_hash: anchor.hash,
      anchor_id: anchor.id,
      anchor_signature: anchor.signature,
      archived_at: anchor.at,
    })
    .where('tenant_id', '=', tenantId)
    .execute();
}

export async function setRetention(db: Kysely<Database>, tenantId: string, days: number): Promise<void> {
  await db.updateTable('audit_heads').set({ retention_days: days }).where('tenant_id', '=', tenantId).execute();
}

// --- reading ----------------------------------------------------------------------------------

export interface EntryFilter {
  subjectId?: string;
  /** Entries about this record, or about its subject. */
  record?: { entity: string; id: string; subjectId?: string };
  actorUserId?: string;
  action?: string;
  from?: Date;
  to?: Date;
}

export async function listEntries(
  db: Kysely<Database>,
  tenantId: string,
  filter: EntryFilter,
  after: { at: Date; id: string } | null,
  limit: number,
) {
  let query = db
    .selectFrom('audit_entries')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('rejected_at', 'is', null)
    .orderBy('at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit);
  if (filter.subjectId) query = query.where(sql<SqlBool>`subject_ids @> array[${filter.subjectId}]::uuid[]`);
  if (filter.record) {
    const { entity, id, subjectId } = filter.record;
    query = query.where((eb) =>
      eb.or([
        eb.and([eb('entity', '=', entity), eb('entity_id', '=', id)]),
        ...(subjectId ? [sql<SqlBool>`subject_ids @> array[${subjectId}]::uuid[]`] : []),
      ]),
    );
  }
  if (filter.actorUserId) query = query.where('actor_user_id', '=', filter.actorUserId);
  if (filter.action) {
    query = filter.action.endsWith('.*')
      ? query.where('action', 'like', `${filter.action.slice(0, -2).replace(/[\\%_]/g, '\\$&')}.%`)
      : query.where('action', '=', filter.action);
  }
  if (filter.from) query = query.where('at', '>=', filter.from);
  if (filter.to) query = query.where('at', '<', filter.to);
  if (after) query = query.where((eb) => eb.or([eb('at', '<', after.at), eb.and([eb('at', '=', after.at), eb('id', '<', after.id)])]));
  return query.execute();
}

export type EntryRow = Awaited<ReturnType<typeof listEntries>>[number];

// --- origins --------------------------------------------------------------------------------

/** The subject of a user, whose key seals where their requests came from (null: not yet encrypted). */
export async function userSubjectId(db: Kysely<Database>, tenantId: string, userId: string): Promise<string | null> {
  const row = await db
    .selectFrom('users')
    .select('subject_id')
    .where('tenant_id', '=', tenantId)
    .where('id', '=', userId)
    .executeTakeFirst();
  return row?.subject_id ?? null;
}

/** Security events written before origins were sealed (migration 0013), a batch at a time. */
export async function legacyOriginEvents(db: Kysely<Database>, limit: number) {
  return db
    .selectFrom('security_events')
    .select(['tenant_id', 'id', 'type', 'user_id', 'actor_user_id', 'ip', 'user_agent'])
    .where((eb) => eb.or([eb('ip', 'is not', null), eb('user_agent', 'is not', null)]))
    .limit(limit)
    .execute();
}

export async function sealEventOrigin(
  db: Kysely<Database>,
  tenantId: string,
  id: string,
  sealed: { origin_subject_id: string | null; origin_enc: Buffer | null },
): Promise<void> {
  await db
    .updateTable('security_events')
    .set({ ...sealed, ip: null, user_agent: null })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .execute();
}
