import { sql, type Kysely } from 'kysely';
import type { Database, ModuleActions, SharingLevel } from '../db/schema.js';

// The only SQL over roles, profiles, groups and sharing.

export async function accessVersion(db: Kysely<Database>, tenantId: string): Promise<string | undefined> {
  const row = await db.selectFrom('tenants').select('access_version').where('id', '=', tenantId).executeTakeFirst();
  return row ? String(row.access_version) : undefined;
}

/** The tenant's access version as a column of another select, so the record and the version come in one statement. */
export function accessVersionOf(tenantId: string) {
  return sql<number | null>`(select access_version from tenants where id = ${tenantId})`;
}

/** Every change to who may see what moves the version, so every app node reloads. */
export async function bumpAccessVersion(db: Kysely<Database>, tenantId: string): Promise<void> {
  await sql`update tenants set access_version = access_version + 1 where id = ${tenantId}`.execute(db);
}

/** The root role and the two built-in profiles, made once per tenant; concurrent callers agree. */
export async function ensureBuiltIns(
  db: Kysely<Database>,
  tenantId: string,
  ids: { root: string; admin: string; standard: string },
  standardPermissions: Record<string, ModuleActions>,
): Promise<void> {
  await sql`insert into roles (tenant_id, id, name, parent_id, path) values (${tenantId}, ${ids.root}, 'Organization', null, ${`/${ids.root}/`})
    on conflict (tenant_id) where parent_id is null do nothing`.execute(db);
  await sql`insert into profiles (tenant_id, id, name, is_admin) values (${tenantId}, ${ids.admin}, 'Administrator', true)
    on conflict (tenant_id, lower(name)) do nothing`.execute(db);
  await sql`insert into profiles (tenant_id, id, name, is_admin, permissions) values (${tenantId}, ${ids.standard}, 'Standard', false, ${JSON.stringify(standardPermissions)}::jsonb)
    on conflict (tenant_id, lower(name)) do nothing`.execute(db);
}

export async function loadSnapshotRows(db: Kysely<Database>, tenantId: string) {
  const [roles, users, profiles, members, groupRoles, defaults, rules, groups] = await Promise.all([
    db.selectFrom('roles').select(['id', 'name', 'parent_id', 'path']).where('tenant_id', '=', tenantId).execute(),
    db.selectFrom('users').select(['id', 'role_id', 'profile_id', 'is_admin', 'status']).where('tenant_id', '=', tenantId).execute(),
    db.selectFrom('profiles').selectAll().where('tenant_id', '=', tenantId).execute(),
    db.selectFrom('group_members').select(['group_id', 'user_id']).where('tenant_id', '=', tenantId).execute(),
    db.selectFrom('group_roles').select(['group_id', 'role_id']).where('tenant_id', '=', tenantId).execute(),
    db.selectFrom('sharing_defaults').select(['module', 'level']).where('tenant_id', '=', tenantId).execute(),
    db.selectFrom('sharing_rules').selectAll().where('tenant_id', '=', tenantId).orderBy('id').execute(),
    db.selectFrom('groups').select(['id', 'name']).where('tenant_id', '=', tenantId).execute(),
  ]);
  return { roles, users, profiles, members, groupRoles, defaults, rules, groups };
}

// --- roles ---------------------------------------------------------------------------------

export async function listRoles(db: Kysely<Database>, tenantId: string) {
  return db.selectFrom('roles').selectAll().where('tenant_id', '=', tenantId).orderBy('path').execute();
}

export async function findRole(db: Kysely<Database>, tenantId: string, id: string) {
  return db.selectFrom('roles').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
}

export async function insertRole(
  db: Kysely<Database>,
  tenantId: string,
  row: { id: string; name: string; parent_id: string; path: string },
) {
  return db
    .insertInto('roles')
    .values({ ...row, tenant_id: tenantId })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function renameRole(db: Kysely<Database>, tenantId: string, id: string, name: string) {
  await db.updateTable('roles').set({ name }).where('tenant_id', '=', tenantId).where('id', '=', id).execute();
}

/** Moves a role and its whole subtree: every path under the old prefix gets the new one. */
export async function moveSubtree(db: Kysely<Database>, tenantId: string, id: string, parentId: string, oldPath: string, newPath: string) {
  await db.updateTable('roles').set({ parent_id: parentId }).where('tenant_id', '=', tenantId).where('id', '=', id).execute();
  await sql`update roles set path = ${newPath} || substr(path, ${oldPath.length + 1})
    where tenant_id = ${tenantId} and path like ${`${oldPath}%`}`.execute(db);
}

export async function hasChildRoles(db: Kysely<Database>, tenantId: string, id: string): Promise<boolean> {
  const row = await db
    .selectFrom('roles')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('parent_id', '=', id)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

export async function moveUsersToRole(db: Kysely<Database>, tenantId: string, fromRoleId: string, toRoleId: string) {
  await db.updateTable('users').set({ role_id: toRoleId }).where('tenant_id', '=', tenantId).where('role_id', '=', fromRoleId).execute();
}

export async function deleteRole(db: Kysely<Database>, tenantId: string, id: string) {
  await db
    .deleteFrom('sharing_rules')
    .where('tenant_id', '=', tenantId)
    .where((eb) =>
      eb.or([eb.and([eb('from_kind', '=', 'role'), eb('from_id', '=', id)]), eb.and([eb('to_kind', '=', 'role'), eb('to_id', '=', id)])]),
    )
    .execute();
  await db.deleteFrom('roles').where('tenant_id', '=', tenantId).where('id', '=', id).execute();
}

// --- profiles ------------------------------------------------------------------------------

export async function listProfiles(db: Kysely<Database>, tenantId: string) {
  return db
    .selectFrom('profiles')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .orderBy(sql`lower(name)`)
    .execute();
}

export async function findProfile(db: Kysely<Database>, tenantId: string, id: string) {
  return db.selectFrom('profiles').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
}

export async function insertProfile(
  db: Kysely<Database>,
  tenantId: string,
  row: { id: string; name: string; permissions: string; fields: string },
) {
  return db
    .insertInto('profiles')
    .values({ ...row, tenant_id: tenantId })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function updateProfile(
  db: Kysely<Database>,
  tenantId: string,
  id: string,
  values: { name?: string; permissions?: string; fields?: string },
) {
  return db.updateTable('profiles').set(values).where('tenant_id', '=', tenantId).where('id', '=', id).returningAll().executeTakeFirst();
}

export async function profileInUse(db: Kysely<Database>, tenantId: string, id: string): Promise<boolean> {
  const row = await db
    .selectFrom('users')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('profile_id', '=', id)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

export async function deleteProfile(db: Kysely<Database>, tenantId: string, id: string) {
  await db.deleteFrom('profiles').where('tenant_id', '=', tenantId).where('id', '=', id).execute();
}

// --- groups --------------------------------------------------------------------------------

export async function insertGroup(db: Kysely<Database>, tenantId: string, row: { id: string; name: string }) {
  return db
    .insertInto('groups')
    .values({ ...row, tenant_id: tenantId })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function findGroup(db: Kysely<Database>, tenantId: string, id: string) {
  return db.selectFrom('groups').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
}

export async function listGroups(db: Kysely<Database>, tenantId: string) {
  return db
    .selectFrom('groups')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .orderBy(sql`lower(name)`)
    .execute();
}

export async function renameGroup(db: Kysely<Database>, tenantId: string, id: string, name: string) {
  await db.updateTable('groups').set({ name }).where('tenant_id', '=', tenantId).where('id', '=', id).execute();
}

export async function replaceGroupMembers(db: Kysely<Database>, tenantId: string, groupId: string, userIds: string[], roleIds: string[]) {
  await db.deleteFrom('group_members').where('tenant_id', '=', tenantId).where('group_id', '=', groupId).execute();
  await db.deleteFrom('group_roles').where('tenant_id', '=', tenantId).where('group_id', '=', groupId).execute();
  if (userIds.length > 0) {
    await db
      .insertInto('group_members')
      .values(userIds.map((user_id) => ({ tenant_id: tenantId, group_id: groupId, user_id })))
      .execute();
  }
  if (roleIds.length > 0) {
    await db
      .insertInto('group_roles')
      .values(roleIds.map((role_id) => ({ tenant_id: tenantId, group_id: groupId, role_id })))
      .execute();
  }
}

export async function deleteGroup(db: Kysely<Database>, tenantId: string, id: string) {
  await db
    .deleteFrom('sharing_rules')
    .where('tenant_id', '=', tenantId)
    .where((eb) =>
      eb.or([eb.and([eb('from_kind', '=', 'group'), eb('from_id', '=', id)]), eb.and([eb('to_kind', '=', 'group'), eb('to_id', '=', id)])]),
    )
    .execute();
  await db.deleteFrom('groups').where('tenant_id', '=', tenantId).where('id', '=', id).execute();
}

// --- sharing -------------------------------------------------------------------------------

export async function setSharingDefault(db: Kysely<Database>, tenantId: string, module: string, level: SharingLevel) {
  await db
    .insertInto('sharing_defaults')
    .values({ tenant_id: tenantId, module, level })
    .onConflict((oc) => oc.columns(['tenant_id', 'module']).doUpdateSet({ level }))
    .execute();
}

export async function insertSharingRule(
  db: Kysely<Database>,
  tenantId: string,
  row: {
    id: string;
    module: string;
    from_kind: 'role' | 'group';
    from_id: string;
    to_kind: 'role' | 'group';
    to_id: string;
    access: 'read' | 'write';
  },
) {
  return db
    .insertInto('sharing_rules')
    .values({ ...row, tenant_id: tenantId })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function listSharingRules(db: Kysely<Database>, tenantId: string) {
  return db.selectFrom('sharing_rules').selectAll().where('tenant_id', '=', tenantId).orderBy('created_at').execute();
}

export async function deleteSharingRule(db: Kysely<Database>, tenantId: string, id: string): Promise<boolean> {
  const result = await db.deleteFrom('sharing_rules').where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
  return result.numDeletedRows === 1n;
}

// --- users' role and profile ----------------------------------------------------------------

export async function setUserAccess(
  db: Kysely<Database>,
  tenantId: string,
  userId: string,
  values: { role_id?: string; profile_id?: string; is_admin?: boolean },
) {
  await db.updateTable('users').set(values).where('tenant_id', '=', tenantId).where('id', '=', userId).execute();
}

export async function activeUserIds(db: Kysely<Database>, tenantId: string, ids: string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .selectFrom('users')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('id', 'in', ids)
    .where('status', '=', 'active')
    .execute();
  return rows.map((r) => r.id);
}
