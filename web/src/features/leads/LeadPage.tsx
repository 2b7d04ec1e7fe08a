import { Badge, Button, Group, Paper, Stack, Table, Tabs, Text, Title } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useNavigate } from '@tanstack/react-router';
import { AnchorLink, ButtonLink } from '../../components/links';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { LoadError, Loading } from '../../app/RouteStates';
import { api, data } from '../../api/client';
import { AccessLog } from '../../components/AccessLog';
import { ConsentPanel } from '../consents/ConsentPanel';
import { FilesPanel } from '../files/FilesPanel';
import { PersonPrivacyActions, RestrictionBanner } from '../person-privacy/PersonPrivacy';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { usePermissions } from '../../components/permissions';
import { PersonSummary } from '../../components/PersonSummary';
import { notify } from '../../components/notify';
import { problemDetail } from '../../components/problems';
import { RecordTimeline, type TimelineEntry } from '../../components/RecordTimeline';
import { useFormat } from '../../i18n/format';
import { ConvertDialog } from './ConvertDialog';
import { leadQuery, personName } from './queries';
import { leadRoute, type LeadTab } from './routes';

/** One lead: its fields, activities, notes, a timeline, who accessed it, and conversion into a contact. */
export default function LeadPage() {
  const { t } = useTranslation();
  const format = useFormat();
  const { leadId } = leadRoute.useParams();
  const { tab } = leadRoute.useSearch();
  const navigate = useNavigate({ from: leadRoute.fullPath });
  const queryClient = useQueryClient();
  const { can } = usePermissions();
  const [deleting, setDeleting] = useState(false);
  const [confirming, confirm] = useDisclosure(false);
  const [converting, convert] = useDisclosure(false);

  const lead = useQuery(leadQuery(leadId));
  const activities = useQuery({
    queryKey: ['activities', 'of-lead', leadId],
    queryFn: async () =>
      (await data(api.GET('/api/v1/activities', { params: { query: { leadId, limit: 100, sort: '-createdAt' } } }))).items,
    enabled: lead.isSuccess && can('activities', 'view'),
  });
  const notes = useQuery({
    queryKey: ['notes', 'of-lead', leadId],
    queryFn: async () => (await data(api.GET('/api/v1/notes', { params: { query: { leadId, limit: 100 } } }))).items,
    enabled: lead.isSuccess && can('notes', 'view'),
  });
  const converted = lead.data?.status === 'converted';

  if (lead.isPending) return <Loading />;
  if (lead.isError) return <LoadError error={lead.error} />;
  const record = lead.data;
  const name = personName(record) || t('leads.unnamed');

  const remove = async () => {
    setDeleting(true);
    try {
      await api.DELETE('/api/v1/leads/{id}', { params: { path: { id: record.id } } });
      await queryClient.invalidateQueries({ queryKey: ['leads'] });
      notify(t('leads.deleted', { name }), 'green');
      await navigate({ to: '/leads' });
    } catch (error) {
      notify(t('app.error', { detail: problemDetail(error) }), 'red');
    } finally {
      setDeleting(false);
      confirm.close();
    }
  };

  const converted_ = async (contactId: string) => {
    convert.close();
    await queryClient.invalidateQueries({ queryKey: ['leads'] });
    await queryClient.invalidateQueries({ queryKey: ['contacts'] });
    notify(t('leads.convert.done', { name }), 'green');
    await navigate({ to: '/contacts/$contactId', params: { contactId } });
  };

  const timeline: TimelineEntry[] = [
    { id: 'created', at: record.createdAt, title: t('leads.timeline.created') },
    ...(record.version > 1 ? [{ id: 'updated', at: record.updatedAt, title: t('leads.timeline.updated') }] : []),
    ...(record.convertedAt ? [{ id: 'converted', at: record.convertedAt, title: t('leads.timeline.converted') }] : []),
    ...(activities.data ?? []).map((activity) => ({
      id: `activity-${activity.id}`,
      at: activity.doneAt ?? activity.createdAt,
      title: t(activity.done ? 'leads.timeline.activityDone' : 'leads.timeline.activity', {
        type: t(`leads.activityTypes.${activity.type}`),
        subject: activity.subject,
      }),
    })),
    ...(notes.data ?? []).map((note) => ({
      id: `note-${note.id}`,
      at: note.createdAt,
      title: t('leads.timeline.note'),
      detail: note.body,
    })),
  ];

  const setTab = (next: string | null) => void navigate({ search: { tab: (next ?? 'timeline') as LeadTab }, replace: true });

  return (
    <Stack>
      <Group justify="space-between" wrap="wrap">
        <Stack gap={0}>
          <AnchorLink to="/leads" size="sm">
            {t('leads.backToList')}
          </AnchorLink>
          <Group gap="sm">
            <Title order={1}>{name}</Title>
            {record.status && (
              <Badge variant="light" color={converted ? 'green' : undefined}>
                {t(`components.person.statuses.${record.status}`)}
              </Badge>
            )}
          </Group>
          {record.company && <Text c="dimmed">{record.company}</Text>}
        </Stack>
        <Group gap="xs">
          {!converted && !record.restricted && can('contacts', 'create') && can('leads', 'edit') && (
            <Button onClick={convert.open}>{t('leads.convert.action')}</Button>
          )}
          {!converted && !record.restricted && can('leads', 'edit') && (
            <ButtonLink to="/leads/$leadId/edit" params={{ leadId: record.id }}>
              {t('leads.edit')}
            </ButtonLink>
          )}
          {can('leads', 'delete') && !record.restricted && (
            <Button color="red" variant="outline" onClick={confirm.open}>
              {t('leads.delete')}
            </Button>
          )}
          <PersonPrivacyActions
            person={{ kind: 'leads', id: record.id }}
            name={name}
            restricted={record.restricted}
            onErased={() => void navigate({ to: '/leads' })}
          />
        </Group>
      </Group>
      <RestrictionBanner restricted={record.restricted} />
      <Paper withBorder p="md">
        <Title order={2} size="h4" mb="sm">
          {t('leads.details')}
        </Title>
        <PersonSummary
          person={record}
          extra={[
            { label: t('components.person.source'), value: record.source || '—' },
            { label: t('components.person.rating'), value: record.rating ? t(`components.person.ratings.${record.rating}`) : '—' },
          ]}
        />
      </Paper>
      <ConsentPanel person={{ kind: 'leads', id: record.id }} />
      <Tabs value={tab ?? 'timeline'} onChange={setTab} keepMounted={false}>
        <Tabs.List>
          <Tabs.Tab value="timeline">{t('leads.tabs.timeline')}</Tabs.Tab>
          {can('activities', 'view') && (
            <Tabs.Tab value="activities">{t('leads.tabs.activities', { count: activities.data?.length ?? 0 })}</Tabs.Tab>
          )}
          {can('notes', 'view') && <Tabs.Tab value="notes">{t('leads.tabs.notes', { count: notes.data?.length ?? 0 })}</Tabs.Tab>}
          {can('files', 'view') && <Tabs.Tab value="files">{t('files.title')}</Tabs.Tab>}
          <Tabs.Tab value="access">{t('leads.tabs.access')}</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="timeline" pt="md">
          <Title order={2} size="h4" mb="sm">
            {t('leads.tabs.timeline')}
          </Title>
          <RecordTimeline entries={timeline} />
        </Tabs.Panel>
        <Tabs.Panel value="activities" pt="md">
          <Title order={2} size="h4" mb="sm">
            {t('leads.tabs.activities', { count: activities.data?.length ?? 0 })}
          </Title>
          {(activities.data ?? []).length === 0 ? (
            <Text c="dimmed">{t('leads.noActivities')}</Text>
          ) : (
            <Table.ScrollContainer minWidth={0}>
              <Table striped>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th scope="col">{t('leads.activitySubject')}</Table.Th>
                    <Table.Th scope="col">{t('leads.activityType')}</Table.Th>
                    <Table.Th scope="col">{t('leads.activityDue')}</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {(activities.data ?? []).map((activity) => (
                    <Table.Tr key={activity.id}>
                      <Table.Td>{activity.done ? `✓ ${activity.subject}` : activity.subject}</Table.Td>
                      <Table.Td>{t(`leads.activityTypes.${activity.type}`)}</Table.Td>
                      <Table.Td>{activity.dueAt ? format.dateTime(activity.dueAt) : '—'}</Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          )}
        </Tabs.Panel>
        <Tabs.Panel value="notes" pt="md">
          <Title order={2} size="h4" mb="sm">
            {t('leads.tabs.notes', { count: notes.data?.length ?? 0 })}
          </Title>
          <Stack>
            {(notes.data ?? []).length === 0 && <Text c="dimmed">{t('leads.noNotes')}</Text>}
            {(notes.data ?? []).map((note) => (
              <Paper key={note.id} withBorder p="sm">
                <Text style={{ whiteSpace: 'pre-wrap' }}>{note.body}</Text>
                <Text size="xs" c="dimmed">
                  {format.dateTime(note.createdAt)}
                </Text>
              </Paper>
            ))}
          </Stack>
        </Tabs.Panel>
        <Tabs.Panel value="files" pt="md">
          <FilesPanel target={{ leadId: record.id }} restricted={record.restricted} />
        </Tabs.Panel>
        <Tabs.Panel value="access" pt="md">
          <Title order={2} size="h4" mb="sm">
            {t('leads.tabs.access')}
          </Title>
          <AccessLog module="leads" id={record.id} />
        </Tabs.Panel>
      </Tabs>
      <ConfirmDialog
        opened={confirming}
        title={t('leads.deleteTitle')}
        message={t('leads.deleteMessage', { name })}
        confirmLabel={t('leads.delete')}
        danger
        busy={deleting}
        onConfirm={() => void remove()}
        onClose={confirm.close}
      />
      {converting && <ConvertDialog lead={record} opened={converting} onClose={convert.close} onConverted={(id) => void converted_(id)} />}
    </Stack>
  );
}
