import { sql, type Kysely } from 'kysely';

// Issue 16: purposes with their lawful basis, versioned privacy notices and
// the consent ledger.
//
// Purposes and notices are the tenant's own descriptions of what it does, not
// personal data: plain columns. The ledger is about people: it is keyed by
// the person's subject (a lead and the contact it becomes share one, so
// conversion carries consents over without touching an event), and what the
// person's own device told us (IP address, user agent) is sealed under the
// subject's key like every personal field, so erasure reaches it.
//
// The ledger is append-only in the database itself: a trigger refuses every
// UPDATE, and a DELETE unless the transaction declared itself an erasure or a
// tenant purge (`set local custodia.ledger_delete = 'erase'`), which only the
// erasure and purge paths do.

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('purposes')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id'))
    .addColumn('id', 'uuid', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('lawful_basis', 'text', (c) => c.notNull())
    .addColumn('data_categories', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('retention_days', 'integer', (c) => c.notNull())
    .addColumn('recipients', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('transfers', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('marketing', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('active'))
    .addColumn('lia', 'jsonb')
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_by', 'uuid')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('purposes_pkey', ['tenant_id', 'id'])
    .addCheckConstraint(
      'purposes_lawful_basis',
      sql`lawful_basis in ('consent', 'contract', 'legal_obligation', 'vital_interests', 'public_task', 'legitimate_interests')`,
    )
    .addCheckConstraint('purposes_status', sql`status in ('active', 'retired')`)
    .addCheckConstraint('purposes_retention', sql`retention_days > 0`)
    .execute();
  await sql`create unique index purposes_name_key on purposes (tenant_id, lower(name))`.execute(db);

  await db.schema
    .createTable('privacy_notices')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull())
    .addColumn('id', 'uuid', (c) => c.notNull())
    .addColumn('purpose_id', 'uuid', (c) => c.notNull())
    .addColumn('language', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('text', 'text', (c) => c.notNull())
    /** Hex SHA-256 of the UTF-8 text exactly as shown: what consent events point to. */
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('created_by', 'uuid')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('privacy_notices_pkey', ['tenant_id', 'id'])
    .addForeignKeyConstraint('privacy_notices_purpose_fkey', ['tenant_id', 'purpose_id'], 'purposes', ['tenant_id', 'id'])
    .addUniqueConstraint('privacy_notices_version_key', ['tenant_id', 'purpose_id', 'language', 'version'])
    .addCheckConstraint('privacy_notices_language', sql`language in ('en', 'nl')`)
    .execute();

  await db.schema
    .createTable('consent_events')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull())
    .addColumn('id', 'uuid', (c) => c.notNull())
    /** Insertion order: the ledger's order when two events share a timestamp. */
    .addColumn('seq', 'bigserial', (c) => c.notNull())
    .addColumn('subject_id', 'uuid', (c) => c.notNull())
    /** Where the event was recorded: the contact or lead it was shown on. */
    .addColumn('person_table', 'text', (c) => c.notNull())
    .addColumn('person_id', 'uuid', (c) => c.notNull())
    /** Null only for an objection to direct marketing, which covers every marketing purpose. */
    .addColumn('purpose_id', 'uuid')
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('notice_id', 'uuid')
    .addColumn('notice_hash', 'text')
    .addColumn('ip_enc', 'bytea')
    .addColumn('user_agent_enc', 'bytea')
    .addColumn('actor_user_id', 'uuid')
    .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('consent_events_pkey', ['tenant_id', 'id'])
    .addForeignKeyConstraint('consent_events_purpose_fkey', ['tenant_id', 'purpose_id'], 'purposes', ['tenant_id', 'id'])
    .addCheckConstraint('consent_events_person_table', sql`person_table in ('contacts', 'leads')`)
    .addCheckConstraint('consent_events_action', sql`action in ('grant', 'withdraw', 'confirm', 'object')`)
    .addCheckConstraint('consent_events_source', sql`source in ('form', 'double_opt_in', 'import', 'api', 'staff')`)
    .addCheckConstraint('consent_events_purpose', sql`(purpose_id is null) = (action = 'object')`)
    .execute();
  await sql`create index consent_events_subject_idx on consent_events (tenant_id, subject_id, seq)`.execute(db);
  await sql`create index consent_events_purpose_idx on consent_events (tenant_id, purpose_id, subject_id, seq)`.execute(db);

  await sql`
    create function consent_events_append_only() returns trigger language plpgsql as $$
    begin
      if tg_op = 'DELETE' and current_setting('custodia.ledger_delete', true) = 'erase' then
        return old;
      end if;
      raise exception 'consent_events is append-only: % refused', tg_op using errcode = 'P0001';
    end
    $$`.execute(db);
  await sql`
    create trigger consent_events_append_only before update or delete on consent_events
    for each row execute function consent_events_append_only()`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop trigger consent_events_append_only on consent_events`.execute(db);
  await sql`drop function consent_events_append_only()`.execute(db);
  await db.schema.dropTable('consent_events').execute();
  await db.schema.dropTable('privacy_notices').execute();
  await db.schema.dropTable('purposes').execute();
}
