import { Alert, Button, Code, Group, Paper, Select, Stack, Text, Textarea, TextInput, Title } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useNavigate } from '@tanstack/react-router';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, data } from '../../api/client';
import { tagsQuery } from '../../components/Pickers';
import { notify } from '../../components/notify';
import { formErrorsOf } from '../../components/problems';
import { ContactsPicker } from './ContactsPicker';
import { campaignKeys, campaignProblem, PLACEHOLDERS, purposesQuery } from './queries';

const FIELDS = ['name', 'purposeId', 'subject', 'body', 'language', 'tag', 'contactIds'] as const;

/** A new campaign: its purpose, the words staff write, and who it is for. Saved as a draft; sending is on its own page. */
export default function CampaignFormPage() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const purposes = useQuery(purposesQuery);
  const tags = useQuery(tagsQuery);
  const [message, setMessage] = useState<string | null>(null);
  const form = useForm({
    initialValues: {
      name: '',
      purposeId: '',
      subject: '',
      body: '',
      language: 'en' as 'en' | 'nl',
      tag: '' as string,
      contactIds: [] as string[],
    },
    validate: {
      name: (value) => (value.trim() ? null : t('campaigns.required')),
      purposeId: (value) => (value ? null : t('campaigns.purposeRequired')),
      subject: (value) => (value.trim() ? null : t('campaigns.required')),
      body: (value) => (value.trim() ? null : t('campaigns.required')),
      tag: (value, values) => (value || values.contactIds.length > 0 ? null : t('campaigns.audienceRequired')),
    },
  });

  const submit = form.onSubmit(async (values) => {
    setMessage(null);
    try {
      const created = await data(
        api.POST('/api/v1/campaigns', {
          body: {
            name: values.name.trim(),
            purposeId: values.purposeId,
            subject: values.subject,
            body: values.body,
            language: values.language,
            ...(values.tag ? { tag: values.tag } : {}),
            ...(values.contactIds.length > 0 ? { contactIds: values.contactIds } : {}),
          },
        }),
      );
      notify(t('campaigns.saved'));
      await queryClient.invalidateQueries({ queryKey: campaignKeys.all });
      await navigate({ to: '/campaigns/$campaignId', params: { campaignId: created.id } });
    } catch (error) {
      const fields = formErrorsOf(error, FIELDS);
      if (Object.keys(fields).length > 0) form.setErrors(fields);
      else setMessage(campaignProblem(error, t));
    }
  });

  const active = (purposes.data ?? []).filter((purpose) => purpose.status === 'active');
  return (
    <Stack maw={760}>
      <Title order={1}>{t('campaigns.newTitle')}</Title>
      <Text c="dimmed" size="sm">
        {t('campaigns.newIntro')}
      </Text>
      {message && (
        <Alert color="red" role="alert">
          {message}
        </Alert>
      )}
      {purposes.isError && (
        <Alert color="red" role="alert">
          {campaignProblem(purposes.error, t)}
        </Alert>
      )}
      <form onSubmit={submit} noValidate>
        <Stack>
          <TextInput
            label={t('campaigns.name')}
            description={t('campaigns.nameHelp')}
            required
            maxLength={200}
            {...form.getInputProps('name')}
          />
          <Select
            label={t('campaigns.purpose')}
            description={t('campaigns.purposeHelp')}
            placeholder={t('campaigns.choosePurpose')}
            data={active.map((purpose) => ({
              value: purpose.id,
              label: `${purpose.name} (${t(`campaigns.bases.${purpose.lawfulBasis}`)}${purpose.marketing ? `, ${t('campaigns.marketing')}` : ''})`,
            }))}
            required
            searchable
            nothingFoundMessage={t('campaigns.noPurposes')}
            {...form.getInputProps('purposeId')}
          />
          <Select
            label={t('campaigns.language')}
            description={t('campaigns.languageHelp')}
            data={[
              { value: 'en', label: t('campaigns.languages.en') },
              { value: 'nl', label: t('campaigns.languages.nl') },
            ]}
            allowDeselect={false}
            {...form.getInputProps('language')}
          />
          <Paper withBorder p="sm">
            <Text size="sm" id="campaign-placeholders">
              {t('campaigns.placeholderHelp')} <Code>{PLACEHOLDERS[0]}</Code> <Code>{PLACEHOLDERS[1]}</Code>
            </Text>
          </Paper>
          <TextInput
            label={t('campaigns.subject')}
            required
            maxLength={200}
            aria-describedby="campaign-placeholders"
            {...form.getInputProps('subject')}
          />
          <Textarea
            label={t('campaigns.body')}
            description={t('campaigns.bodyHelp')}
            required
            autosize
            minRows={6}
            maxLength={20_000}
            {...form.getInputProps('body')}
          />
          <Title order={2} size="h4">
            {t('campaigns.audience')}
          </Title>
          <Select
            label={t('campaigns.tag')}
            description={t('campaigns.tagHelp')}
            data={(tags.data ?? []).map((tag) => tag.name)}
            searchable
            clearable
            {...form.getInputProps('tag')}
            value={form.values.tag || null}
            onChange={(value) => form.setFieldValue('tag', value ?? '')}
          />
          <ContactsPicker value={form.values.contactIds} onChange={(ids) => form.setFieldValue('contactIds', ids)} />
          <Group justify="flex-end">
            <Button variant="default" onClick={() => void navigate({ to: '/campaigns' })} disabled={form.submitting}>
              {t('campaigns.cancel')}
            </Button>
            <Button type="submit" loading={form.submitting}>
              {t('campaigns.saveDraft')}
            </Button>
          </Group>
        </Stack>
      </form>
    </Stack>
  );
}
