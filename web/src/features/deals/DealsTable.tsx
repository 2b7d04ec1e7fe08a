import { Anchor, Badge, Table } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { Link } from '@tanstack/react-router';
import { useTranslation } from 'react-i18next';
import type { Column } from '../../components/RecordList';
import { useFormat } from '../../i18n/format';
import { pipelinesQuery, type Deal } from './api';

const STATUS_COLORS = { open: 'blue', won: 'green', lost: 'gray' } as const;

/** The columns deals are shown with: title, amount in its currency, stage, status, expected close. */
export function useDealColumns(): Column<Deal>[] {
  const { t } = useTranslation();
  const format = useFormat();
  const pipelines = useQuery(pipelinesQuery);
  const stageName = (stageId: string) =>
    pipelines.data?.flatMap((pipeline) => pipeline.stages).find((stage) => stage.id === stageId)?.name ?? '';
  return [
    {
      key: 'title',
      header: t('deals.fields.title'),
      cell: (deal) => (
        <Anchor renderRoot={(props) => <Link {...props} to="/deals/$dealId" params={{ dealId: deal.id }} />}>{deal.title}</Anchor>
      ),
    },
    {
      key: 'amount',
      header: t('deals.fields.amount'),
      cell: (deal) => (deal.amount !== undefined && deal.currency ? format.money(deal.amount, deal.currency) : ''),
    },
    { key: 'stage', header: t('deals.fields.stage'), visibleFrom: 'sm', cell: (deal) => stageName(deal.stageId) },
    {
      key: 'status',
      header: t('deals.fields.status'),
      cell: (deal) => (
        <Badge color={STATUS_COLORS[deal.status]} variant="light">
          {t(`deals.statuses.${deal.status}`)}
        </Badge>
      ),
    },
    {
      key: 'expectedCloseDate',
      header: t('deals.fields.expectedCloseDate'),
      visibleFrom: 'md',
      cell: (deal) => (deal.expectedCloseDate ? format.date(deal.expectedCloseDate) : ''),
    },
  ];
}

/** A short table of deals (e.g. an organization's), without paging. */
export function DealsTable({ deals }: { deals: Deal[] }) {
  const columns = useDealColumns();
  return (
    <Table.ScrollContainer minWidth={0}>
      <Table striped highlightOnHover>
        <Table.Thead>
          <Table.Tr>
            {columns.map((column) => (
              <Table.Th key={column.key} scope="col" visibleFrom={column.visibleFrom}>
                {column.header}
              </Table.Th>
            ))}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {deals.map((deal) => (
            <Table.Tr key={deal.id}>
              {columns.map((column) => (
                <Table.Td key={column.key} visibleFrom={column.visibleFrom}>
                  {column.cell(deal)}
                </Table.Td>
              ))}
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
