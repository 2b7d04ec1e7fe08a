import { queryOptions } from '@tanstack/react-query';
import { api, data } from '../../api/client';
import type { paths } from '../../api/schema';

type Json<T> = T extends { content: { 'application/json': infer B } } ? B : never;

export type User = Json<paths['/api/v1/users/{id}']['get']['responses'][200]>;
export type Role = Json<paths['/api/v1/roles']['get']['responses'][200]>['items'][number];
export type Profile = Json<paths['/api/v1/profiles']['get']['responses'][200]>['items'][number];
export type Group = Json<paths['/api/v1/groups']['get']['responses'][200]>['items'][number];
export type SharingDefaults = Json<paths['/api/v1/sharing/defaults']['get']['responses'][200]>;
export type SharingRule = Json<paths['/api/v1/sharing/rules']['get']['responses'][200]>['items'][number];
export type SecurityEvent = Json<paths['/api/v1/security-events']['get']['responses'][200]>['items'][number];
export type AuditPage = Json<paths['/api/v1/audit']['get']['responses'][200]>;
export type AuditEntry = AuditPage['items'][number];
export type AuditFilters = NonNullable<paths['/api/v1/audit']['get']['parameters']['query']>;

/** What the server's access policy knows (src/access/policy.ts); the API takes these names. */
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
export const ACTIONS = ['view', 'create', 'edit', 'delete', 'export'] as const;
/** Actions only one module has. */
export const MODULE_ACTIONS: Partial<Record<(typeof MODULES)[number], readonly string[]>> = { audit: ['allValues'] };
export const RECORD_MODULES = ['organizations', 'contacts', 'leads', 'deals', 'activities'] as const;
export type RecordModule = (typeof RECORD_MODULES)[number];
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
export const SHARING_LEVELS = ['private', 'public_read', 'public_write'] as const;

export const usersQuery = queryOptions({
  queryKey: ['admin', 'users'],
  queryFn: async () => (await data(api.GET('/api/v1/users'))).items,
});
/** Users whose name has a word starting with `q` (the API's search). */
export const usersSearchQuery = (q: string) =>
  queryOptions({
    queryKey: ['admin', 'users', { q }],
    queryFn: async () => (await data(api.GET('/api/v1/users', { params: { query: q ? { q } : {} } }))).items,
  });
export const rolesQuery = queryOptions({
  queryKey: ['admin', 'roles'],
  queryFn: async () => (await data(api.GET('/api/v1/roles'))).items,
});
export const profilesQuery = queryOptions({
  queryKey: ['admin', 'profiles'],
  queryFn: async () => (await data(api.GET('/api/v1/profiles'))).items,
});
export const groupsQuery = queryOptions({
  queryKey: ['admin', 'groups'],
  queryFn: async () => (await data(api.GET('/api/v1/groups'))).items,
});
export const sharingDefaultsQuery = queryOptions({
  queryKey: ['admin', 'sharing', 'defaults'],
  queryFn: () => data(api.GET('/api/v1/sharing/defaults')),
});
export const sharingRulesQuery = queryOptions({
  queryKey: ['admin', 'sharing', 'rules'],
  queryFn: async () => (await data(api.GET('/api/v1/sharing/rules'))).items,
});
export const securitySettingsQuery = queryOptions({
  queryKey: ['admin', 'security', 'settings'],
  queryFn: () => data(api.GET('/api/v1/settings/security')),
});
export const securityEventsQuery = queryOptions({
  queryKey: ['admin', 'security', 'events'],
  queryFn: async () => (await data(api.GET('/api/v1/security-events', { params: { query: { limit: 50 } } }))).items,
});

/** Roles in tree order (root first, children under their parent), with their depth. */
export function roleTree(roles: Role[]): Array<{ role: Role; depth: number }> {
  const children = new Map<string | null, Role[]>();
  for (const role of roles) children.set(role.parentId, [...(children.get(role.parentId) ?? []), role]);
  const out: Array<{ role: Role; depth: number }> = [];
  const walk = (parentId: string | null, depth: number) => {
    for (const role of (children.get(parentId) ?? []).sort((a, b) => a.name.localeCompare(b.name))) {
      out.push({ role, depth });
      walk(role.id, depth + 1);
    }
  };
  walk(null, 0);
  return out;
}

/** A role and every role below it: where it may not move to. */
export function subtreeOf(roles: Role[], id: string): Set<string> {
  const ids = new Set([id]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const role of roles) {
      if (role.parentId && ids.has(role.parentId) && !ids.has(role.id)) {
        ids.add(role.id);
        grew = true;
      }
    }
  }
  return ids;
}

/** The roles a role may hang under, in tree order and indented by depth, without the excluded ones. */
export function parentOptions(roles: Role[], excluded: Set<string>): Array<{ value: string; label: string }> {
  return roleTree(roles)
    .filter(({ role }) => !excluded.has(role.id))
    .map(({ role, depth }) => ({ value: role.id, label: `${'— '.repeat(depth)}${role.name}` }));
}

export type BackupsOverview = Json<paths['/api/v1/backups']['get']['responses'][200]>;
export type BackupItem = BackupsOverview['items'][number];

/** A backup still being made: the list is refreshed until none is. */
export const isBackupRunning = (item: Pick<BackupItem, 'status'>) => item.status === 'running';

export const backupsQuery = queryOptions({
  queryKey: ['admin', 'backups'],
  queryFn: () => data(api.GET('/api/v1/backups')),
  refetchInterval: (query) => (query.state.data?.items.some(isBackupRunning) ? 2000 : false),
});

/** Starts a backup of the caller's tenant (202); 409 backup_running when one is under way, 429 backup_rate_limited. */
export const startTenantBackup = () => data(api.POST('/api/v1/backups'));
