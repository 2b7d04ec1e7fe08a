import { sql, type Kysely } from 'kysely';

// Access control in the vtiger model: a role tree (a user sees what users in
// roles below theirs own), profiles (what a user may do per module, and which
// fields they see or may change), groups, organization-wide defaults and
// sharing rules. A tenant's root role and its Administrator and Standard
// profiles are created on first use, so existing tenants need no backfill.

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('roles')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id'))
    .addColumn('id', 'uuid', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('parent_id', 'uuid')
    // Ids from the root down to this role, '/'-separated and ending in '/': a subtree is a prefix.
    .addColumn('path', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('roles_pkey', ['tenant_id', 'id'])
    .addForeignKeyConstraint('roles_parent_fkey', ['tenant_id', 'parent_id'], 'roles', ['tenant_id', 'id'])
    .execute();
  await sql`create unique index roles_one_root on roles (tenant_id) where parent_id is null`.execute(db);
  await sql`create index roles_path_idx on roles (tenant_id, path text_pattern_ops)`.execute(db);

  await db.schema
    .createTable('profiles')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id'))
    .addColumn('id', 'uuid', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('is_admin', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('permissions', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('fields', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('profiles_pkey', ['tenant_id', 'id'])
    .execute();
  await sql`create unique index profiles_name_idx on profiles (tenant_id, lower(name))`.execute(db);

  await db.schema
    .createTable('groups')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id'))
    .addColumn('id', 'uuid', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('groups_pkey', ['tenant_id', 'id'])
    .execute();
  await sql`create unique index groups_name_idx on groups (tenant_id, lower(name))`.execute(db);

  await db.schema
    .createTable('group_members')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull())
    .addColumn('group_id', 'uuid', (c) => c.notNull())
    .addColumn('user_id', 'uuid', (c) => c.notNull())
    .addPrimaryKeyConstraint('group_members_pkey', ['tenant_id', 'group_id', 'user_id'])
    .addForeignKeyConstraint('group_members_group_fkey', ['tenant_id', 'group_id'], 'groups', ['tenant_id', 'id'], (fk) =>
      fk.onDelete('cascade'),
    )
    .addForeignKeyConstraint('group_members_user_fkey', ['tenant_id', 'user_id'], 'users', ['tenant_id', 'id'])
    .execute();

  await db.schema
    .createTable('group_roles')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull())
    .addColumn('group_id', 'uuid', (c) => c.notNull())
    .addColumn('role_id', 'uuid', (c) => c.notNull())
    .addPrimaryKeyConstraint('group_roles_pkey', ['tenant_id', 'group_id', 'role_id'])
    .addForeignKeyConstraint('group_roles_group_fkey', ['tenant_id', 'group_id'], 'groups', ['tenant_id', 'id'], (fk) =>
      fk.onDelete('cascade'),
    )
    .addForeignKeyConstraint('group_roles_role_fkey', ['tenant_id', 'role_id'], 'roles', ['tenant_id', 'id'], (fk) =>
      fk.onDelete('cascade'),
    )
    .execute();

  await db.schema
    .createTable('sharing_defaults')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id'))
    .addColumn('module', 'text', (c) => c.notNull())
    .addColumn('level', 'text', (c) => c.notNull().check(sql`level in ('private', 'public_read', 'public_write')`))
    .addPrimaryKeyConstraint('sharing_defaults_pkey', ['tenant_id', 'module'])
    .execute();

  await db.schema
    .createTable('sharing_rules')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id'))
    .addColumn('id', 'uuid', (c) => c.notNull())
    .addColumn('module', 'text', (c) => c.notNull())
    .addColumn('from_kind', 'text', (c) => c.notNull().check(sql`from_kind in ('role', 'group')`))
    .addColumn('from_id', 'uuid', (c) => c.notNull())
    .addColumn('to_kind', 'text', (c) => c.notNull().check(sql`to_kind in ('role', 'group')`))
    .addColumn('to_id', 'uuid', (c) => c.notNull())
    .addColumn('access', 'text', (c) => c.notNull().check(sql`access in ('read', 'write')`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('sharing_rules_pkey', ['tenant_id', 'id'])
    .execute();

  // Bumped with every change to who may see what, in the same transaction: app
  // nodes cache a tenant's access snapshot and reload it when this moves.
  await db.schema
    .alterTable('tenants')
    .addColumn('access_version', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.alterTable('users').addColumn('role_id', 'uuid').addColumn('profile_id', 'uuid').execute();
  await sql`alter table users add constraint users_role_fkey foreign key (tenant_id, role_id) references roles (tenant_id, id)`.execute(db);
  await sql`alter table users add constraint users_profile_fkey foreign key (tenant_id, profile_id) references profiles (tenant_id, id)`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('users').dropConstraint('users_role_fkey').execute();
  await db.schema.alterTable('users').dropConstraint('users_profile_fkey').execute();
  await db.schema.alterTable('users').dropColumn('role_id').dropColumn('profile_id').execute();
  await db.schema.alterTable('tenants').dropColumn('access_version').execute();
  for (const table of ['sharing_rules', 'sharing_defaults', 'group_roles', 'group_members', 'groups', 'profiles', 'roles']) {
    await db.schema.dropTable(table).execute();
  }
}
