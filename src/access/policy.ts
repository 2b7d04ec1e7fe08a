import type { ModuleActions, SharingLevel } from '../db/schema.js';

/**
 * Who may do what, decided from a tenant's access snapshot without touching
 * the database: one answer per (actor, module, action) and, for records, the
 * set of owners whose records the actor reaches. Lists turn that set into an
 * SQL predicate, single records are checked against the same set, so a list
 * can never show what a direct read would refuse.
 */

export const MODULES = [
  'organizations',
  'contacts',
  'leads',
  'deals',
  'activities',
  'notes',
  'files',
  'privacy',
  'campaigns',
  'audit',
  'settings',
] as const;
export type Module = (typeof MODULES)[number];
export const ACTIONS = ['view', 'create', 'edit', 'delete', 'export'] as const;
/**
 * Actions only one module has. `audit.allValues`: every old and new value in
 * the audit trail, also of records and fields the holder's reach and profile
 * withhold (a privacy officer's permission; off unless a profile grants it,
 * every use recorded). Administrators hold it as they hold everything.
 */
export const MODULE_ACTIONS: Partial<Record<Module, readonly ModuleAction[]>> = { audit: ['allValues'] };
export type ModuleAction = 'allValues';
export type Action = (typeof ACTIONS)[number] | ModuleAction;
/** Modules whose records have an owner and follow the sharing model. */
export const RECORD_MODULES = ['organizations', 'contacts', 'leads', 'deals', 'activities'] as const;
export type RecordModule = (typeof RECORD_MODULES)[number];

/** Fields a profile may hide or make read-only, per module (API names; custom fields as custom.<key>). */
export const FIELDS: Record<RecordModule, readonly string[]> = {
  contacts: [
    'firstName',
    'lastName',
    'emails',
    'phones',
    'jobTitle',
    'address',
    'birthday',
    'language',
    'organizationId',
    'tags',
    'lawfulBasis',
  ],
  leads: [
    'firstName',
    'lastName',
    'emails',
    'phones',
    'jobTitle',
    'address',
    'birthday',
    'language',
    'company',
    'source',
    'status',
    'rating',
    'tags',
    'lawfulBasis',
  ],
  organizations: ['domain', 'industry', 'website', 'phone', 'address', 'tags'],
  deals: ['amount', 'currency', 'expectedCloseDate', 'organizationId', 'contactIds', 'lostReason', 'tags'],
  activities: ['description', 'dueAt', 'startAt', 'endAt', 'contactId', 'leadId', 'organizationId', 'dealId'],
};

export type FieldRule = 'hidden' | 'readonly';

export interface ProfileRules {
  id: string;
  isAdmin: boolean;
  permissions: Partial<Record<string, ModuleActions>>;
  fields: Partial<Record<string, Record<string, FieldRule>>>;
}

export interface SharingRule {
  module: string;
  from: { kind: 'role' | 'group'; id: string };
  to: { kind: 'role' | 'group'; id: string };
  access: 'read' | 'write';
}

/** Everything about a tenant's access model, loaded once per change. */
export interface AccessSnapshot {
  version: string;
  rootRoleId: string;
  /** role id → ids from the root down, '/'-separated, ending in '/'. */
  rolePaths: Map<string, string>;
  /** user id → role (the root when unset) and profile. */
  users: Map<string, { roleId: string; profileId: string; active: boolean }>;
  profiles: Map<string, ProfileRules>;
  /** group id → its members: users directly and users of its roles. */
  groups: Map<string, { userIds: Set<string>; roleIds: Set<string> }>;
  defaults: Map<string, SharingLevel>;
  rules: SharingRule[];
}

/** A decided set of owners: every record, or those owned by these users or assigned to these groups. */
export type OwnerScope = { all: true } | { all: false; ownerIds: string[]; groupIds: string[] };

/** Who owns a record: its user, and the group it is assigned to, if any. */
export interface Ownership {
  ownerId: string;
  ownerGroupId?: string | null;
}

export interface Access {
  userId: string;
  isAdmin: boolean;
  can(module: Module, action: Action): boolean;
  /** Whose records the actor reaches in a module, to read or to change. */
  owners(module: RecordModule, mode: 'read' | 'write'): OwnerScope;
  mayRead(module: RecordModule, owner: Ownership): boolean;
  mayWrite(module: RecordModule, owner: Ownership): boolean;
  /** Groups the actor belongs to, directly or through their role. */
  groupIds: ReadonlySet<string>;
  groupExists(groupId: string): boolean;
  field(module: RecordModule, field: string): FieldRule | undefined;
}

function groupsOf(snapshot: AccessSnapshot, userId: string, roleId: string): Set<string> {
  const result = new Set<string>();
  for (const [id, g] of snapshot.groups) if (g.userIds.has(userId) || g.roleIds.has(roleId)) result.add(id);
  return result;
}

function usersOfRole(snapshot: AccessSnapshot, roleId: string): string[] {
  return [...snapshot.users].filter(([, u]) => u.roleId === roleId).map(([id]) => id);
}

function usersOfGroup(snapshot: AccessSnapshot, groupId: string): string[] {
  const group = snapshot.groups.get(groupId);
  if (!group) return [];
  return [...snapshot.users].filter(([id, u]) => group.userIds.has(id) || group.roleIds.has(u.roleId)).map(([id]) => id);
}

/** The actor's access, decided from the snapshot. */
export function accessFor(snapshot: AccessSnapshot, userId: string): Access {
  const me = snapshot.users.get(userId);
  const profile = me ? snapshot.profiles.get(me.profileId) : undefined;
  const isAdmin = Boolean(me?.active && profile?.isAdmin);
  const myRole = me?.roleId ?? snapshot.rootRoleId;
  const myPath = snapshot.rolePaths.get(myRole) ?? '';
  const myGroups = groupsOf(snapshot, userId, myRole);

  // Hierarchy: users in roles strictly below mine (not siblings, not above, not my own role's peers).
  const below = [...snapshot.users]
    .filter(([, u]) => {
      const path = snapshot.rolePaths.get(u.roleId) ?? '';
      return path !== myPath && path.startsWith(myPath);
    })
    .map(([id]) => id);

  const cache = new Map<string, OwnerScope>();
  const owners = (module: RecordModule, mode: 'read' | 'write'): OwnerScope => {
    const key = `${module}:${mode}`;
    const cached = cache.get(key);
    if (cached) return cached;
    let scope: OwnerScope;
    const level = snapshot.defaults.get(module) ?? 'public_write';
    if (isAdmin || level === 'public_write' || (mode === 'read' && level === 'public_read')) scope = { all: true };
    else {
      const ids = new Set<string>([userId, ...below]);
      // A record assigned to one of my groups is mine as much as its owner's.
      const groups = new Set<string>(myGroups);
      for (const rule of snapshot.rules) {
        if (rule.module !== module || (mode === 'write' && rule.access !== 'write')) continue;
        const applies = rule.to.kind === 'role' ? rule.to.id === myRole : myGroups.has(rule.to.id);
        if (!applies) continue;
        if (rule.from.kind === 'group') groups.add(rule.from.id);
        for (const id of rule.from.kind === 'role' ? usersOfRole(snapshot, rule.from.id) : usersOfGroup(snapshot, rule.from.id))
          ids.add(id);
      }
      scope = { all: false, ownerIds: [...ids].sort(), groupIds: [...groups].sort() };
    }
    cache.set(key, scope);
    return scope;
  };

  const can = (module: Module, action: Action): boolean => {
    if (!me?.active) return false;
    if (isAdmin) return true;
    return profile?.permissions[module]?.[action] === true;
  };

  const reaches = (scope: OwnerScope, owner: Ownership) =>
    scope.all || scope.ownerIds.includes(owner.ownerId) || (owner.ownerGroupId != null && scope.groupIds.includes(owner.ownerGroupId));

  return {
    userId,
    isAdmin,
    can,
    owners,
    mayRead: (module, owner) => can(module, 'view') && reaches(owners(module, 'read'), owner),
    mayWrite: (module, owner) => can(module, 'view') && reaches(owners(module, 'write'), owner),
    groupIds: myGroups,
    groupExists: (groupId) => snapshot.groups.has(groupId),
    field: (module, field) => (isAdmin ? undefined : profile?.fields[module]?.[field]),
  };
}

/** The Standard profile: every action on the CRM's records, nothing of settings, audit or privacy. */
export const STANDARD_PERMISSIONS: Record<string, ModuleActions> = Object.fromEntries(
  (['organizations', 'contacts', 'leads', 'deals', 'activities', 'notes', 'files'] as const).map((m) => [
    m,
    { view: true, create: true, edit: true, delete: true, export: true },
  ]),
);
