import { Alert, Button, Group, Modal, MultiSelect, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useForm } from '@mantine/form';
import { notifications } from '@mantine/notifications';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, data } from '../../api/client';
import { Loading } from '../../app/RouteStates';
import { PRIMARY } from './theme';
import { closable, fieldErrorsOf, problemMessage } from './problems';
import { groupsQuery, roleTree, rolesQuery, usersQuery, type Group as UserGroup } from './queries';

/** Groups of users (and of roles: everyone in them), to share records with. */
export function GroupsPanel() {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const groups = useQuery(groupsQuery);
  const users = useQuery(usersQuery);
  const roles = useQuery(rolesQuery);
  const [editing, setEditing] = useState<UserGroup | 'new' | null>(null);
  const remove = useMutation({
    mutationFn: async (group: UserGroup) => data(api.DELETE('/api/v1/groups/{id}', { params: { path: { id: group.id } } })),
    onSuccess: (_, group) => {
      notifications.show({ ...closable(t), message: t('admin.groups.deleted', { name: group.name }) });
      return queryClient.invalidateQueries({ queryKey: ['admin'] });
    },
    onError: (error) => notifications.show({ ...closable(t), color: 'red', message: problemMessage(error, t) }),
  });

  if (groups.isPending) return <Loading />;
  if (groups.isError) return <Alert color="red">{problemMessage(groups.error, t)}</Alert>;
  const userName = (id: string) => users.data?.find((u) => u.id === id)?.name ?? '—';
  const roleName = (id: string) => roles.data?.find((r) => r.id === id)?.name ?? '—';

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{t('admin.groups.title')}</Title>
        <Button color={PRIMARY} onClick={() => setEditing('new')}>
          {t('admin.groups.create')}
        </Button>
      </Group>
      {groups.data.length === 0 ? (
        <Text c="dimmed">{t('admin.groups.none')}</Text>
      ) : (
        <Table.ScrollContainer minWidth={600}>
          <Table striped>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('admin.groups.name')}</Table.Th>
                <Table.Th>{t('admin.groups.members')}</Table.Th>
                <Table.Th>{t('admin.groups.roles')}</Table.Th>
                <Table.Th>{t('admin.actions')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {groups.data.map((group) => (
                <Table.Tr key={group.id}>
                  <Table.Td>{group.name}</Table.Td>
                  <Table.Td>{group.memberIds.map(userName).join(', ') || '—'}</Table.Td>
                  <Table.Td>{group.roleIds.map(roleName).join(', ') || '—'}</Table.Td>
                  <Table.Td>
                    <Group gap="xs" wrap="nowrap">
                      <Button
                        size="xs"
                        variant="default"
                        onClick={() => setEditing(group)}
                        aria-label={t('admin.groups.editNamed', { name: group.name })}
                      >
                        {t('admin.edit')}
                      </Button>
                      <Button
                        size="xs"
                        variant="default"
                        color="red"
                        loading={remove.isPending && remove.variables.id === group.id}
                        onClick={() => remove.mutate(group)}
                        aria-label={t('admin.groups.deleteNamed', { name: group.name })}
                      >
                        {t('admin.delete')}
                      </Button>
                    </Group>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      <Modal
        closeButtonProps={{ 'aria-label': t('admin.close') }}
        opened={editing !== null}
        onClose={() => setEditing(null)}
        title={editing === 'new' ? t('admin.groups.create') : t('admin.groups.edit')}
      >
        {editing !== null && <GroupForm group={editing === 'new' ? null : editing} onDone={() => setEditing(null)} />}
      </Modal>
    </Stack>
  );
}

function GroupForm({ group, onDone }: { group: UserGroup | null; onDone: () => void }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const users = useQuery(usersQuery);
  const roles = useQuery(rolesQuery);
  const [error, setError] = useState<string | null>(null);
  const form = useForm({
    mode: 'uncontrolled',
    initialValues: { name: group?.name ?? '', memberIds: group?.memberIds ?? [], roleIds: group?.roleIds ?? [] },
    validate: { name: (value) => (value.trim() ? null : t('admin.required')) },
  });
  const save = useMutation({
    mutationFn: async (values: { name: string; memberIds: string[]; roleIds: string[] }) => {
      const body = { ...values, name: values.name.trim() };
      if (group) return data(api.PATCH('/api/v1/groups/{id}', { params: { path: { id: group.id } }, body }));
      return data(api.POST('/api/v1/groups', { body }));
    },
    onSuccess: async (saved) => {
      notifications.show({ ...closable(t), message: t('admin.groups.saved', { name: saved.name }) });
      await queryClient.invalidateQueries({ queryKey: groupsQuery.queryKey });
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
        <TextInput label={t('admin.groups.name')} required key={form.key('name')} {...form.getInputProps('name')} />
        <MultiSelect
          label={t('admin.groups.members')}
          data={(users.data ?? []).map((u) => ({ value: u.id, label: `${u.name} (${u.email})` }))}
          searchable
          key={form.key('memberIds')}
          {...form.getInputProps('memberIds')}
        />
        <MultiSelect
          label={t('admin.groups.roles')}
          description={t('admin.groups.rolesHint')}
          data={roleTree(roles.data ?? []).map(({ role }) => ({ value: role.id, label: role.name }))}
          searchable
          key={form.key('roleIds')}
          {...form.getInputProps('roleIds')}
        />
        <Group justify="flex-end">
          <Button color={PRIMARY} type="submit" loading={save.isPending}>
            {t('admin.save')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
