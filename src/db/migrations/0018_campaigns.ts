import { sql, type Kysely } from 'kysely';

// Issue 16: consent-checked e-mail campaigns.
//
// A campaign is the tenant's own text (name, subject, body with placeholders)
// for one purpose and an audience (a tag and/or people by id): it names no
// person's data, so it is plain. Sending decides per person and records the
// decision in campaign_recipients (queued with its outbox message, or skipped
// with a reason): ids and codes only, never an address or a name, so erasure
// leaves nothing personal behind here.
//
// The outbox gets per-message headers (List-Unsubscribe and
// List-Unsubscribe-Post, RFC 8058), sealed like the rest of the row since the
// unsubscribe link is the person's own.

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('mail_outbox').addColumn('headers', 'text').execute();

  await db.schema
    .createTable('campaigns')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id'))
    .addColumn('id', 'uuid', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('purpose_id', 'uuid', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('language', 'text', (c) => c.notNull().defaultTo('en'))
    .addColumn('tag', 'text')
    .addColumn('contact_ids', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('lead_ids', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('draft'))
    .addColumn('queued_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('skipped_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_by', 'uuid', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('sent_by', 'uuid')
    .addColumn('sent_at', 'timestamptz')
    .addPrimaryKeyConstraint('campaigns_pkey', ['tenant_id', 'id'])
    .addForeignKeyConstraint('campaigns_purpose_fkey', ['tenant_id', 'purpose_id'], 'purposes', ['tenant_id', 'id'])
    .addCheckConstraint('campaigns_status', sql`status in ('draft', 'sent')`)
    .addCheckConstraint('campaigns_language', sql`language in ('en', 'nl')`)
    .execute();
  await sql`create index campaigns_list_idx on campaigns (tenant_id, created_at desc, id desc)`.execute(db);

  await db.schema
    .createTable('campaign_recipients')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull())
    .addColumn('id', 'uuid', (c) => c.notNull())
    .addColumn('campaign_id', 'uuid', (c) => c.notNull())
    /** The order of the audience, for the skip report and the campaign page. */
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('person_table', 'text', (c) => c.notNull())
    .addColumn('person_id', 'uuid', (c) => c.notNull())
    /** The person's subject; null when the person was not visible to the sender (nothing of them was read). */
    .addColumn('subject_id', 'uuid')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('outbox_message_id', 'uuid')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('campaign_recipients_pkey', ['tenant_id', 'id'])
    .addForeignKeyConstraint('campaign_recipients_campaign_fkey', ['tenant_id', 'campaign_id'], 'campaigns', ['tenant_id', 'id'])
    .addUniqueConstraint('campaign_recipients_person_key', ['tenant_id', 'campaign_id', 'person_table', 'person_id'])
    .addUniqueConstraint('campaign_recipients_position_key', ['tenant_id', 'campaign_id', 'position'])
    .addCheckConstraint('campaign_recipients_person_table', sql`person_table in ('contacts', 'leads')`)
    .addCheckConstraint('campaign_recipients_status', sql`status in ('queued', 'skipped')`)
    .addCheckConstraint(
      'campaign_recipients_reason',
      sql`(status = 'queued') = (reason is null) and (status = 'queued') = (outbox_message_id is not null)`,
    )
    .execute();
  await sql`create index campaign_recipients_subject_idx on campaign_recipients (tenant_id, subject_id)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('campaign_recipients').execute();
  await db.schema.dropTable('campaigns').execute();
  await db.schema.alterTable('mail_outbox').dropColumn('headers').execute();
}
