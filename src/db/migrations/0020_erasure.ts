import { sql, type Kysely } from 'kysely';

// Issue 17: erasure leaves a suppression entry per e-mail address and phone
// number of the erased person — a keyed hash (HMAC-SHA-256 under a key derived
// from the instance key, bound to the tenant), never the value — that every way
// a person comes in consults, so an erased person cannot come back by import,
// form or API. The full 32-byte MAC, not a truncated blind-index term: a
// suppression must not refuse someone else by collision.

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('suppressions')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id'))
    .addColumn('hash', 'bytea', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('suppressions_pkey', ['tenant_id', 'hash'])
    .addCheckConstraint('suppressions_kind', sql`kind in ('email', 'phone')`)
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('suppressions').execute();
}
