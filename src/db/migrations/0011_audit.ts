import { sql, type Kysely } from 'kysely';

// The tamper-evident audit trail. Entries are inserted unsealed (seq null),
// by many writers at once; a sealer, one per tenant at a time, gives them
// contiguous positions and chain hashes and signs the head in audit_heads.
// Personal values sit in values_enc, encrypted under the subject's key.

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('audit_entries')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id'))
    .addColumn('id', 'uuid', (c) => c.notNull())
    .addColumn('seq', 'bigint')
    .addColumn('at', 'timestamptz', (c) => c.notNull())
    .addColumn('actor_kind', 'text', (c) => c.notNull().check(sql`actor_kind in ('user', 'token', 'system', 'subject', 'anonymous')`))
    .addColumn('actor_user_id', 'uuid')
    .addColumn('actor_token_id', 'uuid')
    .addColumn('actor_label', 'text')
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('entity', 'text')
    .addColumn('entity_id', 'uuid')
    .addColumn('subject_ids', sql`uuid[]`, (c) => c.notNull().defaultTo(sql`'{}'::uuid[]`))
    .addColumn('fields', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'::text[]`))
    .addColumn('request_id', 'text')
    .addColumn('ip', 'text')
    .addColumn('user_agent', 'text')
    // Canonical JSON text, stored exactly as it was hashed.
    .addColumn('details', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('values_subject_id', 'uuid')
    .addColumn('values_enc', 'bytea')
    .addColumn('mac', 'bytea')
    .addColumn('prev_id', 'uuid')
    .addColumn('chain_hash', 'bytea')
    .addColumn('rejected_at', 'timestamptz')
    .addPrimaryKeyConstraint('audit_entries_pkey', ['tenant_id', 'id'])
    .addUniqueConstraint('audit_entries_seq_key', ['tenant_id', 'seq'])
    .execute();
  await sql`create index audit_entries_pending_idx on audit_entries (tenant_id, at, id) where seq is null and rejected_at is null`.execute(
    db,
  );
  await sql`create index audit_entries_at_idx on audit_entries (tenant_id, at desc, id desc)`.execute(db);
  await sql`create index audit_entries_subjects_idx on audit_entries using gin (subject_ids)`.execute(db);
  await sql`create index audit_entries_entity_idx on audit_entries (tenant_id, entity, entity_id, at desc)`.execute(db);
  await sql`create index audit_entries_actor_idx on audit_entries (tenant_id, actor_user_id, at desc)`.execute(db);

  await db.schema
    .createTable('audit_heads')
    .addColumn('tenant_id', 'uuid', (c) => c.primaryKey().references('tenants.id'))
    .addColumn('size', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('head_hash', 'bytea', (c) => c.notNull())
    .addColumn('last_id', 'uuid')
    .addColumn('signature', 'bytea')
    .addColumn('signed_at', 'timestamptz')
    // Entries up to anchor_seq were archived; the chain continues from anchor_hash.
    .addColumn('anchor_seq', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('anchor_hash', 'bytea', (c) => c.notNull())
    .addColumn('anchor_id', 'uuid')
    .addColumn('anchor_signature', 'bytea')
    .addColumn('archived_at', 'timestamptz')
    .addColumn('retention_days', 'integer', (c) =>
      c
        .notNull()
        .defaultTo(2192)
        .check(sql`retention_days between 30 and 36525`),
    )
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('audit_heads').execute();
  await db.schema.dropTable('audit_entries').execute();
}
