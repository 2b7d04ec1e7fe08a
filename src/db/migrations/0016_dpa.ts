import { sql, type Kysely } from 'kysely';

// Issue 16: the data processing agreement (Art. 28 GDPR).
//
// `dpa_versions` is operator-wide, like `tenants`: the operator (the
// processor) publishes a versioned text per language with its list of
// sub-processors; a text is never edited, a change is a new version.
// `dpa_acceptances` is the tenant's: who accepted which text (by its SHA-256)
// when and from where. The signer's name and title and the IP address are
// personal data, sealed under the tenant's records subject (they belong to
// the tenant's contract file, not to one person's record).

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('dpa_versions')
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('language', 'text', (c) => c.notNull())
    .addColumn('text', 'text', (c) => c.notNull())
    /** Hex SHA-256 of the UTF-8 text exactly as shown. */
    .addColumn('sha256', 'text', (c) => c.notNull())
    /** [{ name, service, location }] */
    .addColumn('sub_processors', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('published_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('dpa_versions_pkey', ['version', 'language'])
    .addCheckConstraint('dpa_versions_language', sql`language in ('en', 'nl')`)
    .execute();

  await db.schema
    .createTable('dpa_acceptances')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id'))
    .addColumn('id', 'uuid', (c) => c.notNull())
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('language', 'text', (c) => c.notNull())
    .addColumn('text_sha256', 'text', (c) => c.notNull())
    .addColumn('user_id', 'uuid', (c) => c.notNull())
    /** The subject whose key seals name, title and IP address (the tenant's records subject). */
    .addColumn('subject_id', 'uuid', (c) => c.notNull())
    .addColumn('name_enc', 'bytea', (c) => c.notNull())
    .addColumn('title_enc', 'bytea', (c) => c.notNull())
    .addColumn('ip_enc', 'bytea')
    .addColumn('accepted_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('dpa_acceptances_pkey', ['tenant_id', 'id'])
    .addForeignKeyConstraint('dpa_acceptances_version_fkey', ['version', 'language'], 'dpa_versions', ['version', 'language'])
    .execute();
  await sql`create index dpa_acceptances_tenant_idx on dpa_acceptances (tenant_id, accepted_at)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('dpa_acceptances').execute();
  await db.schema.dropTable('dpa_versions').execute();
}
