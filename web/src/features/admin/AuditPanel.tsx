import { Alert, Badge, Button, Code, Group, NativeSelect, SimpleGrid, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useForm } from '@mantine/form';
import { notifications } from '@mantine/notifications';
import { useInfiniteQuery, useMutation, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, data } from '../../api/client';
import { Loading } from '../../app/RouteStates';
import { useFormat } from '../../i18n/format';
import { PRIMARY } from './theme';
import { closable, problemMessage } from './problems';
import { usersQuery, type AuditEntry, type AuditFilters } from './queries';

interface FilterValues {
  action: string;
  actorId: string;
  entity: string;
  entityId: string;
  from: string;
  to: string;
}
const EMPTY: FilterValues = { action: '', actorId: '', entity: '', entityId: '', from: '', to: '' };

/** Form values → the API's query: dates are whole days in the browser's time zone, `to` up to the end of that day. */
function filtersOf(values: FilterValues): AuditFilters {
  const filters: AuditFilters = {};
  if (values.action.trim()) filters.action = values.action.trim();
  if (values.actorId) filters.actorId = values.actorId;
  if (values.entity.trim() && values.entityId.trim()) {
    filters.entity = values.entity.trim();
    filters.entityId = values.entityId.trim();
  }
  if (values.from) filters.from = new Date(`${values.from}T00:00:00`).toISOString();
  if (values.to) {
    const end = new Date(`${values.to}T00:00:00`);
    end.setDate(end.getDate() + 1);
    filters.to = end.toISOString();
  }
  return filters;
}

/** The audit trail with its filters, a CSV export of what the filters match, and how to verify the chain. */
export function AuditPanel() {
  const { t } = useTranslation();
  const [filters, setFilters] = useState<AuditFilters>({});
  const [exporting, setExporting] = useState(false);
  const users = useQuery(usersQuery);
  const form = useForm<FilterValues>({ mode: 'uncontrolled', initialValues: EMPTY });
  const entries = useInfiniteQuery({
    queryKey: ['admin', 'audit', filters],
    queryFn: ({ pageParam }) =>
      data(api.GET('/api/v1/audit', { params: { query: { ...filters, limit: 50, ...(pageParam ? { cursor: pageParam } : {}) } } })),
    initialPageParam: '',
    getNextPageParam: (page) => page.nextCursor ?? undefined,
  });

  const exportCsv = async () => {
    setExporting(true);
    try {
      const { data: blob } = await api.GET('/api/v1/audit/export.csv', { params: { query: filters }, parseAs: 'blob' });
      if (!blob) return;
      const url = URL.createObjectURL(blob);
      const link = document.createElement('a');
      link.href = url;
      link.download = `audit-${new Date().toISOString().slice(0, 10)}.csv`;
      link.click();
      URL.revokeObjectURL(url);
    } catch (error) {
      notifications.show({ ...closable(t), color: 'red', message: problemMessage(error, t) });
    } finally {
      setExporting(false);
    }
  };

  const userName = (id: string | null) => (id ? (users.data?.find((u) => u.id === id)?.name ?? id) : null);
  const items = entries.data?.pages.flatMap((page) => page.items) ?? [];

  return (
    <Stack gap="xl">
      <Stack>
        <Title order={2}>{t('admin.audit.title')}</Title>
        <form onSubmit={form.onSubmit((values) => setFilters(filtersOf(values)))}>
          <Stack>
            <SimpleGrid cols={{ base: 1, sm: 2, lg: 3 }}>
              <TextInput
                label={t('admin.audit.action')}
                description={t('admin.audit.actionHint')}
                key={form.key('action')}
                {...form.getInputProps('action')}
              />
              <NativeSelect
                label={t('admin.audit.actor')}
                data={[{ value: '', label: t('admin.audit.anyone') }, ...(users.data ?? []).map((u) => ({ value: u.id, label: u.name }))]}
                key={form.key('actorId')}
                {...form.getInputProps('actorId')}
              />
              <TextInput
                label={t('admin.audit.entity')}
                description={t('admin.audit.entityHint')}
                key={form.key('entity')}
                {...form.getInputProps('entity')}
              />
              <TextInput label={t('admin.audit.entityId')} key={form.key('entityId')} {...form.getInputProps('entityId')} />
              <TextInput type="date" label={t('admin.audit.from')} key={form.key('from')} {...form.getInputProps('from')} />
              <TextInput type="date" label={t('admin.audit.to')} key={form.key('to')} {...form.getInputProps('to')} />
            </SimpleGrid>
            <Group justify="flex-end">
              <Button
                variant="default"
                onClick={() => {
                  form.reset();
                  setFilters({});
                }}
              >
                {t('admin.audit.clear')}
              </Button>
              <Button variant="default" loading={exporting} onClick={() => void exportCsv()}>
                {t('admin.audit.exportCsv')}
              </Button>
              <Button color={PRIMARY} type="submit">
                {t('admin.audit.apply')}
              </Button>
            </Group>
          </Stack>
        </form>
        {entries.isPending ? (
          <Loading />
        ) : entries.isError ? (
          <Alert color="red">{problemMessage(entries.error, t)}</Alert>
        ) : items.length === 0 ? (
          <Text c="dimmed">{t('admin.audit.none')}</Text>
        ) : (
          <>
            <Table.ScrollContainer minWidth={800}>
              <Table striped aria-label={t('admin.audit.title')}>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>{t('admin.audit.at')}</Table.Th>
                    <Table.Th>{t('admin.audit.action')}</Table.Th>
                    <Table.Th>{t('admin.audit.actor')}</Table.Th>
                    <Table.Th>{t('admin.audit.record')}</Table.Th>
                    <Table.Th>{t('admin.audit.fields')}</Table.Th>
                    <Table.Th>{t('admin.audit.details')}</Table.Th>
                    <Table.Th>{t('admin.audit.from_ip')}</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {items.map((entry) => (
                    <AuditRow
                      key={entry.id}
                      entry={entry}
                      actor={
                        userName(entry.actor.userId) ??
                        entry.actor.label ??
                        t(`admin.audit.actorKinds.${entry.actor.kind}`, { defaultValue: entry.actor.kind })
                      }
                    />
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
            {entries.hasNextPage && (
              <Group justify="center">
                <Button variant="default" loading={entries.isFetchingNextPage} onClick={() => void entries.fetchNextPage()}>
                  {t('admin.audit.more')}
                </Button>
              </Group>
            )}
          </>
        )}
      </Stack>
      <Verification />
    </Stack>
  );
}

/** The entry's plain details (e.g. `change: role.created` of an access change), as text. */
function detailsOf(entry: AuditEntry): string {
  return Object.entries(entry.details)
    .filter(([, value]) => ['string', 'number', 'boolean'].includes(typeof value))
    .map(([key, value]) => `${key}: ${String(value)}`)
    .join(', ');
}

function AuditRow({ entry, actor }: { entry: AuditEntry; actor: string }) {
  const { t } = useTranslation();
  const format = useFormat();
  return (
    <Table.Tr>
      <Table.Td>{format.dateTime(entry.at)}</Table.Td>
      <Table.Td>
        <Code>{entry.action}</Code>
      </Table.Td>
      <Table.Td>{actor}</Table.Td>
      <Table.Td>{entry.entity ? `${entry.entity}${entry.entityId ? ` ${entry.entityId.slice(0, 8)}` : ''}` : '—'}</Table.Td>
      <Table.Td>
        {entry.fields.join(', ') || '—'}{' '}
        {entry.valuesErased && (
          <Badge variant="outline" color="gray.8">
            {t('admin.audit.erased')}
          </Badge>
        )}
        {entry.valuesWithheld && (
          <Badge variant="outline" color="orange.9">
            {t('admin.audit.withheld')}
          </Badge>
        )}
      </Table.Td>
      <Table.Td>{detailsOf(entry) || '—'}</Table.Td>
      <Table.Td>{entry.ip ?? '—'}</Table.Td>
    </Table.Tr>
  );
}

/** Verifies the whole chain on the server (POST /audit/verify) and shows the result; also what was archived. */
function Verification() {
  const { t } = useTranslation();
  const format = useFormat();
  const settings = useQuery({ queryKey: ['admin', 'audit', 'settings'], queryFn: () => data(api.GET('/api/v1/audit/settings')) });
  const verification = useMutation({ mutationFn: () => data(api.POST('/api/v1/audit/verify')) });
  const report = verification.data;
  return (
    <Stack>
      <Title order={2}>{t('admin.audit.verifyTitle')}</Title>
      <Text size="sm">{t('admin.audit.verifyExplained')}</Text>
      <Group>
        <Button onClick={() => verification.mutate()} loading={verification.isPending}>
          {t('admin.audit.verifyNow')}
        </Button>
      </Group>
      {verification.isError && (
        <Alert color="red" role="alert">
          {problemMessage(verification.error, t)}
        </Alert>
      )}
      {report && (
        <Alert
          color={report.ok ? 'green' : 'red'}
          role="status"
          title={report.ok ? t('admin.audit.verifyIntact') : t('admin.audit.verifyBroken')}
          data-testid="audit-verification"
        >
          <Stack gap="xs">
            <Text size="sm">{t('admin.audit.verifyChecked', { entries: format.number(report.entries) })}</Text>
            {report.problems.map((problem) => (
              <Text size="sm" key={`${problem.position ?? ''}-${problem.id ?? ''}-${problem.problem}`}>
                {t('admin.audit.verifyProblem', { position: problem.position ?? '—', problem: problem.problem })}
              </Text>
            ))}
          </Stack>
        </Alert>
      )}
      {settings.data && (
        <Text size="sm">
          {t('admin.audit.retention', { days: format.number(settings.data.retentionDays) })}{' '}
          {settings.data.archivedAt
            ? t('admin.audit.archived', {
                position: format.number(settings.data.archivedUpTo),
                at: format.dateTime(settings.data.archivedAt),
              })
            : t('admin.audit.nothingArchived')}
        </Text>
      )}
    </Stack>
  );
}
