import { sql, type Kysely } from 'kysely';

// Organizations are company data, not personal: plain columns, searchable and
// sortable in SQL. Contacts may belong to one.

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('organizations')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull())
    .addColumn('id', 'uuid', (c) => c.notNull())
    .addColumn('owner_id', 'uuid', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('domain', 'text')
    .addColumn('industry', 'text')
    .addColumn('website', 'text')
    .addColumn('phone', 'text')
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('deleted_at', 'timestamptz')
    .addPrimaryKeyConstraint('organizations_pkey', ['tenant_id', 'id'])
    .addForeignKeyConstraint('organizations_owner_fkey', ['tenant_id', 'owner_id'], 'users', ['tenant_id', 'id'])
    .execute();
  await sql`create index organizations_name_idx on organizations (tenant_id, lower(name), id)`.execute(db);

  await db.schema.alterTable('contacts').addColumn('organization_id', 'uuid').execute();
  await sql`alter table contacts add constraint contacts_organization_fkey
    foreign key (tenant_id, organization_id) references organizations (tenant_id, id)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('contacts').dropColumn('organization_id').execute();
  await db.schema.dropTable('organizations').execute();
}
