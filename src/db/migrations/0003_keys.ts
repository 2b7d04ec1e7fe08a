import { sql, type Kysely } from 'kysely';

// The key hierarchy (instance key, tenant keys, per-subject keys) lives in its
// own tables, so backups can hold key material apart from data, and erasing a
// subject or a tenant is a matter of destroying rows here.

export async function up(db: Kysely<unknown>): Promise<void> {
  // One row: a random instance key wrapped by the master key. Unwrapping it at
  // start proves the configured master key is the one the data was made with.
  await db.schema
    .createTable('instance_keys')
    .addColumn('id', 'integer', (c) => c.primaryKey().check(sql`id = 1`))
    .addColumn('wrapped_key', 'bytea', (c) => c.notNull())
    .addColumn('master_key_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('tenant_keys')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id'))
    .addColumn('version', 'integer', (c) => c.notNull())
    // null once destroyed: the tenant's data is then unreadable for good.
    .addColumn('wrapped_key', 'bytea')
    .addColumn('master_key_id', 'text')
    .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('active', 'retiring', 'retired', 'destroyed')`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('destroyed_at', 'timestamptz')
    .addPrimaryKeyConstraint('tenant_keys_pkey', ['tenant_id', 'version'])
    .addCheckConstraint('tenant_keys_destroyed_has_no_key', sql`(state = 'destroyed') = (wrapped_key is null)`)
    .execute();
  await sql`create unique index tenant_keys_one_active on tenant_keys (tenant_id) where state = 'active'`.execute(db);

  await db.schema
    .createTable('subjects')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id'))
    .addColumn('id', 'uuid', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('user', 'person')`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('erased_at', 'timestamptz')
    .addPrimaryKeyConstraint('subjects_pkey', ['tenant_id', 'id'])
    .execute();

  await db.schema
    .createTable('subject_keys')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull())
    .addColumn('subject_id', 'uuid', (c) => c.notNull())
    .addColumn('key_version', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('wrapped_key', 'bytea', (c) => c.notNull())
    .addColumn('tenant_key_version', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('subject_keys_pkey', ['tenant_id', 'subject_id'])
    .addForeignKeyConstraint('subject_keys_subject_fkey', ['tenant_id', 'subject_id'], 'subjects', ['tenant_id', 'id'])
    .execute();

  await db.schema
    .createTable('blind_index_terms')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull())
    .addColumn('index_name', 'text', (c) => c.notNull())
    .addColumn('key_version', 'integer', (c) => c.notNull())
    .addColumn('term', 'integer', (c) => c.notNull())
    .addColumn('record_table', 'text', (c) => c.notNull())
    .addColumn('record_id', 'uuid', (c) => c.notNull())
    .addColumn('subject_id', 'uuid', (c) => c.notNull())
    .addPrimaryKeyConstraint('blind_index_terms_pkey', ['tenant_id', 'index_name', 'key_version', 'term', 'record_table', 'record_id'])
    .execute();
  await db.schema
    .createIndex('blind_index_terms_record_idx')
    .on('blind_index_terms')
    .columns(['tenant_id', 'record_table', 'record_id'])
    .execute();
  await db.schema.createIndex('blind_index_terms_subject_idx').on('blind_index_terms').columns(['tenant_id', 'subject_id']).execute();

  await db.schema
    .createTable('key_rotations')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('master', 'tenant')`))
    .addColumn('tenant_id', 'uuid')
    .addColumn('from_version', 'integer')
    .addColumn('to_version', 'integer')
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('running', 'done')`))
    .addColumn('phase', 'text', (c) => c.notNull())
    .addColumn('cursor', 'text')
    .addColumn('processed', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('started_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('finished_at', 'timestamptz')
    .execute();

  // Users are people too: name and e-mail move into ciphertext under the
  // user's own subject key, found by a blind index. The plaintext columns
  // stay nullable until start-up has moved existing rows (keys.service).
  await sql`drop index users_tenant_email_key`.execute(db);
  await db.schema
    .alterTable('users')
    .addColumn('subject_id', 'uuid')
    .addColumn('name_enc', 'bytea')
    .addColumn('email_enc', 'bytea')
    .execute();
  await sql`alter table users alter column email drop not null, alter column name drop not null`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('users').dropColumn('subject_id').dropColumn('name_enc').dropColumn('email_enc').execute();
  for (const table of ['key_rotations', 'blind_index_terms', 'subject_keys', 'subjects', 'tenant_keys', 'instance_keys']) {
    await db.schema.dropTable(table).execute();
  }
}
