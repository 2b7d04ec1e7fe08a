import { sql, type Kysely } from 'kysely';

// Issue 17: the public request form and the access package.
//
// A request filed on the public form waits in `public_request_links` until
// its person proves control of the address through the mailed link. As with
// double opt-in (0017), the address is sealed under a key derived from the
// tenant's key (its version kept beside it) and bound to row and column, only
// the SHA-256 of the link's token is stored, and the address is blanked once
// the link is used (the case holds it from then on, sealed). Rows are deleted
// 30 days after they were made.
//
// A case's history gets one more step: `exported`, the delivery of an access package.

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('public_request_links')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id'))
    .addColumn('id', 'uuid', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('language', 'text', (c) => c.notNull())
    .addColumn('key_version', 'integer', (c) => c.notNull())
    .addColumn('email_enc', 'bytea')
    .addColumn('token_hash', 'bytea', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('used_at', 'timestamptz')
    .addColumn('request_id', 'uuid')
    .addPrimaryKeyConstraint('public_request_links_pkey', ['tenant_id', 'id'])
    .addCheckConstraint(
      'public_request_links_type',
      sql`type in ('access', 'rectification', 'erasure', 'restriction', 'objection', 'portability')`,
    )
    .addCheckConstraint('public_request_links_language', sql`language in ('en', 'nl')`)
    .addCheckConstraint('public_request_links_sealed', sql`(used_at is not null) or (email_enc is not null)`)
    .execute();
  await sql`create unique index public_request_links_token_key on public_request_links (token_hash)`.execute(db);
  await sql`create index public_request_links_created_idx on public_request_links (created_at)`.execute(db);

  await sql`alter table privacy_request_steps drop constraint privacy_request_steps_action`.execute(db);
  await sql`alter table privacy_request_steps add constraint privacy_request_steps_action check (action in ('received', 'verified', 'started', 'extended', 'completed', 'refused', 'assigned', 'noted', 'reminded', 'exported'))`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`delete from privacy_request_steps where action = 'exported'`.execute(db);
  await sql`alter table privacy_request_steps drop constraint privacy_request_steps_action`.execute(db);
  await sql`alter table privacy_request_steps add constraint privacy_request_steps_action check (action in ('received', 'verified', 'started', 'extended', 'completed', 'refused', 'assigned', 'noted', 'reminded'))`.execute(
    db,
  );
  await db.schema.dropTable('public_request_links').execute();
}
