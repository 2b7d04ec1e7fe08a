import { sql, type Kysely } from 'kysely';

// A record can be assigned to a group as well as owned by a user: every
// member of the group (directly or through one of its roles) then has owner
// access to it. Deleting the group hands the record back to its user owner.

const TABLES = ['contacts', 'leads', 'organizations', 'deals', 'activities'] as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const table of TABLES) {
    await sql`alter table ${sql.table(table)} add column owner_group_id uuid`.execute(db);
    await sql`alter table ${sql.table(table)} add constraint ${sql.ref(`${table}_owner_group_fkey`)}
      foreign key (tenant_id, owner_group_id) references groups (tenant_id, id) on delete set null (owner_group_id)`.execute(db);
    await sql`create index ${sql.ref(`${table}_owner_group_idx`)} on ${sql.table(table)} (tenant_id, owner_group_id) where owner_group_id is not null`.execute(
      db,
    );
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of TABLES) await sql`alter table ${sql.table(table)} drop column owner_group_id`.execute(db);
}
