import { sql, type Kysely } from 'kysely';

// Issue 19: files attached to a record, with every version. The content of a
// version lives in the blob store (encrypted in chunks under the subject's
// key); the database keeps what is needed to find, check and list it. A file's
// name and a version's checksum are personal (a name says who, a checksum of
// a small file can be guessed): both sealed under the file's subject key.
//
// subject_id: the person's subject for a file on a contact or lead, the
// activity's own subject for a file on an activity (the person's when the
// activity is about one), else the tenant's records subject.
//
// A file goes with its record: when the record is deleted for good (recycle
// bin purge, erasure, tenant purge) its files' rows cascade away, and the
// orphan job deletes their blobs (every version was sealed under a key that
// erasure shreds first, so the bytes are unreadable before they are gone).

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('files')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id'))
    .addColumn('id', 'uuid', (c) => c.notNull())
    .addColumn('subject_id', 'uuid', (c) => c.notNull())
    .addColumn('contact_id', 'uuid')
    .addColumn('lead_id', 'uuid')
    .addColumn('organization_id', 'uuid')
    .addColumn('deal_id', 'uuid')
    .addColumn('activity_id', 'uuid')
    .addColumn('name_enc', 'bytea', (c) => c.notNull())
    .addColumn('content_type', 'text', (c) => c.notNull())
    .addColumn('current_version', 'integer', (c) => c.notNull().defaultTo(1))
    // The current version's size, so lists need no join.
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('created_by', 'uuid')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('deleted_at', 'timestamptz')
    .addPrimaryKeyConstraint('files_pkey', ['tenant_id', 'id'])
    .addForeignKeyConstraint('files_subject_fkey', ['tenant_id', 'subject_id'], 'subjects', ['tenant_id', 'id'])
    .addForeignKeyConstraint('files_contact_fkey', ['tenant_id', 'contact_id'], 'contacts', ['tenant_id', 'id'], (c) =>
      c.onDelete('cascade'),
    )
    .addForeignKeyConstraint('files_lead_fkey', ['tenant_id', 'lead_id'], 'leads', ['tenant_id', 'id'], (c) => c.onDelete('cascade'))
    .addForeignKeyConstraint('files_organization_fkey', ['tenant_id', 'organization_id'], 'organizations', ['tenant_id', 'id'], (c) =>
      c.onDelete('cascade'),
    )
    .addForeignKeyConstraint('files_deal_fkey', ['tenant_id', 'deal_id'], 'deals', ['tenant_id', 'id'], (c) => c.onDelete('cascade'))
    .addForeignKeyConstraint('files_activity_fkey', ['tenant_id', 'activity_id'], 'activities', ['tenant_id', 'id'], (c) =>
      c.onDelete('cascade'),
    )
    .addCheckConstraint('files_one_parent', sql`num_nonnulls(contact_id, lead_id, organization_id, deal_id, activity_id) = 1`)
    .execute();
  for (const parent of ['contact', 'lead', 'organization', 'deal', 'activity']) {
    await sql`create index ${sql.raw(`files_${parent}_idx`)} on files (tenant_id, ${sql.raw(`${parent}_id`)}, id) where ${sql.raw(
      `${parent}_id`,
    )} is not null`.execute(db);
  }
  await sql`create index files_subject_idx on files (tenant_id, subject_id)`.execute(db);

  await db.schema
    .createTable('file_versions')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull())
    .addColumn('file_id', 'uuid', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    // Null once the version has expired (its blob is deleted; the row stays as history).
    .addColumn('blob_key', 'text')
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('sha256_enc', 'bytea', (c) => c.notNull())
    .addColumn('content_type', 'text', (c) => c.notNull())
    .addColumn('restored_from', 'integer')
    .addColumn('created_by', 'uuid')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('expired_at', 'timestamptz')
    .addPrimaryKeyConstraint('file_versions_pkey', ['tenant_id', 'file_id', 'version'])
    .addForeignKeyConstraint('file_versions_file_fkey', ['tenant_id', 'file_id'], 'files', ['tenant_id', 'id'], (c) =>
      c.onDelete('cascade'),
    )
    .addCheckConstraint('file_versions_expired', sql`(expired_at is null) = (blob_key is not null)`)
    .execute();
  await sql`create unique index file_versions_blob_idx on file_versions (tenant_id, blob_key) where blob_key is not null`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('file_versions').execute();
  await db.schema.dropTable('files').execute();
}
