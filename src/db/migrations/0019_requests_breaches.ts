import { sql, type Kysely } from 'kysely';

// Issue 17: data-subject requests as cases with their legal clock, and the
// breach register.
//
// A request's facts (type, status, dates, who did what) are plain columns: they
// are the controller's proof of how it handled the request. What may describe
// a person — the address a request came from, notes, reasons — is sealed under
// the key of the subject the case is about (the linked person's, else the
// tenant's records subject), so erasing the person makes it unreadable while
// the facts remain. Due dates are calendar dates (UTC), see due-date.ts.
//
// A breach's descriptions (nature, consequences, measures, reasons) are free
// text that may name people: sealed under the tenant's records subject.

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('privacy_requests')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id'))
    .addColumn('id', 'uuid', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('received'))
    .addColumn('channel', 'text', (c) => c.notNull().defaultTo('other'))
    .addColumn('person_table', 'text')
    .addColumn('person_id', 'uuid')
    /** The linked person's subject: audit entries name it. */
    .addColumn('subject_id', 'uuid')
    /** Whose key seals the address, notes and reasons of this case. */
    .addColumn('seal_subject_id', 'uuid', (c) => c.notNull())
    .addColumn('email_enc', 'bytea')
    .addColumn('received_at', 'timestamptz', (c) => c.notNull())
    .addColumn('original_due_date', 'date', (c) => c.notNull())
    .addColumn('due_date', 'date', (c) => c.notNull())
    .addColumn('extension_months', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('extended_at', 'timestamptz')
    .addColumn('verification_method', 'text')
    .addColumn('verified_at', 'timestamptz')
    .addColumn('verified_by', 'uuid')
    .addColumn('started_at', 'timestamptz')
    .addColumn('closed_at', 'timestamptz')
    .addColumn('closed_by', 'uuid')
    .addColumn('refusal_legal_basis', 'text')
    .addColumn('assignee_id', 'uuid')
    .addColumn('reminded_soon_at', 'timestamptz')
    .addColumn('reminded_overdue_at', 'timestamptz')
    .addColumn('created_by', 'uuid')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .addPrimaryKeyConstraint('privacy_requests_pkey', ['tenant_id', 'id'])
    .addCheckConstraint(
      'privacy_requests_type',
      sql`type in ('access', 'rectification', 'erasure', 'restriction', 'objection', 'portability')`,
    )
    .addCheckConstraint('privacy_requests_status', sql`status in ('received', 'verified', 'in_progress', 'completed', 'refused')`)
    .addCheckConstraint('privacy_requests_channel', sql`channel in ('email', 'letter', 'phone', 'web_form', 'in_person', 'other')`)
    .addCheckConstraint(
      'privacy_requests_person',
      sql`(person_table is null) = (person_id is null) and person_table in ('contacts', 'leads')`,
    )
    .addCheckConstraint('privacy_requests_extension', sql`extension_months between 0 and 2`)
    .execute();
  await sql`create index privacy_requests_open_idx on privacy_requests (tenant_id, due_date, id)
    where status in ('received', 'verified', 'in_progress')`.execute(db);
  await sql`create index privacy_requests_status_idx on privacy_requests (tenant_id, status, due_date, id)`.execute(db);
  // The reminder job looks across tenants for open, assigned cases near or past their date.
  await sql`create index privacy_requests_reminder_idx on privacy_requests (due_date)
    where status in ('received', 'verified', 'in_progress') and assignee_id is not null`.execute(db);

  await db.schema
    .createTable('privacy_request_steps')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull())
    .addColumn('id', 'uuid', (c) => c.notNull())
    .addColumn('request_id', 'uuid', (c) => c.notNull())
    .addColumn('seq', 'bigserial', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('from_status', 'text')
    .addColumn('to_status', 'text')
    .addColumn('actor_user_id', 'uuid')
    /** Non-personal facts of the step: the method, the months, the legal basis, the new due date. */
    .addColumn('details', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    /** The note or reason, sealed like the case's address. */
    .addColumn('text_enc', 'bytea')
    .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('privacy_request_steps_pkey', ['tenant_id', 'id'])
    .addForeignKeyConstraint('privacy_request_steps_request_fkey', ['tenant_id', 'request_id'], 'privacy_requests', ['tenant_id', 'id'])
    .addCheckConstraint(
      'privacy_request_steps_action',
      sql`action in ('received', 'verified', 'started', 'extended', 'completed', 'refused', 'assigned', 'noted', 'reminded')`,
    )
    .execute();
  await sql`create index privacy_request_steps_request_idx on privacy_request_steps (tenant_id, request_id, seq)`.execute(db);

  await db.schema
    .createTable('privacy_breaches')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id'))
    .addColumn('id', 'uuid', (c) => c.notNull())
    .addColumn('detected_at', 'timestamptz', (c) => c.notNull())
    .addColumn('occurred_at', 'timestamptz')
    .addColumn('notify_authority_by', 'timestamptz', (c) => c.notNull())
    .addColumn('seal_subject_id', 'uuid', (c) => c.notNull())
    .addColumn('nature_enc', 'bytea', (c) => c.notNull())
    .addColumn('categories', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('subject_categories', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('approx_subjects', 'integer', (c) => c.notNull())
    .addColumn('approx_records', 'integer', (c) => c.notNull())
    .addColumn('consequences_enc', 'bytea', (c) => c.notNull())
    .addColumn('measures_enc', 'bytea', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('open'))
    .addColumn('authority_notification_required', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('no_notification_reason_enc', 'bytea')
    .addColumn('authority_notified_at', 'timestamptz')
    .addColumn('authority_reference', 'text')
    .addColumn('delay_reason_enc', 'bytea')
    .addColumn('subjects_informed', 'boolean')
    .addColumn('inform_reason_enc', 'bytea')
    .addColumn('subjects_informed_at', 'timestamptz')
    .addColumn('created_by', 'uuid')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .addPrimaryKeyConstraint('privacy_breaches_pkey', ['tenant_id', 'id'])
    .addCheckConstraint('privacy_breaches_status', sql`status in ('open', 'contained', 'closed')`)
    .addCheckConstraint('privacy_breaches_counts', sql`approx_subjects >= 0 and approx_records >= 0`)
    .execute();
  await sql`create index privacy_breaches_detected_idx on privacy_breaches (tenant_id, detected_at desc, id desc)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('privacy_breaches').execute();
  await db.schema.dropTable('privacy_request_steps').execute();
  await db.schema.dropTable('privacy_requests').execute();
}
