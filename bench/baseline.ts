import Fastify from 'fastify';
import { v7 } from 'uuid';
import { serveParent } from './child.js';

/**
 * The baseline of the HTTP benchmark: a bare Fastify server answering the
 * same contact routes from a plain table (bench_plain_contacts) in the same
 * database — no encryption, no permission checks, no sessions, no audit, no
 * schema validation. What Custodia costs is measured against this.
 *
 * Environment: BENCH_DATABASE_URL (PostgreSQL) or BENCH_DATA_DIR (PGlite).
 */

interface PlainRow {
  id: string;
  first_name: string;
  last_name: string;
  email: string;
  phone: string;
  created_at: Date;
}

type Query = (text: string, params: unknown[]) => Promise<PlainRow[]>;

async function connect(): Promise<{ query: Query; close(): Promise<void> }> {
  const url = process.env.BENCH_DATABASE_URL;
  if (url) {
    const { default: pg } = await import('pg');
    // The same pool size as Custodia's default DATABASE_POOL_MAX.
    const pool = new pg.Pool({ connectionString: url, max: 10 });
    return { query: async (text, params) => (await pool.query<PlainRow>(text, params)).rows, close: () => pool.end() };
  }
  const { PGlite } = await import('@electric-sql/pglite');
  const pglite = new PGlite({ dataDir: process.env.BENCH_DATA_DIR! });
  await pglite.waitReady;
  return { query: async (text, params) => (await pglite.query<PlainRow>(text, params)).rows, close: () => pglite.close() };
}

const toContact = (r: PlainRow) => ({
  id: r.id,
  firstName: r.first_name,
  lastName: r.last_name,
  emails: [{ value: r.email, label: null }],
  phones: [{ value: r.phone, label: null }],
  createdAt: r.created_at,
});

const { query, close } = await connect();
const app = Fastify({ logger: false });

app.post('/api/v1/contacts', async (request, reply) => {
  const body = request.body as { firstName?: string; lastName?: string; emails?: string[]; phones?: string[] };
  const rows = await query(
    'insert into bench_plain_contacts (id, first_name, last_name, email, phone) values ($1, $2, $3, $4, $5) returning *',
    [v7(), body.firstName ?? '', body.lastName ?? '', body.emails?.[0] ?? '', body.phones?.[0] ?? ''],
  );
  return reply.status(201).send(toContact(rows[0]!));
});

app.get('/api/v1/contacts/:id', async (request, reply) => {
  const rows = await query('select * from bench_plain_contacts where id = $1', [(request.params as { id: string }).id]);
  return rows[0] ? toContact(rows[0]) : reply.status(404).send({ title: 'no such contact' });
});

// A reference, not a rival: the same read plus one committed row saying who read what,
// the least a per-read audit trail writes (no MAC, chain, encryption or further indexes).
// Reads waiting at the same time share one INSERT and commit, as Custodia's group commit does.
await query(
  'create table if not exists bench_plain_reads (id uuid primary key, contact_id uuid not null, at timestamptz not null default now())',
  [],
);
let waiting: Array<{ contactId: string; done: () => void; failed: (error: unknown) => void }> = [];
let flushing = false;
async function flushReads(): Promise<void> {
  flushing = true;
  while (waiting.length > 0) {
    const batch = waiting;
    waiting = [];
    try {
      await query('insert into bench_plain_reads (id, contact_id) select * from unnest($1::uuid[], $2::uuid[])', [
        batch.map(() => v7()),
        batch.map((r) => r.contactId),
      ]);
      for (const r of batch) r.done();
    } catch (error) {
      for (const r of batch) r.failed(error);
    }
  }
  flushing = false;
}
const logRead = (contactId: string) =>
  new Promise<void>((done, failed) => {
    waiting.push({ contactId, done, failed });
    if (!flushing) void flushReads();
  });
app.get('/api/v1/contacts/:id/logged', async (request, reply) => {
  const id = (request.params as { id: string }).id;
  const rows = await query('select * from bench_plain_contacts where id = $1', [id]);
  if (!rows[0]) return reply.status(404).send({ title: 'no such contact' });
  await logRead(id);
  return toContact(rows[0]);
});

app.get('/api/v1/contacts', async (request) => {
  const q = request.query as { limit?: string; cursor?: string; email?: string; q?: string };
  const limit = Math.min(Math.max(Number(q.limit ?? 50) || 50, 1), 200);
  const where: string[] = [];
  const params: unknown[] = [];
  if (q.cursor) where.push(`id > $${params.push(q.cursor)}`);
  if (q.email) where.push(`lower(email) = lower($${params.push(q.email.trim())})`);
  if (q.q) {
    const p = params.push(`${q.q.trim().toLowerCase()}%`);
    where.push(`(lower(first_name) like $${p} or lower(last_name) like $${p})`);
  }
  const rows = await query(
    `select * from bench_plain_contacts ${where.length ? `where ${where.join(' and ')}` : ''} order by id limit ${limit + 1}`,
    params,
  );
  const page = rows.slice(0, limit);
  return { items: page.map(toContact), nextCursor: rows.length > limit ? page[page.length - 1]!.id : null };
});

const url = await app.listen({ host: '127.0.0.1', port: 0 });
serveParent(url, async () => {
  await app.close();
  await close();
});
