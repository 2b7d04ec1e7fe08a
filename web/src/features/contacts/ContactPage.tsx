import { Badge, Button, Group, Paper, Stack, Table, Tabs, Text, Title } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useNavigate } from '@tanstack/react-router';
import { AnchorLink, ButtonLink } from '../../components/links';
import { useState, type ReactNode } from 'react';
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
import { contactQuery, personName } from './queries';
import { contactRoute, type ContactTab } from './routes';

const RELATED = { limit: 100 } as const;

/** One contact: its fields, organization, deals, activities, notes, e-mails, a timeline and who accessed it. */
export default function ContactPage() {
  const { t } = useTranslation();
  const format = useFormat();
  const { contactId } = contactRoute.useParams();
  const { tab } = contactRoute.useSearch();
  const navigate = useNavigate({ from: contactRoute.fullPath });
  const queryClient = useQueryClient();
  const { can } = usePermissions();
  const [deleting, setDeleting] = useState(false);
  const [confirming, confirm] = useDisclosure(false);

  const contact = useQuery(contactQuery(contactId));
  const organizationId = contact.data?.organizationId;
  const organization = useQuery({
    queryKey: ['organizations', organizationId],
    queryFn: () => data(api.GET('/api/v1/organizations/{id}', { params: { path: { id: organizationId! } } })),
    enabled: Boolean(organizationId) && can('organizations', 'view'),
  });
  const query = { contactId, ...RELATED };
  const deals = useQuery({
    queryKey: ['deals', 'of-contact', contactId],
    queryFn: async () => (await data(api.GET('/api/v1/deals', { params: { query } }))).items,
    enabled: contact.isSuccess && can('deals', 'view'),
  });
  const activities = useQuery({
    queryKey: ['activities', 'of-contact', contactId],
    queryFn: async () => (await data(api.GET('/api/v1/activities', { params: { query: { ...query, sort: '-createdAt' } } }))).items,
    enabled: contact.isSuccess && can('activities', 'view'),
  });
  const notes = useQuery({
    queryKey: ['notes', 'of-contact', contactId],
    queryFn: async () => (await data(api.GET('/api/v1/notes', { params: { query } }))).items,
    enabled: contact.isSuccess && can('notes', 'view'),
  });
  const emails = useQuery({
    queryKey: ['email-messages', 'of-contact', contactId],
    queryFn: async () => (await data(api.GET('/api/v1/email-messages', { params: { query } }))).items,
    enabled: contact.isSuccess && can('contacts', 'view'),
  });

  if (contact.isPending) return <Loading />;
  if (contact.isError) return <LoadError error={contact.error} />;
  const record = contact.data;
  const name = personName(record) || t('contacts.unnamed');

  const remove = async () => {
    setDeleting(true);
    try {
      await api.DELETE('/api/v1/contacts/{id}', { params: { path: { id: record.id } } });
      await queryClient.invalidateQueries({ queryKey: ['contacts'] });
      notify(t('contacts.deleted', { name }), 'green');
      await navigate({ to: '/contacts' });
    } catch (error) {
      notify(t('app.error', { detail: problemDetail(error) }), 'red');
    } finally {
      setDeleting(false);
      confirm.close();
    }
  };

  const timeline: TimelineEntry[] = [
    { id: 'created', at: record.createdAt, title: t('contacts.timeline.created') },
    ...(record.version > 1 ? [{ id: 'updated', at: record.updatedAt, title: t('contacts.timeline.updated') }] : []),
    ...(deals.data ?? []).map((deal) => ({
      id: `deal-${deal.id}`,
      at: deal.createdAt,
      title: t('contacts.timeline.deal', { title: deal.title }),
    })),
    ...(activities.data ?? []).map((activity) => ({
      id: `activity-${activity.id}`,
      at: activity.doneAt ?? activity.createdAt,
      title: t(activity.done ? 'contacts.timeline.activityDone' : 'contacts.timeline.activity', {
        type: t(`contacts.activityTypes.${activity.type}`),
        subject: activity.subject,
      }),
      detail: activity.dueAt ? t('contacts.due', { date: format.dateTime(activity.dueAt) }) : undefined,
    })),
    ...(notes.data ?? []).map((note) => ({
      id: `note-${note.id}`,
      at: note.createdAt,
      title: t('contacts.timeline.note'),
      detail: note.body,
    })),
    ...(emails.data ?? []).map((email) => ({
      id: `email-${email.id}`,
      at: email.sentAt,
      title: t(email.direction === 'inbound' ? 'contacts.timeline.emailIn' : 'contacts.timeline.emailOut', { subject: email.subject }),
    })),
  ];

  const setTab = (next: string | null) => void navigate({ search: { tab: (next ?? 'timeline') as ContactTab }, replace: true });

  return (
    <Stack>
      <Group justify="space-between" wrap="wrap">
        <Stack gap={0}>
          <AnchorLink to="/contacts" size="sm">
            {t('contacts.backToList')}
          </AnchorLink>
          <Title order={1}>{name}</Title>
          {organization.data && (
            <AnchorLink to="/organizations/$organizationId" params={{ organizationId: organization.data.id }}>
              {organization.data.name}
            </AnchorLink>
          )}
          {record.leadId && (
            <AnchorLink to="/leads/$leadId" params={{ leadId: record.leadId }} size="sm">
              {t('contacts.fromLead')}
            </AnchorLink>
          )}
        </Stack>
        <Group gap="xs">
          {can('contacts', 'edit') && !record.restricted && (
            <ButtonLink to="/contacts/$contactId/edit" params={{ contactId: record.id }}>
              {t('contacts.edit')}
            </ButtonLink>
          )}
          {can('contacts', 'delete') && !record.restricted && (
            <Button color="red" variant="outline" onClick={confirm.open}>
              {t('contacts.delete')}
            </Button>
          )}
          <PersonPrivacyActions
            person={{ kind: 'contacts', id: record.id }}
            name={name}
            restricted={record.restricted}
            onErased={() => void navigate({ to: '/contacts' })}
          />
        </Group>
      </Group>
      <RestrictionBanner restricted={record.restricted} />
      <Paper withBorder p="md">
        <Title order={2} size="h4" mb="sm">
          {t('contacts.details')}
        </Title>
        <PersonSummary person={record} />
      </Paper>
      <ConsentPanel person={{ kind: 'contacts', id: record.id }} />
      <Tabs value={tab ?? 'timeline'} onChange={setTab} keepMounted={false}>
        <Tabs.List>
          <Tabs.Tab value="timeline">{t('contacts.tabs.timeline')}</Tabs.Tab>
          {can('deals', 'view') && <Tabs.Tab value="deals">{t('contacts.tabs.deals', { count: deals.data?.length ?? 0 })}</Tabs.Tab>}
          {can('activities', 'view') && (
            <Tabs.Tab value="activities">{t('contacts.tabs.activities', { count: activities.data?.length ?? 0 })}</Tabs.Tab>
          )}
          {can('notes', 'view') && <Tabs.Tab value="notes">{t('contacts.tabs.notes', { count: notes.data?.length ?? 0 })}</Tabs.Tab>}
          <Tabs.Tab value="emails">{t('contacts.tabs.emails', { count: emails.data?.length ?? 0 })}</Tabs.Tab>
          {can('files', 'view') && <Tabs.Tab value="files">{t('files.title')}</Tabs.Tab>}
          <Tabs.Tab value="access">{t('contacts.tabs.access')}</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="timeline" pt="md">
          <Title order={2} size="h4" mb="sm">
            {t('contacts.tabs.timeline')}
          </Title>
          <RecordTimeline entries={timeline} />
        </Tabs.Panel>
        <Tabs.Panel value="deals" pt="md">
          <Related
            title={t('contacts.tabs.deals', { count: deals.data?.length ?? 0 })}
            empty={t('contacts.noDeals')}
            headers={[t('contacts.dealTitle'), t('contacts.dealAmount'), t('contacts.dealStatus')]}
            rows={(deals.data ?? []).map((deal) => ({
              id: deal.id,
              cells: [
                deal.title,
                deal.amount !== undefined && deal.currency ? format.money(deal.amount, deal.currency) : '—',
                <Badge key="status" variant="light">
                  {t(`contacts.dealStatuses.${deal.status}`)}
                </Badge>,
              ],
            }))}
          />
        </Tabs.Panel>
        <Tabs.Panel value="activities" pt="md">
          <Related
            title={t('contacts.tabs.activities', { count: activities.data?.length ?? 0 })}
            empty={t('contacts.noActivities')}
            headers={[t('contacts.activitySubject'), t('contacts.activityType'), t('contacts.activityDue')]}
            rows={(activities.data ?? []).map((activity) => ({
              id: activity.id,
              cells: [
                activity.done ? `✓ ${activity.subject}` : activity.subject,
                t(`contacts.activityTypes.${activity.type}`),
                activity.dueAt ? format.dateTime(activity.dueAt) : '—',
              ],
            }))}
          />
        </Tabs.Panel>
        <Tabs.Panel value="notes" pt="md">
          <Title order={2} size="h4" mb="sm">
            {t('contacts.tabs.notes', { count: notes.data?.length ?? 0 })}
          </Title>
          <Stack>
            {(notes.data ?? []).length === 0 && <Text c="dimmed">{t('contacts.noNotes')}</Text>}
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
        <Tabs.Panel value="emails" pt="md">
          <Related
            title={t('contacts.tabs.emails', { count: emails.data?.length ?? 0 })}
            empty={t('contacts.noEmails')}
            headers={[t('contacts.emailSubject'), t('contacts.emailDirection'), t('contacts.emailSent')]}
            rows={(emails.data ?? []).map((email) => ({
              id: email.id,
              cells: [email.subject, t(`contacts.directions.${email.direction}`), format.dateTime(email.sentAt)],
            }))}
          />
        </Tabs.Panel>
        <Tabs.Panel value="files" pt="md">
          <FilesPanel target={{ contactId: record.id }} restricted={record.restricted} />
        </Tabs.Panel>
        <Tabs.Panel value="access" pt="md">
          <Title order={2} size="h4" mb="sm">
            {t('contacts.tabs.access')}
          </Title>
          <AccessLog module="contacts" id={record.id} />
        </Tabs.Panel>
      </Tabs>
      <ConfirmDialog
        opened={confirming}
        title={t('contacts.deleteTitle')}
        message={t('contacts.deleteMessage', { name })}
        confirmLabel={t('contacts.delete')}
        danger
        busy={deleting}
        onConfirm={() => void remove()}
        onClose={confirm.close}
      />
    </Stack>
  );
}

function Related({
  title,
  empty,
  headers,
  rows,
}: {
  title: string;
  empty: string;
  headers: string[];
  rows: { id: string; cells: ReactNode[] }[];
}) {
  return (
    <>
      <Title order={2} size="h4" mb="sm">
        {title}
      </Title>
      {rows.length === 0 ? (
        <Text c="dimmed">{empty}</Text>
      ) : (
        <Table.ScrollContainer minWidth={0}>
          <Table striped>
            <Table.Thead>
              <Table.Tr>
                {headers.map((header) => (
                  <Table.Th key={header} scope="col">
                    {header}
                  </Table.Th>
                ))}
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {rows.map((row) => (
                <Table.Tr key={row.id}>
                  {row.cells.map((cell, index) => (
                    <Table.Td key={index}>{cell}</Table.Td>
                  ))}
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </>
  );
}
