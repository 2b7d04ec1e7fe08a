import { Badge, Button, Group, SegmentedControl, Stack, Table, Text, Title } from '@mantine/core';
import { useInfiniteQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Loading, LoadError } from '../../app/RouteStates';
import { AnchorLink, ButtonLink } from '../../components/links';
import { usePermissions } from '../../components/permissions';
import { useUserNames } from '../../components/Pickers';
import { PublicFormAddress } from '../privacy-export/PublicFormAddress';
import { DueDate } from './DueBadge';
import { PersonLink } from './PersonLink';
import { requestsQuery, STATUS_COLORS, type ListFilter } from './queries';

const FILTERS: readonly ListFilter[] = ['open', 'overdue', 'closed', 'all'];

/** Open requests by due date, the earliest first, overdue ones flagged; other filters on request. */
export default function RequestsPage() {
  const { t } = useTranslation();
  const { can } = usePermissions();
  const [filter, setFilter] = useState<ListFilter>('open');
  const requests = useInfiniteQuery(requestsQuery(filter));
  const items = requests.data?.pages.flatMap((page) => page.items) ?? [];
  const userName = useUserNames();

  return (
    <Stack>
      <Group justify="space-between" wrap="wrap">
        <Title order={1}>{t('privacyRequests.title')}</Title>
        {can('privacy', 'edit') && <ButtonLink to="/privacy/requests/new">{t('privacyRequests.new')}</ButtonLink>}
      </Group>
      <Text size="sm">{t('privacyRequests.intro')}</Text>
      <PublicFormAddress />
      <Group gap="xs">
        <Text size="sm" id="requests-filter-label">
          {t('privacyRequests.filter')}
        </Text>
        <SegmentedControl
          aria-labelledby="requests-filter-label"
          value={filter}
          onChange={(value) => setFilter(value as ListFilter)}
          data={FILTERS.map((value) => ({ value, label: t(`privacyRequests.filters.${value}`) }))}
        />
      </Group>
      {requests.isPending ? (
        <Loading />
      ) : requests.isError ? (
        <LoadError error={requests.error} />
      ) : items.length === 0 ? (
        <Text>{t('privacyRequests.none')}</Text>
      ) : (
        <Table.ScrollContainer minWidth={760}>
          <Table striped>
            <Table.Caption>{t('privacyRequests.caption')}</Table.Caption>
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">{t('privacyRequests.fields.reference')}</Table.Th>
                <Table.Th scope="col">{t('privacyRequests.fields.type')}</Table.Th>
                <Table.Th scope="col">{t('privacyRequests.fields.dueAt')}</Table.Th>
                <Table.Th scope="col">{t('privacyRequests.fields.status')}</Table.Th>
                <Table.Th scope="col">{t('privacyRequests.fields.person')}</Table.Th>
                <Table.Th scope="col">{t('privacyRequests.fields.assignee')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((request) => (
                <Table.Tr key={request.id} data-overdue={request.overdue || undefined}>
                  <Table.Td>
                    <AnchorLink to="/privacy/requests/$requestId" params={{ requestId: request.id }}>
                      {request.reference}
                    </AnchorLink>
                  </Table.Td>
                  <Table.Td>{t(`privacyRequests.types.${request.type}`)}</Table.Td>
                  <Table.Td>
                    <DueDate request={request} />
                  </Table.Td>
                  <Table.Td>
                    <Badge color={STATUS_COLORS[request.status]}>{t(`privacyRequests.statuses.${request.status}`)}</Badge>
                  </Table.Td>
                  <Table.Td>
                    <PersonLink request={request} />
                  </Table.Td>
                  <Table.Td>{request.assigneeId ? userName(request.assigneeId) : t('privacyRequests.unassigned')}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      {requests.hasNextPage && (
        <Group justify="center">
          <Button variant="default" loading={requests.isFetchingNextPage} onClick={() => void requests.fetchNextPage()}>
            {t('privacyRequests.more')}
          </Button>
        </Group>
      )}
    </Stack>
  );
}
