import { Alert, Button, Center, Group, Loader, Table, Text, type MantineBreakpoint } from '@mantine/core';
import { useInfiniteQuery, type QueryKey } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import './i18n';
import { problemDetail } from './problems';
import { uniqueRows } from './record-rows';

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface Column<T> {
  key: string;
  header: string;
  cell: (row: T) => ReactNode;
  /** Hidden below this width, so a phone shows only the columns that matter. */
  visibleFrom?: MantineBreakpoint;
}

/**
 * A keyset-paged list: pages are fetched with the previous page's `nextCursor` and
 * appended under a "Load more" button, so rows already on screen never move while
 * more arrive (a record met twice, because it changed between pages, is shown once).
 * Change `queryKey` when the filters or sort change: the list then starts over.
 */
export function RecordList<T>({
  queryKey,
  fetchPage,
  columns,
  rowKey,
  caption,
  empty,
  pageSize = 50,
}: {
  queryKey: QueryKey;
  fetchPage: (cursor: string | undefined, limit: number) => Promise<Page<T>>;
  columns: Column<NoInfer<T>>[];
  rowKey: (row: NoInfer<T>) => string;
  caption: string;
  empty?: string;
  pageSize?: number;
}) {
  const { t } = useTranslation();
  const list = useInfiniteQuery({
    queryKey,
    queryFn: ({ pageParam }) => fetchPage(pageParam, pageSize),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });

  if (list.isPending) {
    return (
      <Center p="lg">
        <Loader aria-label={t('app.loading')} />
      </Center>
    );
  }
  if (list.isError) {
    return (
      <Alert color="red" role="alert">
        {t('app.error', { detail: problemDetail(list.error) })}
      </Alert>
    );
  }

  const rows = uniqueRows(list.data.pages, rowKey);

  return (
    <>
      <Table.ScrollContainer minWidth={0}>
        <Table striped highlightOnHover verticalSpacing="sm" aria-busy={list.isFetching}>
          <Table.Caption>{caption}</Table.Caption>
          <Table.Thead>
            <Table.Tr>
              {columns.map((column) => (
                <Table.Th key={column.key} visibleFrom={column.visibleFrom} scope="col">
                  {column.header}
                </Table.Th>
              ))}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map((row) => (
              <Table.Tr key={rowKey(row)}>
                {columns.map((column) => (
                  <Table.Td key={column.key} visibleFrom={column.visibleFrom}>
                    {column.cell(row)}
                  </Table.Td>
                ))}
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {rows.length === 0 && <Text c="dimmed">{empty ?? t('components.list.empty')}</Text>}
      <Group justify="space-between" mt="sm">
        <Text size="sm" c="dimmed" aria-live="polite">
          {rows.length > 0 && t('components.list.shown', { count: rows.length })}
        </Text>
        {list.hasNextPage ? (
          <Button variant="default" onClick={() => void list.fetchNextPage()} loading={list.isFetchingNextPage}>
            {t('components.list.loadMore')}
          </Button>
        ) : (
          rows.length > 0 && (
            <Text size="sm" c="dimmed">
              {t('components.list.allShown')}
            </Text>
          )
        )}
      </Group>
    </>
  );
}
