import { queryOptions, useQuery } from '@tanstack/react-query';
import { api, data } from '../api/client';

export const meQuery = queryOptions({
  queryKey: ['me'],
  queryFn: () => data(api.GET('/api/v1/me')),
  staleTime: 60_000,
});

export const profilesQuery = queryOptions({
  queryKey: ['profiles'],
  queryFn: async () => (await data(api.GET('/api/v1/profiles'))).items,
  staleTime: 60_000,
});

export type PermissionModule =
  'organizations' | 'contacts' | 'leads' | 'deals' | 'activities' | 'notes' | 'files' | 'privacy' | 'campaigns' | 'audit' | 'settings';
export type PermissionAction = 'view' | 'create' | 'edit' | 'delete' | 'export';

/**
 * What the signed-in user may do, from GET /me (isAdmin, profileId) and their profile's
 * permissions (a profileId of null means Administrator or Standard, after isAdmin).
 * `can` answers false until both are known, so nothing forbidden flashes into view;
 * when the profiles cannot be read it answers true and leaves the refusal to the API.
 */
export function usePermissions() {
  const me = useQuery(meQuery);
  const profiles = useQuery(profilesQuery);
  const user = me.data;
  const profile = user
    ? (profiles.data?.find((candidate) => candidate.id === user.profileId) ??
      (user.profileId === null ? profiles.data?.find((candidate) => candidate.name === 'Standard' && !candidate.isAdmin) : undefined))
    : undefined;
  const can = (module: PermissionModule, action: PermissionAction): boolean => {
    if (!user) return false;
    if (user.isAdmin) return true;
    if (profiles.isError) return true;
    return profile?.permissions[module]?.[action] === true;
  };
  /** A field the profile hides or makes read-only; hidden fields are also absent from the API's answers. */
  const field = (module: PermissionModule, name: string): 'hidden' | 'readonly' | undefined => {
    if (!user || user.isAdmin) return undefined;
    const rule = profile?.fields[module]?.[name];
    return rule === 'hidden' || rule === 'readonly' ? rule : undefined;
  };
  return { me: user, isAdmin: user?.isAdmin ?? false, can, field, ready: Boolean(user) && (profiles.isSuccess || profiles.isError) };
}
