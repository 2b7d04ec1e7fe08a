import { Alert, Button, Group, Select, Stack, Textarea, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, data } from '../../api/client';
import { saveFailureOf } from '../organizations/shared-ui';
import { ACTIVITY_TYPES, activityKeys, type ActivityTarget, type ActivityType } from './api';

interface Values {
  type: ActivityType;
  subject: string;
  dueAt: string;
  description: string;
}

/** Create a task, call or meeting, optionally with a due date and about one record. */
export function ActivityForm({ target = {}, onSaved }: { target?: ActivityTarget; onSaved: () => void }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const [message, setMessage] = useState<string | null>(null);
  const form = useForm<Values>({
    mode: 'uncontrolled',
    initialValues: { type: 'task', subject: '', dueAt: '', description: '' },
    validate: { subject: (value) => (value.trim() ? null : t('activities.required')) },
  });

  const submit = form.onSubmit(async (values) => {
    setMessage(null);
    try {
      await data(
        api.POST('/api/v1/activities', {
          body: {
            type: values.type,
            subject: values.subject.trim(),
            // datetime-local is the user's local time; the API wants an instant.
            dueAt: values.dueAt ? new Date(values.dueAt).toISOString() : null,
            description: values.description.trim() || null,
            ...target,
          },
        }),
      );
      await queryClient.invalidateQueries({ queryKey: activityKeys.all });
      onSaved();
    } catch (caught) {
      const failure = saveFailureOf(caught, ['type', 'subject', 'dueAt', 'description'], (detail) => t('app.error', { detail }));
      form.setErrors(failure.fieldErrors);
      setMessage(failure.message);
    }
  });

  return (
    <form onSubmit={submit} noValidate>
      <Stack>
        {message && (
          <Alert color="red" role="alert">
            {message}
          </Alert>
        )}
        <Select
          label={t('activities.fields.type')}
          data={ACTIVITY_TYPES.map((type) => ({ value: type, label: t(`activities.types.${type}`) }))}
          allowDeselect={false}
          key={form.key('type')}
          {...form.getInputProps('type')}
        />
        <TextInput label={t('activities.fields.subject')} required key={form.key('subject')} {...form.getInputProps('subject')} />
        <TextInput label={t('activities.fields.dueAt')} type="datetime-local" key={form.key('dueAt')} {...form.getInputProps('dueAt')} />
        <Textarea
          label={t('activities.fields.description')}
          autosize
          minRows={2}
          key={form.key('description')}
          {...form.getInputProps('description')}
        />
        <Group justify="flex-end">
          <Button type="submit" loading={form.submitting} disabled={form.submitting}>
            {t('activities.save')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
