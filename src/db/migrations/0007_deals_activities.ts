import { sql, type Kysely } from 'kysely';

// Deals in configurable pipelines, activities (tasks, calls, meetings) and
// logged e-mail messages. Money is integer minor units in a bigint, never a
// float. Free text that may name a person (activity descriptions, every part
// of a logged e-mail) is ciphertext under a subject key: the linked person's,
// or the tenant's 'records' subject when no person is linked.

export async function up(db: Kysely<unknown>): Promise<void> {
  // Pipelines are removed softly: deal stage history keeps pointing at them.
  await db.schema
    .createTable('pipelines')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id'))
    .addColumn('id', 'uuid', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('position', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('is_default', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('deleted_at', 'timestamptz')
    .addPrimaryKeyConstraint('pipelines_pkey', ['tenant_id', 'id'])
    .addCheckConstraint('pipelines_default_is_live', sql`not (is_default and deleted_at is not null)`)
    .execute();
  // Exactly one default per tenant; `insert … on conflict do nothing` on this
  // index lets concurrent first requests agree on the one they create.
  await sql`create unique index pipelines_one_default on pipelines (tenant_id) where is_default`.execute(db);
  await sql`create index pipelines_position_idx on pipelines (tenant_id, position, id) where deleted_at is null`.execute(db);

  await db.schema
    .createTable('pipeline_stages')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull())
    .addColumn('id', 'uuid', (c) => c.notNull())
    .addColumn('pipeline_id', 'uuid', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('probability', 'integer', (c) => c.notNull().check(sql`probability between 0 and 100`))
    .addColumn('kind', 'text', (c) =>
      c
        .notNull()
        .defaultTo('open')
        .check(sql`kind in ('open', 'won', 'lost')`),
    )
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('deleted_at', 'timestamptz')
    .addPrimaryKeyConstraint('pipeline_stages_pkey', ['tenant_id', 'id'])
    // The target of deals' (pipeline, stage) key: a deal's stage is one of its pipeline's.
    .addUniqueConstraint('pipeline_stages_pipeline_key', ['tenant_id', 'pipeline_id', 'id'])
    .addForeignKeyConstraint('pipeline_stages_pipeline_fkey', ['tenant_id', 'pipeline_id'], 'pipelines', ['tenant_id', 'id'])
    .execute();
  await sql`create index pipeline_stages_position_idx on pipeline_stages (tenant_id, pipeline_id, position) where deleted_at is null`.execute(
    db,
  );

  await db.schema
    .createTable('deals')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull())
    .addColumn('id', 'uuid', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('amount_minor', 'bigint', (c) =>
      c
        .notNull()
        .defaultTo(0)
        .check(sql`amount_minor >= 0`),
    )
    .addColumn('currency', sql`char(3)`, (c) => c.notNull().check(sql`currency ~ '^[A-Z]{3}$'`))
    .addColumn('expected_close_date', 'date')
    .addColumn('organization_id', 'uuid')
    .addColumn('pipeline_id', 'uuid', (c) => c.notNull())
    .addColumn('stage_id', 'uuid', (c) => c.notNull())
    .addColumn('owner_id', 'uuid', (c) => c.notNull())
    .addColumn('status', 'text', (c) =>
      c
        .notNull()
        .defaultTo('open')
        .check(sql`status in ('open', 'won', 'lost')`),
    )
    .addColumn('lost_reason', 'text')
    .addColumn('closed_at', 'timestamptz')
    .addColumn('custom', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('deleted_at', 'timestamptz')
    .addPrimaryKeyConstraint('deals_pkey', ['tenant_id', 'id'])
    .addForeignKeyConstraint('deals_organization_fkey', ['tenant_id', 'organization_id'], 'organizations', ['tenant_id', 'id'])
    .addForeignKeyConstraint('deals_pipeline_fkey', ['tenant_id', 'pipeline_id'], 'pipelines', ['tenant_id', 'id'])
    .addForeignKeyConstraint('deals_stage_fkey', ['tenant_id', 'pipeline_id', 'stage_id'], 'pipeline_stages', [
      'tenant_id',
      'pipeline_id',
      'id',
    ])
    .addForeignKeyConstraint('deals_owner_fkey', ['tenant_id', 'owner_id'], 'users', ['tenant_id', 'id'])
    .addCheckConstraint('deals_closed_has_date', sql`(status = 'open') = (closed_at is null)`)
    .execute();
  // Keyset pagination: every sort is (column, id) within the tenant.
  await sql`create index deals_created_idx on deals (tenant_id, created_at, id)`.execute(db);
  await sql`create index deals_updated_idx on deals (tenant_id, updated_at, id)`.execute(db);
  await sql`create index deals_amount_idx on deals (tenant_id, amount_minor, id)`.execute(db);
  await sql`create index deals_close_date_idx on deals (tenant_id, expected_close_date, id)`.execute(db);
  await sql`create index deals_title_idx on deals (tenant_id, lower(title), id)`.execute(db);
  await sql`create index deals_owner_idx on deals (tenant_id, owner_id, id)`.execute(db);
  await sql`create index deals_stage_idx on deals (tenant_id, pipeline_id, stage_id, id)`.execute(db);
  await sql`create index deals_status_idx on deals (tenant_id, status, id)`.execute(db);
  await sql`create index deals_organization_idx on deals (tenant_id, organization_id, id) where organization_id is not null`.execute(db);
  await sql`create index deals_deleted_idx on deals (tenant_id, deleted_at) where deleted_at is not null`.execute(db);

  await db.schema
    .createTable('deal_contacts')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull())
    .addColumn('deal_id', 'uuid', (c) => c.notNull())
    .addColumn('contact_id', 'uuid', (c) => c.notNull())
    .addPrimaryKeyConstraint('deal_contacts_pkey', ['tenant_id', 'deal_id', 'contact_id'])
    .addForeignKeyConstraint('deal_contacts_deal_fkey', ['tenant_id', 'deal_id'], 'deals', ['tenant_id', 'id'], (fk) =>
      fk.onDelete('cascade'),
    )
    .addForeignKeyConstraint('deal_contacts_contact_fkey', ['tenant_id', 'contact_id'], 'contacts', ['tenant_id', 'id'], (fk) =>
      fk.onDelete('cascade'),
    )
    .execute();
  await sql`create index deal_contacts_contact_idx on deal_contacts (tenant_id, contact_id, deal_id)`.execute(db);

  await db.schema
    .createTable('deal_stage_history')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull())
    .addColumn('id', 'uuid', (c) => c.notNull())
    .addColumn('deal_id', 'uuid', (c) => c.notNull())
    .addColumn('from_stage_id', 'uuid')
    .addColumn('to_stage_id', 'uuid', (c) => c.notNull())
    .addColumn('changed_by', 'uuid', (c) => c.notNull())
    .addColumn('changed_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('deal_stage_history_pkey', ['tenant_id', 'id'])
    .addForeignKeyConstraint('deal_stage_history_deal_fkey', ['tenant_id', 'deal_id'], 'deals', ['tenant_id', 'id'], (fk) =>
      fk.onDelete('cascade'),
    )
    .addForeignKeyConstraint('deal_stage_history_from_fkey', ['tenant_id', 'from_stage_id'], 'pipeline_stages', ['tenant_id', 'id'])
    .addForeignKeyConstraint('deal_stage_history_to_fkey', ['tenant_id', 'to_stage_id'], 'pipeline_stages', ['tenant_id', 'id'])
    .addForeignKeyConstraint('deal_stage_history_user_fkey', ['tenant_id', 'changed_by'], 'users', ['tenant_id', 'id'])
    .execute();
  await sql`create index deal_stage_history_deal_idx on deal_stage_history (tenant_id, deal_id, id)`.execute(db);

  // The links 0006 left open until deals existed.
  await sql`alter table notes add constraint notes_deal_fkey foreign key (tenant_id, deal_id) references deals (tenant_id, id)`.execute(db);
  await sql`alter table leads add constraint leads_deal_fkey foreign key (tenant_id, converted_deal_id) references deals (tenant_id, id)`.execute(
    db,
  );

  await db.schema
    .createTable('activities')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull())
    .addColumn('id', 'uuid', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull().check(sql`type in ('task', 'call', 'meeting')`))
    .addColumn('subject', 'text', (c) => c.notNull())
    // The subject whose key seals the description: the linked person's, else the tenant's 'records' subject.
    .addColumn('subject_id', 'uuid', (c) => c.notNull())
    .addColumn('description_enc', 'bytea')
    .addColumn('due_at', 'timestamptz')
    .addColumn('start_at', 'timestamptz')
    .addColumn('end_at', 'timestamptz')
    .addColumn('done', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('done_at', 'timestamptz')
    .addColumn('assignee_id', 'uuid', (c) => c.notNull())
    .addColumn('owner_id', 'uuid', (c) => c.notNull())
    .addColumn('contact_id', 'uuid')
    .addColumn('lead_id', 'uuid')
    .addColumn('organization_id', 'uuid')
    .addColumn('deal_id', 'uuid')
    .addColumn('custom', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('deleted_at', 'timestamptz')
    .addPrimaryKeyConstraint('activities_pkey', ['tenant_id', 'id'])
    .addForeignKeyConstraint('activities_subject_fkey', ['tenant_id', 'subject_id'], 'subjects', ['tenant_id', 'id'])
    .addForeignKeyConstraint('activities_assignee_fkey', ['tenant_id', 'assignee_id'], 'users', ['tenant_id', 'id'])
    .addForeignKeyConstraint('activities_owner_fkey', ['tenant_id', 'owner_id'], 'users', ['tenant_id', 'id'])
    .addForeignKeyConstraint('activities_contact_fkey', ['tenant_id', 'contact_id'], 'contacts', ['tenant_id', 'id'])
    .addForeignKeyConstraint('activities_lead_fkey', ['tenant_id', 'lead_id'], 'leads', ['tenant_id', 'id'])
    .addForeignKeyConstraint('activities_organization_fkey', ['tenant_id', 'organization_id'], 'organizations', ['tenant_id', 'id'])
    .addForeignKeyConstraint('activities_deal_fkey', ['tenant_id', 'deal_id'], 'deals', ['tenant_id', 'id'])
    .addCheckConstraint('activities_done_has_date', sql`done = (done_at is not null)`)
    .addCheckConstraint('activities_ends_after_start', sql`end_at is null or start_at is null or end_at >= start_at`)
    .execute();
  // "My open tasks" and overdue: the assignee's undone activities by due date.
  await sql`create index activities_assignee_open_idx on activities (tenant_id, assignee_id, due_at, id) where not done and deleted_at is null`.execute(
    db,
  );
  await sql`create index activities_due_idx on activities (tenant_id, due_at, id)`.execute(db);
  await sql`create index activities_created_idx on activities (tenant_id, created_at, id)`.execute(db);
  await sql`create index activities_contact_idx on activities (tenant_id, contact_id, id) where contact_id is not null`.execute(db);
  await sql`create index activities_lead_idx on activities (tenant_id, lead_id, id) where lead_id is not null`.execute(db);
  await sql`create index activities_organization_idx on activities (tenant_id, organization_id, id) where organization_id is not null`.execute(
    db,
  );
  await sql`create index activities_deal_idx on activities (tenant_id, deal_id, id) where deal_id is not null`.execute(db);
  await sql`create index activities_deleted_idx on activities (tenant_id, deleted_at) where deleted_at is not null`.execute(db);

  // Logged mails are a record of what was said: never edited, only deleted.
  await db.schema
    .createTable('email_messages')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull())
    .addColumn('id', 'uuid', (c) => c.notNull())
    .addColumn('direction', 'text', (c) => c.notNull().check(sql`direction in ('inbound', 'outbound')`))
    .addColumn('subject_id', 'uuid', (c) => c.notNull())
    .addColumn('from_enc', 'bytea', (c) => c.notNull())
    .addColumn('to_enc', 'bytea', (c) => c.notNull())
    .addColumn('subject_enc', 'bytea', (c) => c.notNull())
    .addColumn('body_enc', 'bytea', (c) => c.notNull())
    .addColumn('sent_at', 'timestamptz', (c) => c.notNull())
    .addColumn('contact_id', 'uuid')
    .addColumn('deal_id', 'uuid')
    .addColumn('logged_by', 'uuid', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('deleted_at', 'timestamptz')
    .addPrimaryKeyConstraint('email_messages_pkey', ['tenant_id', 'id'])
    .addForeignKeyConstraint('email_messages_subject_fkey', ['tenant_id', 'subject_id'], 'subjects', ['tenant_id', 'id'])
    .addForeignKeyConstraint('email_messages_contact_fkey', ['tenant_id', 'contact_id'], 'contacts', ['tenant_id', 'id'])
    .addForeignKeyConstraint('email_messages_deal_fkey', ['tenant_id', 'deal_id'], 'deals', ['tenant_id', 'id'])
    .addForeignKeyConstraint('email_messages_logged_by_fkey', ['tenant_id', 'logged_by'], 'users', ['tenant_id', 'id'])
    .addCheckConstraint('email_messages_has_parent', sql`contact_id is not null or deal_id is not null`)
    .execute();
  await sql`create index email_messages_sent_idx on email_messages (tenant_id, sent_at, id)`.execute(db);
  await sql`create index email_messages_contact_idx on email_messages (tenant_id, contact_id, sent_at, id) where contact_id is not null`.execute(
    db,
  );
  await sql`create index email_messages_deal_idx on email_messages (tenant_id, deal_id, sent_at, id) where deal_id is not null`.execute(db);
  await sql`create index email_messages_deleted_idx on email_messages (tenant_id, deleted_at) where deleted_at is not null`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('email_messages').execute();
  await db.schema.dropTable('activities').execute();
  await sql`alter table leads drop constraint leads_deal_fkey`.execute(db);
  await sql`alter table notes drop constraint notes_deal_fkey`.execute(db);
  await db.schema.dropTable('deal_stage_history').execute();
  await db.schema.dropTable('deal_contacts').execute();
  await db.schema.dropTable('deals').execute();
  await db.schema.dropTable('pipeline_stages').execute();
  await db.schema.dropTable('pipelines').execute();
}
