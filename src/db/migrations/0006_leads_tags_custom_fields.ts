import { sql, type Kysely } from 'kysely';

// Leads (people, encrypted like contacts), the rest of a person's fields,
// tags and custom field definitions for every module, and notes that hang on
// any record. Subjects gain a 'records' kind: one per tenant, whose key seals
// free text on records that are not a person (notes on an organization or a
// deal), so no note body is ever plaintext.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table subjects drop constraint subjects_kind_check`.execute(db);
  await sql`alter table subjects add constraint subjects_kind_check check (kind in ('user', 'person', 'records'))`.execute(db);
  await sql`create unique index subjects_one_records_per_tenant on subjects (tenant_id) where kind = 'records'`.execute(db);

  // The rest of a person: job title, address, birthday, language and personal
  // custom fields, one JSON document under the subject key. Non-personal
  // custom values stay plain so they can be filtered and sorted.
  await db.schema
    .alterTable('contacts')
    .addColumn('details_enc', 'bytea')
    .addColumn('custom', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('lawful_basis', 'text')
    .addColumn('lead_id', 'uuid')
    .execute();
  await sql`create index contacts_owner_idx on contacts (tenant_id, owner_id, id)`.execute(db);
  await sql`create index contacts_org_idx on contacts (tenant_id, organization_id, id)`.execute(db);
  await sql`create index contacts_deleted_idx on contacts (tenant_id, deleted_at) where deleted_at is not null`.execute(db);

  await db.schema
    .alterTable('organizations')
    .addColumn('address', 'jsonb')
    .addColumn('custom', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .execute();
  await sql`create index organizations_owner_idx on organizations (tenant_id, owner_id, id)`.execute(db);
  await sql`create index organizations_deleted_idx on organizations (tenant_id, deleted_at) where deleted_at is not null`.execute(db);

  await db.schema
    .createTable('leads')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull())
    .addColumn('id', 'uuid', (c) => c.notNull())
    .addColumn('subject_id', 'uuid', (c) => c.notNull())
    .addColumn('owner_id', 'uuid', (c) => c.notNull())
    .addColumn('first_name_enc', 'bytea', (c) => c.notNull())
    .addColumn('last_name_enc', 'bytea', (c) => c.notNull())
    .addColumn('emails_enc', 'bytea', (c) => c.notNull())
    .addColumn('phones_enc', 'bytea', (c) => c.notNull())
    .addColumn('details_enc', 'bytea')
    .addColumn('custom', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('lawful_basis', 'text')
    .addColumn('company', 'text')
    .addColumn('source', 'text')
    .addColumn('status', 'text', (c) =>
      c
        .notNull()
        .defaultTo('new')
        .check(sql`status in ('new', 'contacted', 'qualified', 'unqualified', 'converted')`),
    )
    .addColumn('rating', 'text', (c) => c.check(sql`rating in ('hot', 'warm', 'cold')`))
    .addColumn('converted_at', 'timestamptz')
    .addColumn('converted_contact_id', 'uuid')
    .addColumn('converted_organization_id', 'uuid')
    .addColumn('converted_deal_id', 'uuid')
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('deleted_at', 'timestamptz')
    .addPrimaryKeyConstraint('leads_pkey', ['tenant_id', 'id'])
    .addForeignKeyConstraint('leads_subject_fkey', ['tenant_id', 'subject_id'], 'subjects', ['tenant_id', 'id'])
    .addForeignKeyConstraint('leads_owner_fkey', ['tenant_id', 'owner_id'], 'users', ['tenant_id', 'id'])
    .addForeignKeyConstraint('leads_contact_fkey', ['tenant_id', 'converted_contact_id'], 'contacts', ['tenant_id', 'id'])
    .addForeignKeyConstraint('leads_organization_fkey', ['tenant_id', 'converted_organization_id'], 'organizations', ['tenant_id', 'id'])
    .execute();
  await sql`create index leads_owner_idx on leads (tenant_id, owner_id, id)`.execute(db);
  await sql`create index leads_status_idx on leads (tenant_id, status, id)`.execute(db);
  await sql`create index leads_deleted_idx on leads (tenant_id, deleted_at) where deleted_at is not null`.execute(db);
  await sql`alter table contacts add constraint contacts_lead_fkey foreign key (tenant_id, lead_id) references leads (tenant_id, id)`.execute(
    db,
  );

  await db.schema
    .createTable('tags')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id'))
    .addColumn('id', 'uuid', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('color', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('tags_pkey', ['tenant_id', 'id'])
    .execute();
  await sql`create unique index tags_name_idx on tags (tenant_id, lower(name))`.execute(db);

  // Which record carries which tag; `module` names the record's table.
  await db.schema
    .createTable('record_tags')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull())
    .addColumn('module', 'text', (c) => c.notNull())
    .addColumn('record_id', 'uuid', (c) => c.notNull())
    .addColumn('tag_id', 'uuid', (c) => c.notNull())
    .addPrimaryKeyConstraint('record_tags_pkey', ['tenant_id', 'module', 'record_id', 'tag_id'])
    .addForeignKeyConstraint('record_tags_tag_fkey', ['tenant_id', 'tag_id'], 'tags', ['tenant_id', 'id'], (fk) => fk.onDelete('cascade'))
    .execute();
  await sql`create index record_tags_tag_idx on record_tags (tenant_id, tag_id, module, record_id)`.execute(db);

  await db.schema
    .createTable('custom_fields')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id'))
    .addColumn('id', 'uuid', (c) => c.notNull())
    .addColumn('module', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('label', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull().check(sql`type in ('text', 'number', 'date', 'boolean', 'select', 'multiselect')`))
    .addColumn('options', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('personal', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('position', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('custom_fields_pkey', ['tenant_id', 'id'])
    .execute();
  await sql`create unique index custom_fields_key_idx on custom_fields (tenant_id, module, key)`.execute(db);

  // Notes hang on exactly one record of any kind.
  await db.schema
    .alterTable('notes')
    .addColumn('lead_id', 'uuid')
    .addColumn('organization_id', 'uuid')
    .addColumn('deal_id', 'uuid')
    .execute();
  await sql`alter table notes alter column contact_id drop not null`.execute(db);
  await sql`alter table notes add constraint notes_one_parent check (num_nonnulls(contact_id, lead_id, organization_id, deal_id) = 1)`.execute(
    db,
  );
  await sql`alter table notes add constraint notes_lead_fkey foreign key (tenant_id, lead_id) references leads (tenant_id, id)`.execute(db);
  await sql`alter table notes add constraint notes_organization_fkey foreign key (tenant_id, organization_id) references organizations (tenant_id, id)`.execute(
    db,
  );
  await sql`create index notes_lead_idx on notes (tenant_id, lead_id, id) where lead_id is not null`.execute(db);
  await sql`create index notes_organization_idx on notes (tenant_id, organization_id, id) where organization_id is not null`.execute(db);
  await sql`create index notes_deal_idx on notes (tenant_id, deal_id, id) where deal_id is not null`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`delete from notes where contact_id is null`.execute(db);
  await db.schema.alterTable('notes').dropConstraint('notes_one_parent').execute();
  await db.schema.alterTable('notes').dropColumn('lead_id').dropColumn('organization_id').dropColumn('deal_id').execute();
  await sql`alter table notes alter column contact_id set not null`.execute(db);
  await db.schema.dropTable('custom_fields').execute();
  await db.schema.dropTable('record_tags').execute();
  await db.schema.dropTable('tags').execute();
  await db.schema.alterTable('contacts').dropConstraint('contacts_lead_fkey').execute();
  await db.schema.dropTable('leads').execute();
  await db.schema.alterTable('organizations').dropColumn('address').dropColumn('custom').execute();
  await db.schema
    .alterTable('contacts')
    .dropColumn('details_enc')
    .dropColumn('custom')
    .dropColumn('lawful_basis')
    .dropColumn('lead_id')
    .execute();
  await sql`drop index subjects_one_records_per_tenant`.execute(db);
  await sql`alter table subjects drop constraint subjects_kind_check`.execute(db);
  await sql`alter table subjects add constraint subjects_kind_check check (kind in ('user', 'person'))`.execute(db);
}
