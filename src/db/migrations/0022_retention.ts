import { sql, type Kysely } from 'kysely';

// Issue 17: retention rules, legal holds and the record of retention runs.
//
// A rule is plain configuration (which records, after how many days, counted
// from what, erased or anonymized). A legal hold names the person's subject —
// a lead and the contact it became share one — so it suspends every rule for
// both; its reasons are staff's words about a person, sealed under that
// person's key. A run keeps only counts and rule ids: never who was erased.

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('retention_rules')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id'))
    .addColumn('id', 'uuid', (c) => c.notNull())
    .addColumn('module', 'text', (c) => c.notNull())
    .addColumn('after_days', 'integer', (c) => c.notNull())
    .addColumn('based_on', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('created_by', 'uuid')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('retention_rules_pkey', ['tenant_id', 'id'])
    .addCheckConstraint('retention_rules_module', sql`module in ('contacts', 'leads', 'deals')`)
    .addCheckConstraint('retention_rules_after_days', sql`after_days between 1 and 36500`)
    .addCheckConstraint('retention_rules_based_on', sql`based_on in ('last_activity', 'created', 'updated', 'closed')`)
    .addCheckConstraint('retention_rules_action', sql`action in ('erase', 'anonymize')`)
    .execute();

  await db.schema
    .createTable('legal_holds')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id'))
    .addColumn('id', 'uuid', (c) => c.notNull())
    .addColumn('subject_id', 'uuid', (c) => c.notNull())
    .addColumn('person_table', 'text', (c) => c.notNull())
    .addColumn('person_id', 'uuid', (c) => c.notNull())
    .addColumn('reason_enc', 'bytea', (c) => c.notNull())
    .addColumn('placed_by', 'uuid')
    .addColumn('placed_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('released_at', 'timestamptz')
    .addColumn('released_by', 'uuid')
    .addColumn('release_reason_enc', 'bytea')
    .addPrimaryKeyConstraint('legal_holds_pkey', ['tenant_id', 'id'])
    .addCheckConstraint('legal_holds_person_table', sql`person_table in ('contacts', 'leads')`)
    .addCheckConstraint('legal_holds_released', sql`(released_at is null) = (released_by is null and release_reason_enc is null)`)
    .execute();
  await sql`create index legal_holds_active_idx on legal_holds (tenant_id, subject_id) where released_at is null`.execute(db);

  await db.schema
    .createTable('retention_runs')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id'))
    .addColumn('id', 'uuid', (c) => c.notNull())
    .addColumn('dry_run', 'boolean', (c) => c.notNull())
    /** Null for the daily job. */
    .addColumn('user_id', 'uuid')
    .addColumn('started_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('finished_at', 'timestamptz')
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('running'))
    .addColumn('erased', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('anonymized', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('held', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('failed', 'integer', (c) => c.notNull().defaultTo(0))
    /** [{ ruleId, module, action, erased, anonymized, held, failed }]: counts only. */
    .addColumn('per_rule', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addPrimaryKeyConstraint('retention_runs_pkey', ['tenant_id', 'id'])
    .addCheckConstraint('retention_runs_status', sql`status in ('running', 'done', 'failed')`)
    .execute();
  await sql`create index retention_runs_recent_idx on retention_runs (tenant_id, started_at desc)`.execute(db);
  // One real run per tenant at a time, whichever node starts it: a second insert fails on this index.
  await sql`create unique index retention_runs_one_running on retention_runs (tenant_id) where status = 'running' and not dry_run`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['retention_runs', 'legal_holds', 'retention_rules']) await db.schema.dropTable(table).execute();
}
