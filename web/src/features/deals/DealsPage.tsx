import { Button, Group, Modal, Select, SimpleGrid, Stack, TextInput, Title } from '@mantine/core';
import { useDebouncedValue, useDisclosure } from '@mantine/hooks';
import { useQuery } from '@tanstack/react-query';
import { useNavigate } from '@tanstack/react-router';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, data } from '../../api/client';
import { SortSelect } from '../../components/ListControls';
import { usePermissions } from '../../components/permissions';
import { OwnerPicker, TagPicker } from '../../components/Pickers';
import { RecordList } from '../../components/RecordList';
import { DEAL_STATUSES, dealKeys, pipelinesQuery, type Deal, type DealFilters, type DealStatus } from './api';
import { DealForm } from './DealForm';
import { DealsNav } from './DealsNav';
import { useDealColumns } from './DealsTable';

type Sort = NonNullable<DealFilters['sort']>;
const SORTS: Sort[] = ['-updatedAt', '-createdAt', 'createdAt', 'title', '-amount', 'amount', 'expectedCloseDate'];

/** Deals: search by title, filter by status, pipeline, owner and tag, sort, page by cursor. */
export default function DealsPage() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const { can } = usePermissions();
  const [creating, { open, close }] = useDisclosure(false);
  const [q, setQ] = useState('');
  const [status, setStatus] = useState<DealStatus | null>(null);
  const [pipelineId, setPipelineId] = useState<string | null>(null);
  const [ownerId, setOwnerId] = useState<string | null>(null);
  const [tag, setTag] = useState<string | null>(null);
  const [sort, setSort] = useState<Sort>('-updatedAt');
  const [debouncedQ] = useDebouncedValue(q.trim(), 300);
  const pipelines = useQuery(pipelinesQuery);
  const columns = useDealColumns();
  const filters: DealFilters = {
    sort,
    ...(debouncedQ && { q: debouncedQ }),
    ...(status && { status }),
    ...(pipelineId && { pipelineId }),
    ...(ownerId && { ownerId }),
    ...(tag && { tag }),
  };

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={1}>{t('deals.title')}</Title>
        {can('deals', 'create') && <Button onClick={open}>{t('deals.new')}</Button>}
      </Group>
      <DealsNav current="list" />
      <SimpleGrid cols={{ base: 1, sm: 3, lg: 6 }}>
        <TextInput label={t('deals.filters.search')} type="search" value={q} onChange={(event) => setQ(event.currentTarget.value)} />
        <Select
          label={t('deals.fields.status')}
          data={DEAL_STATUSES.map((value) => ({ value, label: t(`deals.statuses.${value}`) }))}
          value={status}
          onChange={(value) => setStatus(value as DealStatus | null)}
          clearable
        />
        <Select
          label={t('deals.fields.pipeline')}
          data={(pipelines.data ?? []).map((pipeline) => ({ value: pipeline.id, label: pipeline.name }))}
          value={pipelineId}
          onChange={setPipelineId}
          clearable
        />
        <OwnerPicker value={ownerId} onChange={setOwnerId} />
        <TagPicker value={tag} onChange={setTag} />
        <SortSelect value={sort} options={SORTS.map((value) => ({ value, label: t(`deals.sorts.${value}`) }))} onChange={setSort} />
      </SimpleGrid>
      <RecordList<Deal>
        queryKey={[...dealKeys.all, 'list', filters]}
        fetchPage={(cursor, limit) =>
          data(api.GET('/api/v1/deals', { params: { query: { ...filters, limit, ...(cursor && { cursor }) } } }))
        }
        columns={columns}
        rowKey={(deal) => deal.id}
        caption={t('deals.caption')}
        empty={t('deals.empty')}
      />
      <Modal
        opened={creating}
        onClose={close}
        closeButtonProps={{ 'aria-label': t('organizations.shared.close') }}
        title={t('deals.new')}
        size="lg"
      >
        <DealForm
          onSaved={(saved) => {
            close();
            void navigate({ to: '/deals/$dealId', params: { dealId: saved.id } });
          }}
        />
      </Modal>
    </Stack>
  );
}
