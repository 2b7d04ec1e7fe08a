import { Select, TagsInput, type SelectProps, type TagsInputProps } from '@mantine/core';
import { queryOptions, useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api, data } from '../api/client';
import './i18n';
import { usePermissions } from './permissions';

export const usersQuery = queryOptions({
  queryKey: ['users'],
  queryFn: async () => (await data(api.GET('/api/v1/users'))).items,
  staleTime: 60_000,
});
export const groupsQuery = queryOptions({
  queryKey: ['groups'],
  queryFn: async () => (await data(api.GET('/api/v1/groups'))).items,
  staleTime: 60_000,
});
export const tagsQuery = queryOptions({
  queryKey: ['tags'],
  queryFn: () => data(api.GET('/api/v1/tags')),
  staleTime: 30_000,
});

/**
 * Users' names by id. Only administrators may list users (GET /users), so anyone
 * else knows their own name and sees "another user" for the rest.
 */
export function useUserNames(): (userId: string | null | undefined) => string {
  const { t } = useTranslation();
  const { me, isAdmin } = usePermissions();
  const users = useQuery({ ...usersQuery, enabled: isAdmin });
  return (userId) => {
    if (!userId) return '';
    if (me && userId === me.id) return t('components.owner.me', { name: me.name });
    return users.data?.find((user) => user.id === userId)?.name ?? t('components.owner.other');
  };
}

type PickerProps = Omit<SelectProps, 'data'>;

/** Picks a user as owner: every active user for administrators, yourself for everyone else. */
export function OwnerPicker(props: PickerProps) {
  const { t } = useTranslation();
  const { me, isAdmin } = usePermissions();
  const users = useQuery({ ...usersQuery, enabled: isAdmin });
  const options = isAdmin
    ? (users.data ?? [])
        .filter((user) => user.status === 'active')
        .map((user) => ({ value: user.id, label: user.id === me?.id ? t('components.owner.me', { name: user.name }) : user.name }))
    : me
      ? [{ value: me.id, label: t('components.owner.me', { name: me.name }) }]
      : [];
  return <Select label={t('components.filters.owner')} data={options} searchable clearable {...props} />;
}

/** Picks one of the tenant's groups. */
export function GroupPicker(props: PickerProps) {
  const { t } = useTranslation();
  const groups = useQuery(groupsQuery);
  const options = (groups.data ?? []).map((group) => ({ value: group.id, label: group.name }));
  return <Select label={t('components.filters.group')} data={options} searchable clearable {...props} />;
}

/** Picks one existing tag by name (for filters). */
export function TagPicker(props: PickerProps) {
  const { t } = useTranslation();
  const tags = useQuery(tagsQuery);
  const options = (tags.data ?? []).map((tag) => tag.name);
  return <Select label={t('components.filters.tag')} data={options} searchable clearable {...props} />;
}

/** Tags of a record in a form: existing names are suggested, a new name makes a new tag. */
export function TagsField(props: Omit<TagsInputProps, 'data'>) {
  const tags = useQuery(tagsQuery);
  return <TagsInput data={(tags.data ?? []).map((tag) => tag.name)} clearable {...props} />;
}
