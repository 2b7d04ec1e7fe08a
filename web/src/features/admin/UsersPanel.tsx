import { Alert, Badge, Button, Group, Modal, PasswordInput, Select, Stack, Switch, Table, Text, TextInput, Title } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useDebouncedValue } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, data } from '../../api/client';
import { appRoute } from '../../app/app-route';
import { Loading } from '../../app/RouteStates';
import { useFormat } from '../../i18n/format';
import { PRIMARY } from './theme';
import { closable, fieldErrorsOf, problemMessage } from './problems';
import { profilesQuery, roleTree, rolesQuery, usersSearchQuery, type User } from './queries';

/** Users: create with a password or invite by e-mail (with role and profile), change, deactivate or reactivate, reset a lost 2FA device. */
export function UsersPanel() {
  const { t } = useTranslation();
  const format = useFormat();
  const queryClient = useQueryClient();
  const { session } = appRoute.useRouteContext();
  const [search, setSearch] = useState('');
  const [q] = useDebouncedValue(search.trim(), 300);
  const users = useQuery({ ...usersSearchQuery(q), placeholderData: keepPreviousData });
  const roles = useQuery(rolesQuery);
  const profiles = useQuery(profilesQuery);
  const [editing, setEditing] = useState<User | 'new' | null>(null);

  const refresh = () => queryClient.invalidateQueries({ queryKey: ['admin', 'users'] });
  const change = useMutation({
    mutationFn: async ({ user, status }: { user: User; status: User['status'] }) =>
      data(api.PATCH('/api/v1/users/{id}', { params: { path: { id: user.id } }, body: { status } })),
    onSuccess: (user) => {
      notifications.show({
        message: t(user.status === 'active' ? 'admin.users.reactivated' : 'admin.users.deactivated', { name: user.name }),
      });
      return refresh();
    },
    onError: (error) => notifications.show({ ...closable(t), color: 'red', message: problemMessage(error, t) }),
  });
  const resetMfa = useMutation({
    mutationFn: async (user: User) => data(api.POST('/api/v1/users/{id}/mfa/reset', { params: { path: { id: user.id } } })),
    onSuccess: (user) => {
      notifications.show({ ...closable(t), message: t('admin.users.mfaWasReset', { name: user.name }) });
      return refresh();
    },
    onError: (error) => notifications.show({ ...closable(t), color: 'red', message: problemMessage(error, t) }),
  });

  const resendInvitation = useMutation({
    mutationFn: async (user: User) => data(api.POST('/api/v1/users/{id}/invitation', { params: { path: { id: user.id } } })),
    onSuccess: (user) => {
      notifications.show({ ...closable(t), message: t('admin.users.invitationResent', { name: user.name }) });
      return refresh();
    },
    onError: (error) => notifications.show({ ...closable(t), color: 'red', message: problemMessage(error, t) }),
  });

  if (users.isPending || roles.isPending || profiles.isPending) return <Loading />;
  if (users.isError) return <Alert color="red">{problemMessage(users.error, t)}</Alert>;

  const roleName = (id: string | null) =>
    id ? (roles.data?.find((r) => r.id === id)?.name ?? '—') : (roles.data?.find((r) => r.parentId === null)?.name ?? '—');
  const profileName = (user: User) =>
    user.profileId
      ? (profiles.data?.find((p) => p.id === user.profileId)?.name ?? '—')
      : t(user.isAdmin ? 'admin.users.administrator' : 'admin.users.standard');

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{t('admin.users.title')}</Title>
        <Button color={PRIMARY} onClick={() => setEditing('new')}>
          {t('admin.users.create')}
        </Button>
      </Group>
      <Text size="sm" c="dimmed">
        {t('admin.users.noInvite')}
      </Text>
      <TextInput
        label={t('admin.users.search')}
        value={search}
        onChange={(event) => setSearch(event.currentTarget.value)}
        maw={400}
        type="search"
      />
      {users.data.length === 0 && <Text c="dimmed">{t('admin.users.noneFound')}</Text>}
      <Table.ScrollContainer minWidth={1000}>
        <Table striped highlightOnHover>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('admin.users.name')}</Table.Th>
              <Table.Th>{t('admin.users.email')}</Table.Th>
              <Table.Th>{t('admin.users.role')}</Table.Th>
              <Table.Th>{t('admin.users.profile')}</Table.Th>
              <Table.Th>{t('admin.users.status')}</Table.Th>
              <Table.Th>{t('admin.users.twoFactor')}</Table.Th>
              <Table.Th>{t('admin.users.createdAt')}</Table.Th>
              <Table.Th>{t('admin.actions')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {users.data.map((user) => (
              <Table.Tr key={user.id}>
                <Table.Td>
                  {user.name}{' '}
                  {user.isAdmin && (
                    <Badge variant="outline" color="blue.9">
                      {t('admin.users.admin')}
                    </Badge>
                  )}{' '}
                  {user.invitationPending && (
                    <Badge variant="outline" color="grape.9" title={t('admin.users.invitedTitle')}>
                      {t('admin.users.invited')}
                    </Badge>
                  )}
                </Table.Td>
                <Table.Td>{user.email}</Table.Td>
                <Table.Td>{roleName(user.roleId)}</Table.Td>
                <Table.Td>{profileName(user)}</Table.Td>
                <Table.Td>
                  <Text size="sm" fw={600} c={user.status === 'active' ? 'teal.9' : 'gray.8'}>
                    {t(`admin.users.statuses.${user.status}`)}
                  </Text>
                </Table.Td>
                <Table.Td>{t(user.mfaEnabled ? 'admin.users.mfaOn' : 'admin.users.mfaOff')}</Table.Td>
                <Table.Td>{format.date(user.createdAt)}</Table.Td>
                <Table.Td>
                  <Group gap="xs" wrap="nowrap">
                    <Button
                      size="xs"
                      variant="default"
                      onClick={() => setEditing(user)}
                      aria-label={t('admin.users.editNamed', { name: user.name })}
                    >
                      {t('admin.edit')}
                    </Button>
                    {user.id !== session.user.id && (
                      <Button
                        size="xs"
                        variant="default"
                        color={user.status === 'active' ? 'red' : undefined}
                        loading={change.isPending && change.variables.user.id === user.id}
                        onClick={() => change.mutate({ user, status: user.status === 'active' ? 'deactivated' : 'active' })}
                        aria-label={t(user.status === 'active' ? 'admin.users.deactivateNamed' : 'admin.users.reactivateNamed', {
                          name: user.name,
                        })}
                      >
                        {t(user.status === 'active' ? 'admin.users.deactivate' : 'admin.users.reactivate')}
                      </Button>
                    )}
                    {user.invitationPending && user.status === 'active' && (
                      <Button
                        size="xs"
                        variant="default"
                        loading={resendInvitation.isPending && resendInvitation.variables.id === user.id}
                        onClick={() => resendInvitation.mutate(user)}
                        aria-label={t('admin.users.resendInvitationNamed', { name: user.name })}
                      >
                        {t('admin.users.resendInvitation')}
                      </Button>
                    )}
                    {user.mfaEnabled && (
                      <Button
                        size="xs"
                        variant="default"
                        loading={resetMfa.isPending && resetMfa.variables.id === user.id}
                        onClick={() => resetMfa.mutate(user)}
                        aria-label={t('admin.users.resetMfaNamed', { name: user.name })}
                      >
                        {t('admin.users.resetMfa')}
                      </Button>
                    )}
                  </Group>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      <Modal
        closeButtonProps={{ 'aria-label': t('admin.close') }}
        opened={editing !== null}
        onClose={() => setEditing(null)}
        title={editing === 'new' ? t('admin.users.create') : t('admin.users.edit')}
      >
        {editing !== null && (
          <UserForm
            user={editing === 'new' ? null : editing}
            onDone={() => {
              setEditing(null);
              void refresh();
            }}
          />
        )}
      </Modal>
    </Stack>
  );
}

function UserForm({ user, onDone }: { user: User | null; onDone: () => void }) {
  const { t } = useTranslation();
  const roles = useQuery(rolesQuery);
  const profiles = useQuery(profilesQuery);
  const [error, setError] = useState<string | null>(null);
  const root = roles.data?.find((r) => r.parentId === null);
  const form = useForm({
    mode: 'uncontrolled',
    initialValues: {
      name: user?.name ?? '',
      email: user?.email ?? '',
      password: '',
      invite: false,
      roleId: user?.roleId ?? root?.id ?? '',
      profileId: user?.profileId ?? '',
      isAdmin: user?.isAdmin ?? false,
      language: user?.language ?? 'en',
    },
    validate: {
      name: (value) => (value.trim() ? null : t('admin.required')),
      email: (value) => (user || value.trim() ? null : t('admin.required')),
      password: (value, values) => (user || values.invite || value.length >= 8 ? null : t('admin.users.passwordRule')),
    },
  });
  // The form is uncontrolled: the switch's value is mirrored here so the password field can hide.
  const [inviting, setInviting] = useState(false);
  form.watch('invite', ({ value }) => setInviting(value));
  const save = useMutation({
    mutationFn: async (values: typeof form.values) => {
      const common = {
        name: values.name.trim(),
        isAdmin: values.isAdmin,
        language: values.language as 'en' | 'nl',
        ...(values.roleId ? { roleId: values.roleId } : {}),
        ...(values.profileId ? { profileId: values.profileId } : {}),
      };
      if (user) return data(api.PATCH('/api/v1/users/{id}', { params: { path: { id: user.id } }, body: common }));
      const credential = values.invite ? { invite: true } : { password: values.password };
      return data(api.POST('/api/v1/users', { body: { ...common, email: values.email.trim(), ...credential } }));
    },
    onSuccess: (saved) => {
      const message = user ? 'admin.users.saved' : saved.invitationPending ? 'admin.users.invitedCreated' : 'admin.users.created';
      notifications.show({ ...closable(t), message: t(message, { name: saved.name }) });
      onDone();
    },
    onError: (caught) => {
      form.setErrors(fieldErrorsOf(caught, t));
      setError(problemMessage(caught, t));
    },
  });

  return (
    <form onSubmit={form.onSubmit((values) => save.mutate(values))} noValidate>
      <Stack>
        {error && (
          <Alert color="red" role="alert">
            {error}
          </Alert>
        )}
        <TextInput label={t('admin.users.name')} required key={form.key('name')} {...form.getInputProps('name')} />
        {!user && (
          <>
            <TextInput label={t('admin.users.email')} type="email" required key={form.key('email')} {...form.getInputProps('email')} />
            <Switch
              label={t('admin.users.invite')}
              description={t('admin.users.inviteHint')}
              key={form.key('invite')}
              {...form.getInputProps('invite', { type: 'checkbox' })}
            />
            {!inviting && (
              <PasswordInput
                label={t('admin.users.password')}
                description={t('admin.users.passwordRule')}
                required
                autoComplete="new-password"
                key={form.key('password')}
                {...form.getInputProps('password')}
              />
            )}
          </>
        )}
        <Select
          label={t('admin.users.role')}
          data={roleTree(roles.data ?? []).map(({ role, depth }) => ({ value: role.id, label: `${'— '.repeat(depth)}${role.name}` }))}
          allowDeselect={false}
          key={form.key('roleId')}
          {...form.getInputProps('roleId')}
        />
        <Select
          label={t('admin.users.profile')}
          description={t('admin.users.profileHint')}
          data={(profiles.data ?? []).map((p) => ({ value: p.id, label: p.name }))}
          clearable
          key={form.key('profileId')}
          {...form.getInputProps('profileId')}
        />
        <Select
          label={t('admin.users.language')}
          data={[
            { value: 'en', label: t('languages.en') },
            { value: 'nl', label: t('languages.nl') },
          ]}
          allowDeselect={false}
          key={form.key('language')}
          {...form.getInputProps('language')}
        />
        <Switch label={t('admin.users.isAdmin')} key={form.key('isAdmin')} {...form.getInputProps('isAdmin', { type: 'checkbox' })} />
        <Group justify="flex-end">
          <Button color={PRIMARY} type="submit" loading={save.isPending}>
            {t('admin.save')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
