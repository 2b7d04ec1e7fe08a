import { Alert, Button, Group, Modal, Paper, Select, Stack, Text, TextInput, Title } from '@mantine/core';
import { useForm } from '@mantine/form';
import { notifications } from '@mantine/notifications';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, data } from '../../api/client';
import { Loading } from '../../app/RouteStates';
import { PRIMARY } from './theme';
import { closable, fieldErrorsOf, problemMessage } from './problems';
import { parentOptions, roleTree, rolesQuery, subtreeOf, usersQuery, type Role } from './queries';

type Editing = { kind: 'create'; parentId: string } | { kind: 'edit'; role: Role } | { kind: 'delete'; role: Role };

/** The role tree: a user sees the records of users in the roles below theirs. */
export function RolesPanel() {
  const { t } = useTranslation();
  const roles = useQuery(rolesQuery);
  const users = useQuery(usersQuery);
  const [editing, setEditing] = useState<Editing | null>(null);

  if (roles.isPending) return <Loading />;
  if (roles.isError) return <Alert color="red">{problemMessage(roles.error, t)}</Alert>;
  const tree = roleTree(roles.data);
  const root = tree[0]?.role;
  const hasChildren = (id: string) => roles.data.some((r) => r.parentId === id);
  const membersOf = (role: Role) => (users.data ?? []).filter((u) => (u.roleId ?? root?.id) === role.id).length;

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{t('admin.roles.title')}</Title>
        {root && (
          <Button color={PRIMARY} onClick={() => setEditing({ kind: 'create', parentId: root.id })}>
            {t('admin.roles.create')}
          </Button>
        )}
      </Group>
      <Text size="sm" c="dimmed">
        {t('admin.roles.intro')}
      </Text>
      <Stack gap={4} component="ul" style={{ listStyle: 'none', padding: 0, margin: 0 }} aria-label={t('admin.roles.title')}>
        {tree.map(({ role, depth }) => (
          <Paper component="li" key={role.id} withBorder p="xs" ml={depth * 24}>
            <Group justify="space-between" wrap="wrap" gap="xs">
              <Text fw={depth === 0 ? 700 : 500}>
                {role.name}{' '}
                <Text span size="sm" c="dimmed">
                  {t('admin.roles.members', { count: membersOf(role) })}
                </Text>
              </Text>
              <Group gap="xs">
                <Button
                  size="xs"
                  variant="default"
                  onClick={() => setEditing({ kind: 'create', parentId: role.id })}
                  aria-label={t('admin.roles.addUnderNamed', { name: role.name })}
                >
                  {t('admin.roles.addUnder')}
                </Button>
                {role.parentId !== null && (
                  <>
                    <Button
                      size="xs"
                      variant="default"
                      onClick={() => setEditing({ kind: 'edit', role })}
                      aria-label={t('admin.roles.editNamed', { name: role.name })}
                    >
                      {t('admin.roles.renameOrMove')}
                    </Button>
                    {!hasChildren(role.id) && (
                      <Button
                        size="xs"
                        variant="default"
                        color="red"
                        onClick={() => setEditing({ kind: 'delete', role })}
                        aria-label={t('admin.roles.deleteNamed', { name: role.name })}
                      >
                        {t('admin.delete')}
                      </Button>
                    )}
                  </>
                )}
              </Group>
            </Group>
          </Paper>
        ))}
      </Stack>
      <Modal
        closeButtonProps={{ 'aria-label': t('admin.close') }}
        opened={editing !== null}
        onClose={() => setEditing(null)}
        title={
          editing?.kind === 'create'
            ? t('admin.roles.create')
            : editing?.kind === 'edit'
              ? t('admin.roles.renameOrMove')
              : t('admin.roles.delete')
        }
      >
        {editing?.kind === 'delete' ? (
          <DeleteRole role={editing.role} roles={roles.data} onDone={() => setEditing(null)} />
        ) : editing ? (
          <RoleForm editing={editing} roles={roles.data} onDone={() => setEditing(null)} />
        ) : null}
      </Modal>
    </Stack>
  );
}

function RoleForm({ editing, roles, onDone }: { editing: Exclude<Editing, { kind: 'delete' }>; roles: Role[]; onDone: () => void }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const [error, setError] = useState<string | null>(null);
  const role = editing.kind === 'edit' ? editing.role : null;
  const form = useForm({
    mode: 'uncontrolled',
    initialValues: { name: role?.name ?? '', parentId: role ? (role.parentId ?? '') : editing.kind === 'create' ? editing.parentId : '' },
    validate: { name: (value) => (value.trim() ? null : t('admin.required')) },
  });
  const save = useMutation({
    mutationFn: async (values: { name: string; parentId: string }) => {
      const body = { name: values.name.trim(), parentId: values.parentId };
      if (role) return data(api.PATCH('/api/v1/roles/{id}', { params: { path: { id: role.id } }, body }));
      return data(api.POST('/api/v1/roles', { body }));
    },
    onSuccess: async (saved) => {
      notifications.show({ ...closable(t), message: t('admin.roles.saved', { name: saved.name }) });
      await queryClient.invalidateQueries({ queryKey: rolesQuery.queryKey });
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
        <TextInput label={t('admin.roles.name')} required key={form.key('name')} {...form.getInputProps('name')} />
        <Select
          label={t('admin.roles.parent')}
          data={parentOptions(roles, role ? subtreeOf(roles, role.id) : new Set())}
          allowDeselect={false}
          key={form.key('parentId')}
          {...form.getInputProps('parentId')}
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

function DeleteRole({ role, roles, onDone }: { role: Role; roles: Role[]; onDone: () => void }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const [moveUsersTo, setMoveUsersTo] = useState<string | null>(role.parentId);
  const remove = useMutation({
    mutationFn: async () =>
      data(api.DELETE('/api/v1/roles/{id}', { params: { path: { id: role.id }, query: { moveUsersTo: moveUsersTo ?? undefined } } })),
    onSuccess: async () => {
      notifications.show({ ...closable(t), message: t('admin.roles.deleted', { name: role.name }) });
      await queryClient.invalidateQueries({ queryKey: ['admin'] });
      onDone();
    },
  });
  return (
    <Stack>
      {remove.isError && (
        <Alert color="red" role="alert">
          {problemMessage(remove.error, t)}
        </Alert>
      )}
      <Text>{t('admin.roles.deleteConfirm', { name: role.name })}</Text>
      <Select
        label={t('admin.roles.moveUsersTo')}
        data={parentOptions(roles, new Set([role.id]))}
        value={moveUsersTo}
        onChange={setMoveUsersTo}
        allowDeselect={false}
      />
      <Group justify="flex-end">
        <Button variant="default" onClick={onDone}>
          {t('admin.cancel')}
        </Button>
        <Button color="red.8" loading={remove.isPending} disabled={!moveUsersTo} onClick={() => remove.mutate()}>
          {t('admin.delete')}
        </Button>
      </Group>
    </Stack>
  );
}
