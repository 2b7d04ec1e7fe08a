import { Alert, Button, Group, NativeSelect, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { useForm } from '@mantine/form';
import { notifications } from '@mantine/notifications';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api, data } from '../../api/client';
import { Loading } from '../../app/RouteStates';
import { PRIMARY } from './theme';
import { closable, problemMessage } from './problems';
import {
  groupsQuery,
  RECORD_MODULES,
  rolesQuery,
  SHARING_LEVELS,
  sharingDefaultsQuery,
  sharingRulesQuery,
  type RecordModule,
  type SharingDefaults,
  type SharingRule,
} from './queries';

/** Organization-wide defaults per module, and rules that share one role's or group's records with another. */
export function SharingPanel() {
  const { t } = useTranslation();
  const defaults = useQuery(sharingDefaultsQuery);
  if (defaults.isPending) return <Loading />;
  if (defaults.isError) return <Alert color="red">{problemMessage(defaults.error, t)}</Alert>;
  return (
    <Stack gap="xl">
      <DefaultsForm defaults={defaults.data} />
      <SharingRules />
    </Stack>
  );
}

function DefaultsForm({ defaults }: { defaults: SharingDefaults }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const form = useForm({
    mode: 'uncontrolled',
    initialValues: Object.fromEntries(RECORD_MODULES.map((m) => [m, defaults[m] ?? 'private'])) as Record<RecordModule, string>,
  });
  const save = useMutation({
    mutationFn: async (values: Record<RecordModule, string>) =>
      data(api.PUT('/api/v1/sharing/defaults', { body: values as SharingDefaults })),
    onSuccess: (saved) => {
      queryClient.setQueryData(sharingDefaultsQuery.queryKey, saved);
      notifications.show({ ...closable(t), message: t('admin.sharing.defaultsSaved') });
    },
  });
  const levels = SHARING_LEVELS.map((value) => ({ value, label: t(`admin.sharing.levels.${value}`) }));
  return (
    <form onSubmit={form.onSubmit((values) => save.mutate(values))}>
      <Stack>
        <Title order={2}>{t('admin.sharing.defaultsTitle')}</Title>
        <Text size="sm" c="dimmed">
          {t('admin.sharing.defaultsIntro')}
        </Text>
        {save.isError && (
          <Alert color="red" role="alert">
            {problemMessage(save.error, t)}
          </Alert>
        )}
        <SimpleGrid cols={{ base: 1, sm: 2, lg: 3 }}>
          {RECORD_MODULES.map((module) => (
            <NativeSelect key={module} label={t(`admin.modules.${module}`)} data={levels} {...form.getInputProps(module)} />
          ))}
        </SimpleGrid>
        <Group justify="flex-end">
          <Button color={PRIMARY} type="submit" loading={save.isPending}>
            {t('admin.sharing.saveDefaults')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

function SharingRules() {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const rules = useQuery(sharingRulesQuery);
  const roles = useQuery(rolesQuery);
  const groups = useQuery(groupsQuery);
  const parties = [
    ...(roles.data ?? []).map((r) => ({ value: `role:${r.id}`, label: t('admin.sharing.roleNamed', { name: r.name }) })),
    ...(groups.data ?? []).map((g) => ({ value: `group:${g.id}`, label: t('admin.sharing.groupNamed', { name: g.name }) })),
  ];
  const partyName = (party: SharingRule['from']) => parties.find((p) => p.value === `${party.kind}:${party.id}`)?.label ?? '—';
  const form = useForm({
    mode: 'uncontrolled',
    initialValues: { module: 'contacts', from: '', to: '', access: 'read' },
    validate: {
      from: (value) => (value ? null : t('admin.required')),
      to: (value) => (value ? null : t('admin.required')),
    },
  });
  const create = useMutation({
    mutationFn: async (values: { module: string; from: string; to: string; access: string }) => {
      const party = (value: string) => {
        const [kind, id] = value.split(':') as ['role' | 'group', string];
        return { kind, id };
      };
      return data(
        api.POST('/api/v1/sharing/rules', {
          body: {
            module: values.module as RecordModule,
            from: party(values.from),
            to: party(values.to),
            access: values.access as 'read' | 'write',
          },
        }),
      );
    },
    onSuccess: async () => {
      notifications.show({ ...closable(t), message: t('admin.sharing.ruleCreated') });
      form.reset();
      await queryClient.invalidateQueries({ queryKey: sharingRulesQuery.queryKey });
    },
  });
  const remove = useMutation({
    mutationFn: async (id: string) => data(api.DELETE('/api/v1/sharing/rules/{id}', { params: { path: { id } } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: sharingRulesQuery.queryKey }),
    onError: (error) => notifications.show({ ...closable(t), color: 'red', message: problemMessage(error, t) }),
  });
  const placeholder = [{ value: '', label: t('admin.sharing.choose') }];

  return (
    <Stack>
      <Title order={2}>{t('admin.sharing.rulesTitle')}</Title>
      {rules.isPending ? (
        <Loading />
      ) : rules.isError ? (
        <Alert color="red">{problemMessage(rules.error, t)}</Alert>
      ) : rules.data.length === 0 ? (
        <Text c="dimmed">{t('admin.sharing.noRules')}</Text>
      ) : (
        <Table.ScrollContainer minWidth={600}>
          <Table striped>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('admin.sharing.module')}</Table.Th>
                <Table.Th>{t('admin.sharing.from')}</Table.Th>
                <Table.Th>{t('admin.sharing.to')}</Table.Th>
                <Table.Th>{t('admin.sharing.access')}</Table.Th>
                <Table.Th>{t('admin.actions')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {rules.data.map((rule) => (
                <Table.Tr key={rule.id}>
                  <Table.Td>{t(`admin.modules.${rule.module}`)}</Table.Td>
                  <Table.Td>{partyName(rule.from)}</Table.Td>
                  <Table.Td>{partyName(rule.to)}</Table.Td>
                  <Table.Td>{t(`admin.sharing.accessLevels.${rule.access}`)}</Table.Td>
                  <Table.Td>
                    <Button
                      size="xs"
                      variant="default"
                      color="red"
                      loading={remove.isPending && remove.variables === rule.id}
                      aria-label={t('admin.sharing.deleteRule', {
                        module: t(`admin.modules.${rule.module}`),
                        from: partyName(rule.from),
                        to: partyName(rule.to),
                      })}
                      onClick={() => remove.mutate(rule.id)}
                    >
                      {t('admin.delete')}
                    </Button>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      <form onSubmit={form.onSubmit((values) => create.mutate(values))} noValidate>
        <Stack>
          <Title order={3}>{t('admin.sharing.newRule')}</Title>
          {create.isError && (
            <Alert color="red" role="alert">
              {problemMessage(create.error, t)}
            </Alert>
          )}
          <SimpleGrid cols={{ base: 1, sm: 2, lg: 4 }}>
            <NativeSelect
              label={t('admin.sharing.module')}
              data={RECORD_MODULES.map((m) => ({ value: m, label: t(`admin.modules.${m}`) }))}
              key={form.key('module')}
              {...form.getInputProps('module')}
            />
            <NativeSelect
              label={t('admin.sharing.from')}
              data={[...placeholder, ...parties]}
              key={form.key('from')}
              {...form.getInputProps('from')}
            />
            <NativeSelect
              label={t('admin.sharing.to')}
              data={[...placeholder, ...parties]}
              key={form.key('to')}
              {...form.getInputProps('to')}
            />
            <NativeSelect
              label={t('admin.sharing.access')}
              data={(['read', 'write'] as const).map((a) => ({ value: a, label: t(`admin.sharing.accessLevels.${a}`) }))}
              key={form.key('access')}
              {...form.getInputProps('access')}
            />
          </SimpleGrid>
          <Group justify="flex-end">
            <Button color={PRIMARY} type="submit" loading={create.isPending}>
              {t('admin.sharing.addRule')}
            </Button>
          </Group>
        </Stack>
      </form>
    </Stack>
  );
}
