import { LRUCache } from 'lru-cache';
import type { Keyring } from '../keys/keyring.js';
import type { Kysely } from 'kysely';
import { recordSecurityEvent } from '../audit/security-events.js';
import type { Database, ModuleActions, SharingLevel } from '../db/schema.js';
import { inTransaction } from '../db/transaction.js';
import type { Authenticated } from '../shared/actor.js';
import { isUniqueViolation } from '../shared/domain-error.js';
import { newId } from '../shared/ids.js';
import { AccessError } from './access.errors.js';
import * as repo from './access.repository.js';
import {
  accessFor,
  ACTIONS,
  FIELDS,
  MODULE_ACTIONS,
  MODULES,
  RECORD_MODULES,
  STANDARD_PERMISSIONS,
  type Access,
  type AccessSnapshot,
  type FieldRule,
  type Module,
  type RecordModule,
} from './policy.js';

/**
 * Access control: the admin side (roles, profiles, groups, defaults, rules)
 * and the one place every other domain asks "may this actor …". A tenant's
 * model is cached per process as a snapshot and reloaded when the tenant's
 * access version moves, which every change bumps in its own transaction: a
 * change is in force on the very next request, on every app node.
 */

// --- the snapshot and the actor's access ----------------------------------------------------

// Bounded: a process serving many tenants keeps the models of the most recently active ones.
const snapshots = new LRUCache<string, AccessSnapshot>({ max: 1_000 });
const perRequest = new WeakMap<Authenticated, Promise<Access>>();

async function loadSnapshot(db: Kysely<Database>, tenantId: string): Promise<AccessSnapshot> {
  const version = await repo.accessVersion(db, tenantId);
  const cached = snapshots.get(tenantId);
  if (cached && cached.version === version) return cached;
  await repo.ensureBuiltIns(db, tenantId, { root: newId(), admin: newId(), standard: newId() }, STANDARD_PERMISSIONS);
  const rows = await repo.loadSnapshotRows(db, tenantId);
  const root = rows.roles.find((r) => r.parent_id === null)!;
  const adminProfile = rows.profiles.find((p) => p.is_admin && p.name === 'Administrator')!;
  const standardProfile = rows.profiles.find((p) => p.name === 'Standard') ?? adminProfile;
  const groups = new Map(rows.groups.map((g) => [g.id, { userIds: new Set<string>(), roleIds: new Set<string>() }]));
  for (const m of rows.members) groups.get(m.group_id)?.userIds.add(m.user_id);
  for (const r of rows.groupRoles) groups.get(r.group_id)?.roleIds.add(r.role_id);
  const snapshot: AccessSnapshot = {
    version: version ?? '0',
    rootRoleId: root.id,
    rolePaths: new Map(rows.roles.map((r) => [r.id, r.path])),
    users: new Map(
      rows.users.map((u) => [
        u.id,
        {
          roleId: u.role_id ?? root.id,
          profileId: u.profile_id ?? (u.is_admin ? adminProfile.id : standardProfile.id),
          active: u.status === 'active',
        },
      ]),
    ),
    profiles: new Map(rows.profiles.map((p) => [p.id, { id: p.id, isAdmin: p.is_admin, permissions: p.permissions, fields: p.fields }])),
    groups,
    defaults: new Map(rows.defaults.map((d) => [d.module, d.level])),
    rules: rows.rules.map((r) => ({
      module: r.module,
      from: { kind: r.from_kind, id: r.from_id },
      to: { kind: r.to_kind, id: r.to_id },
      access: r.access,
    })),
  };
  // Only a committed model may be remembered: inside a transaction it could still roll back.
  if (!db.isTransaction) snapshots.set(tenantId, snapshot);
  return snapshot;
}

const decided = new WeakMap<AccessSnapshot, Map<string, Access>>();

/** A user's access under a snapshot, worked out once per snapshot (a new model is a new snapshot). */
function accessIn(snapshot: AccessSnapshot, userId: string): Access {
  let perUser = decided.get(snapshot);
  if (!perUser) decided.set(snapshot, (perUser = new Map()));
  let access = perUser.get(userId);
  if (!access) perUser.set(userId, (access = accessFor(snapshot, userId)));
  return access;
}

/** What the actor may do, decided once per request. */
export function accessOf(db: Kysely<Database>, actor: Authenticated): Promise<Access> {
  let access = perRequest.get(actor);
  if (!access) {
    access = loadSnapshot(db, actor.tenantId).then((s) => accessIn(s, actor.user.id));
    perRequest.set(actor, access);
  }
  return access;
}

/**
 * `accessOf` when the tenant's access version was already read in the same
 * statement as the record it guards (`accessVersionOf` in a select): a read
 * then costs one statement, and a model changed since the cached snapshot
 * still reloads before anything is decided.
 */
export function accessAt(db: Kysely<Database>, actor: Authenticated, version: number | null | undefined): Promise<Access> {
  const known = perRequest.get(actor);
  if (known) return known;
  const cached = snapshots.get(actor.tenantId);
  if (!cached || version === null || version === undefined || cached.version !== String(version)) return accessOf(db, actor);
  const access = Promise.resolve(accessIn(cached, actor.user.id));
  perRequest.set(actor, access);
  return access;
}

/**
 * The actor's access under the snapshot this process holds, without a
 * statement and without knowing whether it is still current: only for a
 * query that reads the access version in its own statement
 * (`accessVersionColumn`) and confirms with `accessAt` before anything it
 * found is decided on or handed out — the same object back means the guess
 * held. Undefined when no snapshot is held.
 */
export function cachedAccess(actor: Authenticated): Access | undefined {
  const cached = snapshots.get(actor.tenantId);
  return cached ? accessIn(cached, actor.user.id) : undefined;
}

/** The tenant's access version as a select column, for `accessAt` (one statement for record and version). */
export const accessVersionColumn = repo.accessVersionOf;

/** Throws permission_denied unless the access allows the action on the module. */
export function assertPermitted(access: Access, module: Module, action: (typeof ACTIONS)[number]): Access {
  if (!access.can(module, action)) throw new AccessError('permission_denied', `your profile does not allow ${action} on ${module}`);
  return access;
}

/** Throws permission_denied unless the actor's profile allows the action on the module. */
export async function requirePermission(
  db: Kysely<Database>,
  actor: Authenticated,
  module: Module,
  action: (typeof ACTIONS)[number],
): Promise<Access> {
  return assertPermitted(await accessOf(db, actor), module, action);
}

/** Fields of a record the actor may not see are taken out of it. */
export function redact<T extends object>(access: Access, module: RecordModule, record: T): T {
  let out: T | undefined;
  for (const field of FIELDS[module]) {
    if (access.field(module, field) === 'hidden' && field in record) {
      out ??= { ...record };
      delete (out as Record<string, unknown>)[field];
    }
  }
  return out ?? record;
}

/** A write naming a hidden or read-only field is refused as a whole. */
export function assertWritable(access: Access, module: RecordModule, input: object): void {
  for (const field of FIELDS[module]) {
    const rule = access.field(module, field);
    if (rule && field in input && (input as Record<string, unknown>)[field] !== undefined) {
      throw new AccessError('field_not_writable', `your profile makes ${field} ${rule === 'hidden' ? 'hidden' : 'read-only'}`);
    }
  }
}

/** Lets other domains tell access control that users' roles, profiles or status changed. */
export async function accessChanged(db: Kysely<Database>, tenantId: string): Promise<void> {
  await repo.bumpAccessVersion(db, tenantId);
}

// --- admin ------------------------------------------------------------------------------------

function assertAdmin(access: Access): void {
  if (!access.isAdmin) throw new AccessError('admin_required', 'only administrators change roles, profiles, groups and sharing');
}

async function adminChange<T>(
  db: Kysely<Database>,
  keyring: Keyring,
  actor: Authenticated,
  what: string,
  work: (trx: Kysely<Database>) => Promise<T>,
): Promise<T> {
  assertAdmin(await accessOf(db, actor));
  return inTransaction(db, async (trx) => {
    const result = await work(trx);
    await repo.bumpAccessVersion(trx, actor.tenantId);
    await recordSecurityEvent(trx, keyring, {
      tenantId: actor.tenantId,
      type: 'access.changed',
      actorUserId: actor.user.id,
      details: { change: what },
    });
    return result;
  });
}

function named(value: string, what: string): string {
  const name = value.trim();
  if (name.length < 1 || name.length > 100) throw new AccessError('invalid_access', `a ${what} name is 1 to 100 characters`);
  return name;
}

function unique<T>(work: Promise<T>, what: string): Promise<T> {
  return work.catch((error: unknown) => {
    if (isUniqueViolation(error)) throw new AccessError('duplicate_name', `a ${what} of that name exists`);
    throw error;
  });
}

export interface Role {
  id: string;
  name: string;
  parentId: string | null;
}

const toRole = (r: { id: string; name: string; parent_id: string | null }): Role => ({ id: r.id, name: r.name, parentId: r.parent_id });

export async function listRoles(db: Kysely<Database>, actor: Authenticated): Promise<Role[]> {
  await loadSnapshot(db, actor.tenantId);
  return (await repo.listRoles(db, actor.tenantId)).map(toRole);
}

async function roleOrThrow(db: Kysely<Database>, tenantId: string, id: string, field = 'role') {
  const role = await repo.findRole(db, tenantId, id);
  if (!role) throw new AccessError('not_found', `no such ${field}`);
  return role;
}

export async function createRole(
  db: Kysely<Database>,
  keyring: Keyring,
  actor: Authenticated,
  input: { name: string; parentId?: string },
): Promise<Role> {
  const snapshot = await loadSnapshot(db, actor.tenantId);
  return adminChange(db, keyring, actor, 'role.created', async (trx) => {
    const parent = await roleOrThrow(trx, actor.tenantId, input.parentId ?? snapshot.rootRoleId, 'parent role');
    const id = newId();
    return toRole(
      await repo.insertRole(trx, actor.tenantId, {
        id,
        name: named(input.name, 'role'),
        parent_id: parent.id,
        path: `${parent.path}${id}/`,
      }),
    );
  });
}

/** Renames and/or moves a role; its subtree moves with it, and it can never go under itself. */
export async function updateRole(
  db: Kysely<Database>,
  keyring: Keyring,
  actor: Authenticated,
  id: string,
  input: { name?: string; parentId?: string },
): Promise<Role> {
  return adminChange(db, keyring, actor, 'role.updated', async (trx) => {
    const role = await roleOrThrow(trx, actor.tenantId, id);
    if (input.name !== undefined) await repo.renameRole(trx, actor.tenantId, id, named(input.name, 'role'));
    if (input.parentId !== undefined && input.parentId !== role.parent_id) {
      if (role.parent_id === null) throw new AccessError('invalid_access', 'the root role stays at the top');
      const parent = await roleOrThrow(trx, actor.tenantId, input.parentId, 'parent role');
      if (parent.path.startsWith(role.path)) throw new AccessError('role_cycle', 'a role cannot move under itself or its own subordinates');
      await repo.moveSubtree(trx, actor.tenantId, id, parent.id, role.path, `${parent.path}${id}/`);
    }
    return toRole((await repo.findRole(trx, actor.tenantId, id))!);
  });
}

/** Deletes a leaf role; its users move to the role named. */
export async function deleteRole(
  db: Kysely<Database>,
  keyring: Keyring,
  actor: Authenticated,
  id: string,
  moveUsersTo: string | undefined,
): Promise<void> {
  await adminChange(db, keyring, actor, 'role.deleted', async (trx) => {
    const role = await roleOrThrow(trx, actor.tenantId, id);
    if (role.parent_id === null) throw new AccessError('in_use', 'the root role cannot be deleted');
    if (await repo.hasChildRoles(trx, actor.tenantId, id)) throw new AccessError('in_use', 'move or delete the roles below it first');
    if (!moveUsersTo) throw new AccessError('invalid_access', 'name the role its users move to (moveUsersTo)');
    if (moveUsersTo === id) throw new AccessError('invalid_access', 'users cannot move to the role being deleted');
    await roleOrThrow(trx, actor.tenantId, moveUsersTo, 'role to move users to');
    await repo.moveUsersToRole(trx, actor.tenantId, id, moveUsersTo);
    await repo.deleteRole(trx, actor.tenantId, id);
  });
}

export interface Profile {
  id: string;
  name: string;
  isAdmin: boolean;
  permissions: Record<string, ModuleActions>;
  fields: Record<string, Record<string, FieldRule>>;
}

const toProfile = (p: {
  id: string;
  name: string;
  is_admin: boolean;
  permissions: Record<string, ModuleActions>;
  fields: Record<string, Record<string, FieldRule>>;
}): Profile => ({
  id: p.id,
  name: p.name,
  isAdmin: p.is_admin,
  permissions: p.permissions,
  fields: p.fields,
});

function permissionsOf(input: Record<string, Partial<ModuleActions>>): Record<string, ModuleActions> {
  const result: Record<string, ModuleActions> = {};
  for (const [module, actions] of Object.entries(input)) {
    if (!(MODULES as readonly string[]).includes(module)) throw new AccessError('invalid_access', `there is no module "${module}"`);
    const known: readonly string[] = [...ACTIONS, ...(MODULE_ACTIONS[module as Module] ?? [])];
    const unknown = Object.keys(actions).find((a) => !known.includes(a));
    if (unknown) throw new AccessError('invalid_access', `${module} has no action "${unknown}" (actions: ${known.join(', ')})`);
    result[module] = Object.fromEntries(known.map((a) => [a, actions[a as keyof ModuleActions] === true]));
  }
  return result;
}

function fieldsOf(input: Record<string, Record<string, string>> | undefined): Record<string, Record<string, FieldRule>> {
  const result: Record<string, Record<string, FieldRule>> = {};
  for (const [module, fields] of Object.entries(input ?? {})) {
    if (!(RECORD_MODULES as readonly string[]).includes(module))
      throw new AccessError('invalid_access', `module "${module}" has no field permissions`);
    const known = FIELDS[module as RecordModule];
    for (const [field, rule] of Object.entries(fields)) {
      if (!known.includes(field))
        throw new AccessError('invalid_access', `${module} has no field "${field}" (fields: ${known.join(', ')})`);
      if (rule !== 'hidden' && rule !== 'readonly') throw new AccessError('invalid_access', 'a field is "hidden" or "readonly"');
      (result[module] ??= {})[field] = rule;
    }
  }
  return result;
}

export async function listProfiles(db: Kysely<Database>, actor: Authenticated): Promise<Profile[]> {
  await loadSnapshot(db, actor.tenantId);
  return (await repo.listProfiles(db, actor.tenantId)).map(toProfile);
}

export async function createProfile(
  db: Kysely<Database>,
  keyring: Keyring,
  actor: Authenticated,
  input: { name: string; permissions: Record<string, Partial<ModuleActions>>; fields?: Record<string, Record<string, string>> },
): Promise<Profile> {
  return adminChange(db, keyring, actor, 'profile.created', async (trx) =>
    toProfile(
      await unique(
        repo.insertProfile(trx, actor.tenantId, {
          id: newId(),
          name: named(input.name, 'profile'),
          permissions: JSON.stringify(permissionsOf(input.permissions)),
          fields: JSON.stringify(fieldsOf(input.fields)),
        }),
        'profile',
      ),
    ),
  );
}

export async function updateProfile(
  db: Kysely<Database>,
  keyring: Keyring,
  actor: Authenticated,
  id: string,
  input: { name?: string; permissions?: Record<string, Partial<ModuleActions>>; fields?: Record<string, Record<string, string>> },
): Promise<Profile> {
  return adminChange(db, keyring, actor, 'profile.updated', async (trx) => {
    const current = await repo.findProfile(trx, actor.tenantId, id);
    if (!current) throw new AccessError('not_found', 'no such profile');
    if (current.is_admin) throw new AccessError('invalid_access', 'the Administrator profile always allows everything');
    const row = await unique(
      repo.updateProfile(trx, actor.tenantId, id, {
        ...(input.name !== undefined ? { name: named(input.name, 'profile') } : {}),
        ...(input.permissions !== undefined ? { permissions: JSON.stringify(permissionsOf(input.permissions)) } : {}),
        ...(input.fields !== undefined ? { fields: JSON.stringify(fieldsOf(input.fields)) } : {}),
      }),
      'profile',
    );
    return toProfile(row!);
  });
}

export async function deleteProfile(db: Kysely<Database>, keyring: Keyring, actor: Authenticated, id: string): Promise<void> {
  await adminChange(db, keyring, actor, 'profile.deleted', async (trx) => {
    const current = await repo.findProfile(trx, actor.tenantId, id);
    if (!current) throw new AccessError('not_found', 'no such profile');
    if (current.is_admin || current.name === 'Standard') throw new AccessError('in_use', 'the built-in profiles stay');
    if (await repo.profileInUse(trx, actor.tenantId, id)) throw new AccessError('in_use', 'users still have this profile');
    await repo.deleteProfile(trx, actor.tenantId, id);
  });
}

export interface Group {
  id: string;
  name: string;
  memberIds: string[];
  roleIds: string[];
}

export async function listGroups(db: Kysely<Database>, actor: Authenticated): Promise<Group[]> {
  const snapshot = await loadSnapshot(db, actor.tenantId);
  return (await repo.listGroups(db, actor.tenantId)).map((g) => ({
    id: g.id,
    name: g.name,
    memberIds: [...(snapshot.groups.get(g.id)?.userIds ?? [])].sort(),
    roleIds: [...(snapshot.groups.get(g.id)?.roleIds ?? [])].sort(),
  }));
}

async function members(trx: Kysely<Database>, tenantId: string, memberIds: string[], roleIds: string[]) {
  const users = [...new Set(memberIds)];
  if ((await repo.activeUserIds(trx, tenantId, users)).length !== users.length)
    throw new AccessError('invalid_access', 'memberIds must name active users');
  for (const roleId of new Set(roleIds)) await roleOrThrow(trx, tenantId, roleId);
  return { users, roles: [...new Set(roleIds)] };
}

export async function createGroup(
  db: Kysely<Database>,
  keyring: Keyring,
  actor: Authenticated,
  input: { name: string; memberIds?: string[]; roleIds?: string[] },
): Promise<Group> {
  return adminChange(db, keyring, actor, 'group.created', async (trx) => {
    const m = await members(trx, actor.tenantId, input.memberIds ?? [], input.roleIds ?? []);
    const group = await unique(repo.insertGroup(trx, actor.tenantId, { id: newId(), name: named(input.name, 'group') }), 'group');
    await repo.replaceGroupMembers(trx, actor.tenantId, group.id, m.users, m.roles);
    return { id: group.id, name: group.name, memberIds: m.users.sort(), roleIds: m.roles.sort() };
  });
}

export async function updateGroup(
  db: Kysely<Database>,
  keyring: Keyring,
  actor: Authenticated,
  id: string,
  input: { name?: string; memberIds?: string[]; roleIds?: string[] },
): Promise<Group> {
  await adminChange(db, keyring, actor, 'group.updated', async (trx) => {
    if (!(await repo.findGroup(trx, actor.tenantId, id))) throw new AccessError('not_found', 'no such group');
    if (input.name !== undefined) await unique(repo.renameGroup(trx, actor.tenantId, id, named(input.name, 'group')), 'group');
    if (input.memberIds !== undefined || input.roleIds !== undefined) {
      const current = (await loadSnapshot(trx, actor.tenantId)).groups.get(id);
      const m = await members(
        trx,
        actor.tenantId,
        input.memberIds ?? [...(current?.userIds ?? [])],
        input.roleIds ?? [...(current?.roleIds ?? [])],
      );
      await repo.replaceGroupMembers(trx, actor.tenantId, id, m.users, m.roles);
    }
  });
  const group = (await listGroups(db, actor)).find((g) => g.id === id);
  return group!;
}

export async function deleteGroup(db: Kysely<Database>, keyring: Keyring, actor: Authenticated, id: string): Promise<void> {
  await adminChange(db, keyring, actor, 'group.deleted', async (trx) => {
    if (!(await repo.findGroup(trx, actor.tenantId, id))) throw new AccessError('not_found', 'no such group');
    await repo.deleteGroup(trx, actor.tenantId, id);
  });
}

export async function sharingDefaults(db: Kysely<Database>, actor: Authenticated): Promise<Record<RecordModule, SharingLevel>> {
  const snapshot = await loadSnapshot(db, actor.tenantId);
  return Object.fromEntries(RECORD_MODULES.map((m) => [m, snapshot.defaults.get(m) ?? 'public_write'])) as Record<
    RecordModule,
    SharingLevel
  >;
}

export async function setSharingDefaults(
  db: Kysely<Database>,
  keyring: Keyring,
  actor: Authenticated,
  input: Partial<Record<string, SharingLevel>>,
): Promise<Record<RecordModule, SharingLevel>> {
  await adminChange(db, keyring, actor, 'sharing.defaults', async (trx) => {
    for (const [module, level] of Object.entries(input)) {
      if (!(RECORD_MODULES as readonly string[]).includes(module))
        throw new AccessError('invalid_access', `there is no record module "${module}"`);
      await repo.setSharingDefault(trx, actor.tenantId, module, level!);
    }
  });
  return sharingDefaults(db, actor);
}

export interface SharingRuleView {
  id: string;
  module: string;
  from: { kind: 'role' | 'group'; id: string };
  to: { kind: 'role' | 'group'; id: string };
  access: 'read' | 'write';
}

const toRule = (r: {
  id: string;
  module: string;
  from_kind: 'role' | 'group';
  from_id: string;
  to_kind: 'role' | 'group';
  to_id: string;
  access: 'read' | 'write';
}): SharingRuleView => ({
  id: r.id,
  module: r.module,
  from: { kind: r.from_kind, id: r.from_id },
  to: { kind: r.to_kind, id: r.to_id },
  access: r.access,
});

export async function listSharingRules(db: Kysely<Database>, actor: Authenticated): Promise<SharingRuleView[]> {
  assertAdmin(await accessOf(db, actor));
  return (await repo.listSharingRules(db, actor.tenantId)).map(toRule);
}

export async function createSharingRule(
  db: Kysely<Database>,
  keyring: Keyring,
  actor: Authenticated,
  input: Omit<SharingRuleView, 'id'>,
): Promise<SharingRuleView> {
  return adminChange(db, keyring, actor, 'sharing.rule_created', async (trx) => {
    if (!(RECORD_MODULES as readonly string[]).includes(input.module))
      throw new AccessError('invalid_access', `there is no record module "${input.module}"`);
    for (const end of [input.from, input.to]) {
      if (end.kind === 'role') await roleOrThrow(trx, actor.tenantId, end.id);
      else if (!(await repo.findGroup(trx, actor.tenantId, end.id))) throw new AccessError('not_found', 'no such group');
    }
    return toRule(
      await repo.insertSharingRule(trx, actor.tenantId, {
        id: newId(),
        module: input.module,
        from_kind: input.from.kind,
        from_id: input.from.id,
        to_kind: input.to.kind,
        to_id: input.to.id,
        access: input.access,
      }),
    );
  });
}

export async function deleteSharingRule(db: Kysely<Database>, keyring: Keyring, actor: Authenticated, id: string): Promise<void> {
  await adminChange(db, keyring, actor, 'sharing.rule_deleted', async (trx) => {
    if (!(await repo.deleteSharingRule(trx, actor.tenantId, id))) throw new AccessError('not_found', 'no such sharing rule');
  });
}

/**
 * Gives a user a role and a profile (on creation, or later). The
 * Administrator profile makes them an administrator; taking it from the last
 * active one is refused.
 */
export async function assignUserAccess(
  db: Kysely<Database>,
  keyring: Keyring,
  actor: Authenticated,
  userId: string,
  input: { roleId?: string; profileId?: string },
  countOtherActiveAdmins: (trx: Kysely<Database>) => Promise<number>,
): Promise<{ isAdmin: boolean | undefined }> {
  if (input.roleId === undefined && input.profileId === undefined) return { isAdmin: undefined };
  return adminChange(db, keyring, actor, 'user.access', async (trx) => {
    const values: { role_id?: string; profile_id?: string; is_admin?: boolean } = {};
    if (input.roleId !== undefined) values.role_id = (await roleOrThrow(trx, actor.tenantId, input.roleId)).id;
    if (input.profileId !== undefined) {
      const profile = await repo.findProfile(trx, actor.tenantId, input.profileId);
      if (!profile) throw new AccessError('not_found', 'no such profile');
      values.profile_id = profile.id;
      values.is_admin = profile.is_admin;
      if (!profile.is_admin) {
        const snapshot = await loadSnapshot(trx, actor.tenantId);
        const was = snapshot.users.get(userId);
        if (was && snapshot.profiles.get(was.profileId)?.isAdmin && (await countOtherActiveAdmins(trx)) === 0) {
          throw new AccessError('last_admin', 'the tenant needs at least one active administrator');
        }
      }
    }
    await repo.setUserAccess(trx, actor.tenantId, userId, values);
    return { isAdmin: values.is_admin };
  });
}
