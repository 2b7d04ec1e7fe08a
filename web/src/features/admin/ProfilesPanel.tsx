import {
  Alert,
  Button,
  Checkbox,
  Fieldset,
  Group,
  NativeSelect,
  Select,
  SimpleGrid,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useForm } from '@mantine/form';
import { notifications } from '@mantine/notifications';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, data } from '../../api/client';
import { Loading } from '../../app/RouteStates';
import { PRIMARY } from './theme';
import { closable, fieldErrorsOf, problemMessage } from './problems';
import { ACTIONS, FIELDS, MODULE_ACTIONS, MODULES, profilesQuery, RECORD_MODULES, type Profile } from './queries';

const ALL_ACTIONS = [...ACTIONS, ...new Set(Object.values(MODULE_ACTIONS).flat())];
type Visibility = 'editable' | 'readonly' | 'hidden';

interface ProfileValues {
  name: string;
  permissions: Record<string, Record<string, boolean>>;
  fields: Record<string, Record<string, Visibility>>;
}

function valuesOf(profile: Profile | null): ProfileValues {
  const permissions: ProfileValues['permissions'] = {};
  for (const module of MODULES) {
    permissions[module] = {};
    for (const action of [...ACTIONS, ...(MODULE_ACTIONS[module] ?? [])]) {
      permissions[module][action] = profile ? profile.isAdmin || profile.permissions[module]?.[action] === true : false;
    }
  }
  const fields: ProfileValues['fields'] = {};
  for (const module of RECORD_MODULES) {
    fields[module] = {};
    for (const field of FIELDS[module]) {
      const rule = profile?.fields[module]?.[field];
      fields[module][field] = rule === 'hidden' || rule === 'readonly' ? rule : 'editable';
    }
  }
  return { name: profile?.name ?? '', permissions, fields };
}

function bodyOf(values: ProfileValues) {
  const fields: Record<string, Record<string, 'hidden' | 'readonly'>> = {};
  for (const [module, rules] of Object.entries(values.fields)) {
    for (const [field, rule] of Object.entries(rules)) if (rule !== 'editable') (fields[module] ??= {})[field] = rule;
  }
  return { name: values.name.trim(), permissions: values.permissions, fields };
}

/** Profiles: per module which actions are allowed, per field hidden or read-only. */
export function ProfilesPanel() {
  const { t } = useTranslation();
  const profiles = useQuery(profilesQuery);
  const [selected, setSelected] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);

  if (profiles.isPending) return <Loading />;
  if (profiles.isError) return <Alert color="red">{problemMessage(profiles.error, t)}</Alert>;
  const profile = profiles.data.find((p) => p.id === selected) ?? null;

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{t('admin.profiles.title')}</Title>
        <Button
          color={PRIMARY}
          onClick={() => {
            setSelected(null);
            setCreating(true);
          }}
        >
          {t('admin.profiles.create')}
        </Button>
      </Group>
      <Select
        label={t('admin.profiles.choose')}
        data={profiles.data.map((p) => ({ value: p.id, label: p.name }))}
        value={selected}
        onChange={(value) => {
          setSelected(value);
          setCreating(false);
        }}
        maw={400}
      />
      {(creating || profile) && (
        <ProfileEditor
          key={profile?.id ?? 'new'}
          profile={profile}
          onSaved={(saved) => {
            setCreating(false);
            setSelected(saved?.id ?? null);
          }}
        />
      )}
    </Stack>
  );
}

function ProfileEditor({ profile, onSaved }: { profile: Profile | null; onSaved: (profile: Profile | null) => void }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const [error, setError] = useState<string | null>(null);
  const readOnly = profile?.isAdmin === true;
  const form = useForm<ProfileValues>({
    initialValues: valuesOf(profile),
    validate: { name: (value) => (value.trim() ? null : t('admin.required')) },
  });
  const save = useMutation({
    mutationFn: async (values: ProfileValues) => {
      if (profile) return data(api.PATCH('/api/v1/profiles/{id}', { params: { path: { id: profile.id } }, body: bodyOf(values) }));
      return data(api.POST('/api/v1/profiles', { body: bodyOf(values) }));
    },
    onSuccess: async (saved) => {
      notifications.show({ ...closable(t), message: t('admin.profiles.saved', { name: saved.name }) });
      await queryClient.invalidateQueries({ queryKey: profilesQuery.queryKey });
      onSaved(saved);
    },
    onError: (caught) => {
      form.setErrors(fieldErrorsOf(caught, t));
      setError(problemMessage(caught, t));
    },
  });
  const remove = useMutation({
    mutationFn: async (id: string) => data(api.DELETE('/api/v1/profiles/{id}', { params: { path: { id } } })),
    onSuccess: async () => {
      notifications.show({ ...closable(t), message: t('admin.profiles.deleted', { name: profile?.name }) });
      await queryClient.invalidateQueries({ queryKey: profilesQuery.queryKey });
      onSaved(null);
    },
    onError: (caught) => setError(problemMessage(caught, t)),
  });

  return (
    <form onSubmit={form.onSubmit((values) => save.mutate(values))} noValidate>
      <Stack>
        <Title order={3}>{profile ? profile.name : t('admin.profiles.new')}</Title>
        {readOnly && <Alert color="blue">{t('admin.profiles.adminProfile')}</Alert>}
        {error && (
          <Alert color="red" role="alert">
            {error}
          </Alert>
        )}
        <TextInput label={t('admin.profiles.name')} required readOnly={readOnly} maw={400} {...form.getInputProps('name')} />
        <Title order={4}>{t('admin.profiles.permissions')}</Title>
        <Table.ScrollContainer minWidth={640}>
          <Table withTableBorder>
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">{t('admin.profiles.module')}</Table.Th>
                {ALL_ACTIONS.map((action) => (
                  <Table.Th scope="col" key={action}>
                    {t(`admin.actionNames.${action}`)}
                  </Table.Th>
                ))}
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {MODULES.map((module) => (
                <Table.Tr key={module}>
                  <Table.Th scope="row">{t(`admin.modules.${module}`)}</Table.Th>
                  {ALL_ACTIONS.map((action) => (
                    <Table.Td key={action}>
                      {action in form.values.permissions[module]! && (
                        <Checkbox
                          aria-label={t('admin.profiles.allow', {
                            module: t(`admin.modules.${module}`),
                            action: t(`admin.actionNames.${action}`),
                          })}
                          disabled={readOnly}
                          {...form.getInputProps(`permissions.${module}.${action}`, { type: 'checkbox' })}
                        />
                      )}
                    </Table.Td>
                  ))}
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
        <Title order={4}>{t('admin.profiles.fieldVisibility')}</Title>
        <Text size="sm" c="dimmed">
          {t('admin.profiles.fieldIntro')}
        </Text>
        <SimpleGrid cols={{ base: 1, md: 2 }}>
          {RECORD_MODULES.map((module) => (
            <Fieldset key={module} legend={t(`admin.modules.${module}`)}>
              <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="xs">
                {FIELDS[module].map((field) => (
                  <NativeSelect
                    key={field}
                    label={t(`admin.fields.${field}`)}
                    disabled={readOnly}
                    data={(['editable', 'readonly', 'hidden'] as const).map((value) => ({ value, label: t(`admin.visibility.${value}`) }))}
                    {...form.getInputProps(`fields.${module}.${field}`)}
                  />
                ))}
              </SimpleGrid>
            </Fieldset>
          ))}
        </SimpleGrid>
        {!readOnly && (
          <Group justify="flex-end">
            {profile && profile.name !== 'Standard' && (
              <Button variant="default" color="red" loading={remove.isPending} onClick={() => remove.mutate(profile.id)}>
                {t('admin.delete')}
              </Button>
            )}
            <Button color={PRIMARY} type="submit" loading={save.isPending}>
              {t('admin.save')}
            </Button>
          </Group>
        )}
      </Stack>
    </form>
  );
}
