import { Alert, Button, Group, NumberInput, Stack, TagsInput, Textarea, TextInput, Title } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useQueryClient } from '@tanstack/react-query';
import { useNavigate } from '@tanstack/react-router';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { notify } from '../../components/notify';
import { formErrorsOf, problemDetail } from '../../components/problems';
import { useFormat } from '../../i18n/format';
import { breachKeys, recordBreach } from './queries';

/** The local date and time of a moment, as a datetime-local input shows it. */
export function localInputValue(moment: Date): string {
  return new Date(moment.getTime() - moment.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
}

const FIELDS = ['detectedAt', 'occurredAt', 'nature', 'categories', 'approxSubjects', 'approxRecords', 'consequences', 'measures'];

/** Records a breach; the 72-hour clock starts at its detection. */
export default function NewBreachPage() {
  const { t } = useTranslation();
  const format = useFormat();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [message, setMessage] = useState<string | null>(null);
  const required = (value: unknown) => (typeof value === 'string' && value.trim() === '' ? t('privacyBreaches.form.required') : null);
  const form = useForm({
    mode: 'uncontrolled',
    initialValues: {
      detectedAt: localInputValue(new Date()),
      occurredAt: '',
      nature: '',
      categories: [] as string[],
      subjectCategories: [] as string[],
      approxSubjects: 0 as number | string,
      approxRecords: 0 as number | string,
      consequences: '',
      measures: '',
    },
    validate: { detectedAt: required, nature: required, consequences: required, measures: required },
  });

  const submit = form.onSubmit(async (values) => {
    setMessage(null);
    try {
      const created = await recordBreach({
        detectedAt: new Date(values.detectedAt).toISOString(),
        ...(values.occurredAt ? { occurredAt: new Date(values.occurredAt).toISOString() } : {}),
        nature: values.nature.trim(),
        categories: values.categories,
        subjectCategories: values.subjectCategories,
        approxSubjects: Number(values.approxSubjects) || 0,
        approxRecords: Number(values.approxRecords) || 0,
        consequences: values.consequences.trim(),
        measures: values.measures.trim(),
      });
      await queryClient.invalidateQueries({ queryKey: breachKeys.all });
      notify(t('privacyBreaches.form.created', { date: format.dateTime(created.notifyAuthorityBy) }));
      await navigate({ to: '/privacy/breaches/$breachId', params: { breachId: created.id } });
    } catch (error) {
      const fields = formErrorsOf(error, FIELDS);
      form.setErrors(fields);
      if (Object.keys(fields).length === 0) setMessage(problemDetail(error));
    }
  });

  return (
    <Stack maw={760}>
      <Title order={1}>{t('privacyBreaches.form.title')}</Title>
      <form onSubmit={submit} noValidate>
        <Stack>
          {message && (
            <Alert color="red" role="alert">
              {message}
            </Alert>
          )}
          <Group grow align="flex-start">
            <TextInput
              type="datetime-local"
              label={t('privacyBreaches.fields.detectedAt')}
              description={t('privacyBreaches.form.detectedHelp')}
              required
              key={form.key('detectedAt')}
              {...form.getInputProps('detectedAt')}
            />
            <TextInput
              type="datetime-local"
              label={t('privacyBreaches.fields.occurredAt')}
              key={form.key('occurredAt')}
              {...form.getInputProps('occurredAt')}
            />
          </Group>
          <Textarea
            label={t('privacyBreaches.fields.nature')}
            required
            autosize
            minRows={3}
            maxLength={20_000}
            key={form.key('nature')}
            {...form.getInputProps('nature')}
          />
          <TagsInput
            label={t('privacyBreaches.fields.categories')}
            description={t('privacyBreaches.form.categoriesHelp')}
            maxTags={50}
            clearable
            key={form.key('categories')}
            {...form.getInputProps('categories')}
          />
          <TagsInput
            label={t('privacyBreaches.fields.subjectCategories')}
            maxTags={50}
            clearable
            key={form.key('subjectCategories')}
            {...form.getInputProps('subjectCategories')}
          />
          <Group grow>
            <NumberInput
              label={t('privacyBreaches.fields.approxSubjects')}
              min={0}
              allowDecimal={false}
              allowNegative={false}
              key={form.key('approxSubjects')}
              {...form.getInputProps('approxSubjects')}
            />
            <NumberInput
              label={t('privacyBreaches.fields.approxRecords')}
              min={0}
              allowDecimal={false}
              allowNegative={false}
              key={form.key('approxRecords')}
              {...form.getInputProps('approxRecords')}
            />
          </Group>
          <Textarea
            label={t('privacyBreaches.fields.consequences')}
            required
            autosize
            minRows={2}
            maxLength={20_000}
            key={form.key('consequences')}
            {...form.getInputProps('consequences')}
          />
          <Textarea
            label={t('privacyBreaches.fields.measures')}
            required
            autosize
            minRows={2}
            maxLength={20_000}
            key={form.key('measures')}
            {...form.getInputProps('measures')}
          />
          <Group justify="flex-end">
            <Button variant="default" onClick={() => void navigate({ to: '/privacy/breaches' })} disabled={form.submitting}>
              {t('privacyBreaches.form.cancel')}
            </Button>
            <Button type="submit" loading={form.submitting}>
              {t('privacyBreaches.form.submit')}
            </Button>
          </Group>
        </Stack>
      </form>
    </Stack>
  );
}
