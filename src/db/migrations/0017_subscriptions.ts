import { sql, type Kysely } from 'kysely';

// Issue 16: public double opt-in.
//
// A sign-up waits in `consent_signups` until its person confirms it through
// the mailed link. The person has no subject (and so no key) yet: the address
// and first name are sealed under a key derived from the tenant's key (its
// version kept beside them), bound to the row and column, and blanked once
// the sign-up is confirmed. Only the SHA-256 of the link's token is stored.
// Unconfirmed rows are deleted after 30 days, confirmed ones when their link
// expires (privacy/public/purge-job.ts).
//
// `subscription_throttles` counts sign-ups per IP address and per e-mail
// address in fixed one-hour windows, keyed by HMAC digests (never the values),
// in the database so that several app nodes agree.

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('consent_signups')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id'))
    .addColumn('id', 'uuid', (c) => c.notNull())
    .addColumn('purpose_id', 'uuid', (c) => c.notNull())
    /** The notice shown when the person signed up: the one the confirmation records. */
    .addColumn('notice_id', 'uuid', (c) => c.notNull())
    .addColumn('language', 'text', (c) => c.notNull())
    .addColumn('key_version', 'integer', (c) => c.notNull())
    .addColumn('email_enc', 'bytea')
    .addColumn('first_name_enc', 'bytea')
    .addColumn('token_hash', 'bytea', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('confirmed_at', 'timestamptz')
    .addPrimaryKeyConstraint('consent_signups_pkey', ['tenant_id', 'id'])
    .addForeignKeyConstraint('consent_signups_purpose_fkey', ['tenant_id', 'purpose_id'], 'purposes', ['tenant_id', 'id'])
    .addForeignKeyConstraint('consent_signups_notice_fkey', ['tenant_id', 'notice_id'], 'privacy_notices', ['tenant_id', 'id'])
    .addCheckConstraint('consent_signups_language', sql`language in ('en', 'nl')`)
    .addCheckConstraint('consent_signups_sealed', sql`(confirmed_at is not null) or (email_enc is not null)`)
    .execute();
  await sql`create unique index consent_signups_token_key on consent_signups (token_hash)`.execute(db);
  await sql`create index consent_signups_created_idx on consent_signups (created_at) where confirmed_at is null`.execute(db);
  await sql`create index consent_signups_expires_idx on consent_signups (expires_at) where confirmed_at is not null`.execute(db);

  await db.schema
    .createTable('subscription_throttles')
    .addColumn('key', 'bytea', (c) => c.primaryKey())
    .addColumn('window_start', 'timestamptz', (c) => c.notNull())
    .addColumn('count', 'integer', (c) => c.notNull())
    .execute();
  await sql`create index subscription_throttles_window_idx on subscription_throttles (window_start)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('subscription_throttles').execute();
  await db.schema.dropTable('consent_signups').execute();
}
