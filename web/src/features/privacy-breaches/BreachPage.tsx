import { Alert, Badge, Button, Card, Checkbox, Group, Select, SimpleGrid, Stack, Text, Textarea, TextInput, Title } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Loading, LoadError } from '../../app/RouteStates';
import { usePermissions } from '../../components/permissions';
import { notify } from '../../components/notify';
import { problemDetail } from '../../components/problems';
import { useFormat } from '../../i18n/format';
import { Countdown } from './Countdown';
import { localInputValue } from './NewBreachPage';
import {
  breachKeys,
  breachQuery,
  BREACH_STATUSES,
  STATUS_COLORS,
  updateBreach,
  type Breach,
  type BreachChanges,
  type BreachStatus,
} from './queries';
import { breachRoute } from './routes';

/** One breach: its facts and live deadline, and (privacy edit) the response: measures, status, notification, informing the people. */
export default function BreachPage() {
  const { t } = useTranslation();
  const format = useFormat();
  const { breachId } = breachRoute.useParams();
  const { can } = usePermissions();
  const breach = useQuery(breachQuery(breachId));

  if (breach.isPending) return <Loading />;
  if (breach.isError) return <LoadError error={breach.error} />;
  const b = breach.data;
  return (
    <Stack maw={1000}>
      <Group justify="space-between" wrap="wrap">
        <Title order={1}>{t('privacyBreaches.page.title', { date: format.dateTime(b.detectedAt) })}</Title>
        <Badge size="lg" color={STATUS_COLORS[b.status]}>
          {t(`privacyBreaches.statuses.${b.status}`)}
        </Badge>
      </Group>
      <Card withBorder>
        <Stack gap="sm">
          <Fact label={t('privacyBreaches.fields.deadline')}>
            <Countdown breach={b} />
          </Fact>
          <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
            <Fact label={t('privacyBreaches.fields.detectedAt')}>{format.dateTime(b.detectedAt)}</Fact>
            <Fact label={t('privacyBreaches.fields.occurredAt')}>{b.occurredAt ? format.dateTime(b.occurredAt) : '—'}</Fact>
            <Fact label={t('privacyBreaches.fields.approxSubjects')}>{format.number(b.approxSubjects)}</Fact>
            <Fact label={t('privacyBreaches.fields.approxRecords')}>{format.number(b.approxRecords)}</Fact>
            <Fact label={t('privacyBreaches.fields.categories')}>{b.categories.join(', ') || '—'}</Fact>
            <Fact label={t('privacyBreaches.fields.subjectCategories')}>{b.subjectCategories.join(', ') || '—'}</Fact>
          </SimpleGrid>
          <Fact label={t('privacyBreaches.fields.nature')}>{b.nature}</Fact>
          <Fact label={t('privacyBreaches.fields.consequences')}>{b.consequences}</Fact>
          <Fact label={t('privacyBreaches.fields.measures')}>{b.measures}</Fact>
          <Fact label={t('privacyBreaches.fields.subjectsInformed')}>
            {b.subjectsInformed === null
              ? t('privacyBreaches.undecided')
              : t(b.subjectsInformed ? 'privacyBreaches.yes' : 'privacyBreaches.no')}
            {b.informReason ? ` — ${b.informReason}` : ''}
          </Fact>
        </Stack>
      </Card>
      {can('privacy', 'edit') && <BreachForm key={b.version} breach={b} />}
    </Stack>
  );
}

function Fact({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div>
      <Text size="xs" c="dimmed" fw={600}>
        {label}
      </Text>
      <Text size="sm" component="div" style={{ whiteSpace: 'pre-wrap' }}>
        {children}
      </Text>
    </div>
  );
}

const local = (value: string | null) => (value ? localInputValue(new Date(value)) : '');
const iso = (value: string) => (value ? new Date(value).toISOString() : null);

function BreachForm({ breach }: { breach: Breach }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const [message, setMessage] = useState<string | null>(null);
  const initial = {
    status: breach.status,
    measures: breach.measures ?? '',
    consequences: breach.consequences ?? '',
    authorityNotificationRequired: breach.authorityNotificationRequired,
    noNotificationReason: breach.noNotificationReason ?? '',
    authorityNotifiedAt: local(breach.authorityNotifiedAt),
    authorityReference: breach.authorityReference ?? '',
    delayReason: breach.delayReason ?? '',
    subjectsInformed: breach.subjectsInformed === null ? 'undecided' : breach.subjectsInformed ? 'yes' : 'no',
    informReason: breach.informReason ?? '',
    subjectsInformedAt: local(breach.subjectsInformedAt),
  };
  const form = useForm({ mode: 'controlled', initialValues: initial });
  const values = form.getValues();

  const submit = form.onSubmit(async (v) => {
    setMessage(null);
    const changes: BreachChanges = { version: breach.version };
    if (v.status !== initial.status) changes.status = v.status as BreachStatus;
    if (v.measures !== initial.measures && v.measures.trim()) changes.measures = v.measures.trim();
    if (v.consequences !== initial.consequences && v.consequences.trim()) changes.consequences = v.consequences.trim();
    if (v.authorityNotificationRequired !== initial.authorityNotificationRequired)
      changes.authorityNotificationRequired = v.authorityNotificationRequired;
    if (v.noNotificationReason !== initial.noNotificationReason) changes.noNotificationReason = v.noNotificationReason.trim() || null;
    if (v.authorityNotifiedAt !== initial.authorityNotifiedAt) changes.authorityNotifiedAt = iso(v.authorityNotifiedAt);
    if (v.authorityReference !== initial.authorityReference) changes.authorityReference = v.authorityReference.trim() || null;
    if (v.delayReason !== initial.delayReason) changes.delayReason = v.delayReason.trim() || null;
    if (
      v.subjectsInformed !== initial.subjectsInformed ||
      v.informReason !== initial.informReason ||
      v.subjectsInformedAt !== initial.subjectsInformedAt
    ) {
      changes.subjectsInformed = v.subjectsInformed === 'undecided' ? null : v.subjectsInformed === 'yes';
      if (v.informReason !== initial.informReason || changes.subjectsInformed !== null)
        changes.informReason = v.informReason.trim() || null;
      if (v.subjectsInformed === 'yes' && v.subjectsInformedAt) changes.subjectsInformedAt = iso(v.subjectsInformedAt);
    }
    try {
      await updateBreach(breach.id, changes);
      notify(t('privacyBreaches.page.saved'));
      await queryClient.invalidateQueries({ queryKey: breachKeys.all });
    } catch (error) {
      setMessage(problemDetail(error));
    }
  });

  const late =
    values.authorityNotifiedAt !== '' && new Date(values.authorityNotifiedAt).getTime() > new Date(breach.notifyAuthorityBy).getTime();
  return (
    <form onSubmit={submit} noValidate>
      <Stack>
        <Title order={2} size="h3">
          {t('privacyBreaches.page.update')}
        </Title>
        {message && (
          <Alert color="red" role="alert">
            {message}
          </Alert>
        )}
        <Select
          maw={300}
          label={t('privacyBreaches.fields.status')}
          data={BREACH_STATUSES.map((status) => ({ value: status, label: t(`privacyBreaches.statuses.${status}`) }))}
          allowDeselect={false}
          {...form.getInputProps('status')}
        />
        <Textarea
          label={t('privacyBreaches.fields.measures')}
          autosize
          minRows={2}
          maxLength={20_000}
          {...form.getInputProps('measures')}
        />
        <Textarea
          label={t('privacyBreaches.fields.consequences')}
          autosize
          minRows={2}
          maxLength={20_000}
          {...form.getInputProps('consequences')}
        />

        <Title order={3} size="h4">
          {t('privacyBreaches.page.notification')}
        </Title>
        <Checkbox
          label={t('privacyBreaches.fields.authorityNotificationRequired')}
          {...form.getInputProps('authorityNotificationRequired', { type: 'checkbox' })}
        />
        {values.authorityNotificationRequired ? (
          <>
            <Group grow align="flex-start">
              <TextInput
                type="datetime-local"
                label={t('privacyBreaches.fields.authorityNotifiedAt')}
                {...form.getInputProps('authorityNotifiedAt')}
              />
              <TextInput
                label={t('privacyBreaches.fields.authorityReference')}
                maxLength={200}
                {...form.getInputProps('authorityReference')}
              />
            </Group>
            {late && (
              <Textarea
                label={t('privacyBreaches.fields.delayReason')}
                description={t('privacyBreaches.page.delayHelp')}
                required
                autosize
                minRows={2}
                maxLength={20_000}
                {...form.getInputProps('delayReason')}
              />
            )}
          </>
        ) : (
          <Textarea
            label={t('privacyBreaches.fields.noNotificationReason')}
            required
            autosize
            minRows={2}
            maxLength={20_000}
            {...form.getInputProps('noNotificationReason')}
          />
        )}

        <Title order={3} size="h4">
          {t('privacyBreaches.page.informing')}
        </Title>
        <Text size="sm">{t('privacyBreaches.page.informHelp')}</Text>
        <Select
          maw={300}
          label={t('privacyBreaches.page.decision')}
          data={[
            { value: 'undecided', label: t('privacyBreaches.undecided') },
            { value: 'yes', label: t('privacyBreaches.yes') },
            { value: 'no', label: t('privacyBreaches.no') },
          ]}
          allowDeselect={false}
          {...form.getInputProps('subjectsInformed')}
        />
        {values.subjectsInformed !== 'undecided' && (
          <>
            <Textarea
              label={t('privacyBreaches.fields.informReason')}
              required
              autosize
              minRows={2}
              maxLength={20_000}
              {...form.getInputProps('informReason')}
            />
            {values.subjectsInformed === 'yes' && (
              <TextInput
                maw={300}
                type="datetime-local"
                label={t('privacyBreaches.fields.subjectsInformedAt')}
                {...form.getInputProps('subjectsInformedAt')}
              />
            )}
          </>
        )}
        <Group>
          <Button type="submit" loading={form.submitting}>
            {t('privacyBreaches.page.save')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
