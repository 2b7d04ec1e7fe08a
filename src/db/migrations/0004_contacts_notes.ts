import { sql, type Kysely } from 'kysely';

// The first CRM records: contacts (people, so every personal field is
// ciphertext under the contact's subject key) and notes on them.

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('contacts')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull())
    .addColumn('id', 'uuid', (c) => c.notNull())
    .addColumn('subject_id', 'uuid', (c) => c.notNull())
    .addColumn('owner_id', 'uuid', (c) => c.notNull())
    .addColumn('first_name_enc', 'bytea', (c) => c.notNull())
    .addColumn('last_name_enc', 'bytea', (c) => c.notNull())
    .addColumn('emails_enc', 'bytea', (c) => c.notNull())
    .addColumn('phones_enc', 'bytea', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('deleted_at', 'timestamptz')
    .addPrimaryKeyConstraint('contacts_pkey', ['tenant_id', 'id'])
    .addForeignKeyConstraint('contacts_subject_fkey', ['tenant_id', 'subject_id'], 'subjects', ['tenant_id', 'id'])
    .addForeignKeyConstraint('contacts_owner_fkey', ['tenant_id', 'owner_id'], 'users', ['tenant_id', 'id'])
    .execute();

  await db.schema
    .createTable('notes')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull())
    .addColumn('id', 'uuid', (c) => c.notNull())
    .addColumn('contact_id', 'uuid', (c) => c.notNull())
    .addColumn('subject_id', 'uuid', (c) => c.notNull())
    .addColumn('author_id', 'uuid', (c) => c.notNull())
    .addColumn('body_enc', 'bytea', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('deleted_at', 'timestamptz')
    .addPrimaryKeyConstraint('notes_pkey', ['tenant_id', 'id'])
    .addForeignKeyConstraint('notes_contact_fkey', ['tenant_id', 'contact_id'], 'contacts', ['tenant_id', 'id'])
    .execute();
  await db.schema.createIndex('notes_contact_idx').on('notes').columns(['tenant_id', 'contact_id', 'id']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('notes').execute();
  await db.schema.dropTable('contacts').execute();
}
