import { Alert, Button, Group, Stack, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, data } from '../../api/client';
import { TagsField, tagsQuery } from '../../components/Pickers';
import { organizationKeys, type Organization } from './api';
import { ConflictAlert, saveFailureOf } from './shared-ui';

interface Values {
  name: string;
  domain: string;
  industry: string;
  website: string;
  phone: string;
  tags: string[];
}

const blankToNull = (value: string) => (value.trim() === '' ? null : value.trim());

/** Create an organization, or edit one (sending the version it was loaded at). */
export function OrganizationForm({ organization, onSaved }: { organization?: Organization; onSaved: (saved: Organization) => void }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const [conflict, setConflict] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const form = useForm<Values>({
    mode: 'uncontrolled',
    initialValues: {
      name: organization?.name ?? '',
      domain: organization?.domain ?? '',
      industry: organization?.industry ?? '',
      website: organization?.website ?? '',
      phone: organization?.phone ?? '',
      tags: organization?.tags ?? [],
    },
    validate: { name: (value) => (value.trim() ? null : t('organizations.form.required')) },
  });

  const submit = form.onSubmit(async (values) => {
    setConflict(false);
    setMessage(null);
    const body = {
      name: values.name.trim(),
      domain: blankToNull(values.domain),
      industry: blankToNull(values.industry),
      website: blankToNull(values.website),
      phone: blankToNull(values.phone),
      tags: values.tags,
    };
    try {
      const saved = organization
        ? await data(
            api.PATCH('/api/v1/organizations/{id}', {
              params: { path: { id: organization.id } },
              body: { ...body, version: organization.version },
            }),
          )
        : await data(api.POST('/api/v1/organizations', { body }));
      queryClient.setQueryData(organizationKeys.one(saved.id), saved);
      await queryClient.invalidateQueries({ queryKey: organizationKeys.all });
      await queryClient.invalidateQueries({ queryKey: tagsQuery.queryKey });
      onSaved(saved);
    } catch (caught) {
      const failure = saveFailureOf(caught, ['name', 'domain', 'industry', 'website', 'phone', 'tags', 'ownerId'], (detail) =>
        t('app.error', { detail }),
      );
      form.setErrors(failure.fieldErrors);
      setConflict(failure.conflict);
      setMessage(failure.message);
    }
  });

  const reload = async () => {
    if (!organization) return;
    await queryClient.invalidateQueries({ queryKey: organizationKeys.one(organization.id) });
    setConflict(false);
  };

  return (
    <form onSubmit={submit} noValidate>
      <Stack>
        {conflict && <ConflictAlert onReload={() => void reload()} />}
        {message && (
          <Alert color="red" role="alert">
            {message}
          </Alert>
        )}
        <TextInput label={t('organizations.fields.name')} required key={form.key('name')} {...form.getInputProps('name')} />
        <TextInput label={t('organizations.fields.industry')} key={form.key('industry')} {...form.getInputProps('industry')} />
        <TextInput label={t('organizations.fields.domain')} key={form.key('domain')} {...form.getInputProps('domain')} />
        <TextInput label={t('organizations.fields.website')} type="url" key={form.key('website')} {...form.getInputProps('website')} />
        <TextInput label={t('organizations.fields.phone')} type="tel" key={form.key('phone')} {...form.getInputProps('phone')} />
        <TagsField label={t('organizations.fields.tags')} key={form.key('tags')} {...form.getInputProps('tags')} />
        <Group justify="flex-end">
          <Button type="submit" loading={form.submitting} disabled={form.submitting}>
            {t('organizations.form.save')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
