import { Alert, Button, Group, SegmentedControl, Select, Stack, Text, Textarea, TextInput, Title } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useDebouncedValue } from '@mantine/hooks';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useNavigate } from '@tanstack/react-router';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, data } from '../../api/client';
import { OwnerPicker } from '../../components/Pickers';
import { notify } from '../../components/notify';
import { formErrorsOf, problemDetail } from '../../components/problems';
import { useFormat } from '../../i18n/format';
import { openRequest, REQUEST_CHANNELS, REQUEST_TYPES, requestKeys, type RequestChannel, type RequestType } from './queries';

type IdentifyBy = 'email' | 'contact' | 'lead';

/** The local date and time of a moment, as a datetime-local input shows it. */
function localInputValue(moment: Date): string {
  const local = new Date(moment.getTime() - moment.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 16);
}

/** Opens a case: its type, who it is about (an e-mail address, a contact or a lead), when and how it came in. */
export default function NewRequestPage() {
  const { t } = useTranslation();
  const format = useFormat();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [message, setMessage] = useState<string | null>(null);
  const [identifyBy, setIdentifyBy] = useState<IdentifyBy>('email');
  const [search, setSearch] = useState('');
  const [query] = useDebouncedValue(search.trim(), 250);
  const people = useQuery({
    queryKey: [identifyBy, 'picker', query],
    queryFn: async () =>
      identifyBy === 'lead'
        ? (await data(api.GET('/api/v1/leads', { params: { query: { q: query, limit: 10 } } }))).items
        : (await data(api.GET('/api/v1/contacts', { params: { query: { q: query, limit: 10 } } }))).items,
    enabled: identifyBy !== 'email' && query.length > 0,
  });
  const form = useForm({
    mode: 'uncontrolled',
    initialValues: {
      type: 'access' as RequestType,
      email: '',
      personId: '',
      receivedAt: localInputValue(new Date()),
      channel: 'email' as RequestChannel,
      assigneeId: '',
      note: '',
    },
    validate: {
      email: (value) => (identifyBy === 'email' && !value.trim() ? t('privacyRequests.form.emailRequired') : null),
      personId: (value) => (identifyBy !== 'email' && !value ? t('privacyRequests.form.personRequired') : null),
    },
  });

  const submit = form.onSubmit(async (values) => {
    setMessage(null);
    try {
      const created = await openRequest({
        type: values.type,
        ...(identifyBy === 'email'
          ? { email: values.email.trim() }
          : identifyBy === 'lead'
            ? { leadId: values.personId }
            : { contactId: values.personId }),
        ...(values.receivedAt ? { receivedAt: new Date(values.receivedAt).toISOString() } : {}),
        channel: values.channel,
        ...(values.assigneeId ? { assigneeId: values.assigneeId } : {}),
        ...(values.note.trim() ? { note: values.note.trim() } : {}),
      });
      await queryClient.invalidateQueries({ queryKey: requestKeys.all });
      notify(t('privacyRequests.form.created', { date: format.date(created.dueAt) }));
      await navigate({ to: '/privacy/requests/$requestId', params: { requestId: created.id } });
    } catch (error) {
      const fields = formErrorsOf(error, ['email', 'receivedAt', 'type', 'channel', 'assigneeId', 'note']);
      form.setErrors(fields);
      if (Object.keys(fields).length === 0) setMessage(problemDetail(error));
    }
  });

  return (
    <Stack maw={720}>
      <Title order={1}>{t('privacyRequests.form.title')}</Title>
      <form onSubmit={submit} noValidate>
        <Stack>
          {message && (
            <Alert color="red" role="alert">
              {message}
            </Alert>
          )}
          <Select
            label={t('privacyRequests.fields.type')}
            data={REQUEST_TYPES.map((type) => ({ value: type, label: t(`privacyRequests.types.${type}`) }))}
            allowDeselect={false}
            required
            key={form.key('type')}
            {...form.getInputProps('type')}
          />
          <Stack gap={4}>
            <Text size="sm" fw={500} id="identify-by-label">
              {t('privacyRequests.form.identifyBy')}
            </Text>
            <SegmentedControl
              aria-labelledby="identify-by-label"
              value={identifyBy}
              onChange={(value) => {
                setIdentifyBy(value as IdentifyBy);
                setSearch('');
                form.setFieldValue('personId', '');
              }}
              data={[
                { value: 'email', label: t('privacyRequests.form.byEmail') },
                { value: 'contact', label: t('privacyRequests.form.byContact') },
                { value: 'lead', label: t('privacyRequests.form.byLead') },
              ]}
            />
          </Stack>
          {identifyBy === 'email' ? (
            <TextInput
              type="email"
              label={t('privacyRequests.fields.email')}
              description={t('privacyRequests.form.emailHelp')}
              required
              autoComplete="off"
              key={form.key('email')}
              {...form.getInputProps('email')}
            />
          ) : (
            <Select
              label={t(identifyBy === 'lead' ? 'privacyRequests.form.leadSearch' : 'privacyRequests.form.contactSearch')}
              placeholder={t('privacyRequests.form.contactSearchPlaceholder')}
              searchable
              searchValue={search}
              onSearchChange={setSearch}
              filter={({ options }) => options}
              data={(people.data ?? []).map((person) => ({
                value: person.id,
                label: [person.firstName, person.lastName].filter(Boolean).join(' ') || person.id,
              }))}
              required
              key={`${identifyBy}-${form.key('personId')}`}
              {...form.getInputProps('personId')}
            />
          )}
          <TextInput
            type="datetime-local"
            label={t('privacyRequests.fields.receivedAt')}
            description={t('privacyRequests.form.receivedHelp')}
            key={form.key('receivedAt')}
            {...form.getInputProps('receivedAt')}
          />
          <Select
            label={t('privacyRequests.fields.channel')}
            data={REQUEST_CHANNELS.map((channel) => ({ value: channel, label: t(`privacyRequests.channels.${channel}`) }))}
            allowDeselect={false}
            key={form.key('channel')}
            {...form.getInputProps('channel')}
          />
          <OwnerPicker label={t('privacyRequests.fields.assignee')} key={form.key('assigneeId')} {...form.getInputProps('assigneeId')} />
          <Textarea
            label={t('privacyRequests.fields.note')}
            placeholder={t('privacyRequests.form.notePlaceholder')}
            autosize
            minRows={3}
            maxLength={10_000}
            key={form.key('note')}
            {...form.getInputProps('note')}
          />
          <Group justify="flex-end">
            <Button variant="default" onClick={() => void navigate({ to: '/privacy/requests' })} disabled={form.submitting}>
              {t('privacyRequests.form.cancel')}
            </Button>
            <Button type="submit" loading={form.submitting}>
              {t('privacyRequests.form.submit')}
            </Button>
          </Group>
        </Stack>
      </form>
    </Stack>
  );
}
