import { Alert, Anchor, Group, NativeSelect, Paper, ScrollArea, Select, Stack, Text, Title, VisuallyHidden } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate } from '@tanstack/react-router';
import { useState, type DragEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api, ApiError, data } from '../../api/client';
import { useFormat } from '../../i18n/format';
import { usePermissions } from '../../components/permissions';
import { boardDealsQuery, dealKeys, pipelinesQuery, type Deal, type Pipeline } from './api';
import { DealsNav } from './DealsNav';
import { totalsByCurrency } from './money';
import { dealsBoardRoute } from './routes';

const DEAL_MIME = 'application/x-custodia-deal';

/**
 * The pipeline board: one column per stage with its deals and its totals per currency.
 * A card moves by dragging it to another column, or (by keyboard, or on a phone) with its stage menu.
 */
export default function BoardPage() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const search = dealsBoardRoute.useSearch();
  const pipelines = useQuery(pipelinesQuery);
  const pipeline =
    pipelines.data?.find((one) => one.id === search.pipelineId) ?? pipelines.data?.find((one) => one.isDefault) ?? pipelines.data?.[0];

  return (
    <Stack>
      <Title order={1}>{t('deals.board.title')}</Title>
      <DealsNav current="board" />
      {pipelines.isError && (
        <Alert color="red" role="alert">
          {t('app.error', { detail: pipelines.error.message })}
        </Alert>
      )}
      {pipelines.data && pipelines.data.length > 1 && pipeline && (
        <Select
          label={t('deals.fields.pipeline')}
          data={pipelines.data.map((one) => ({ value: one.id, label: one.name }))}
          value={pipeline.id}
          onChange={(value) => value && void navigate({ to: '/deals/board', search: { pipelineId: value } })}
          allowDeselect={false}
          maw={320}
        />
      )}
      {pipeline && <Board pipeline={pipeline} />}
    </Stack>
  );
}

function Board({ pipeline }: { pipeline: Pipeline }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const deals = useQuery(boardDealsQuery(pipeline.id));
  const key = dealKeys.board(pipeline.id);
  const [announcement, setAnnouncement] = useState('');

  const move = useMutation({
    mutationFn: ({ deal, stageId }: { deal: Deal; stageId: string }) =>
      data(api.PATCH('/api/v1/deals/{id}', { params: { path: { id: deal.id } }, body: { stageId, version: deal.version } })),
    // The card moves at once; the server's answer (or a failure) settles it.
    onMutate: async ({ deal, stageId }) => {
      await queryClient.cancelQueries({ queryKey: key });
      const before = queryClient.getQueryData<Deal[]>(key);
      queryClient.setQueryData<Deal[]>(key, (all) => all?.map((one) => (one.id === deal.id ? { ...one, stageId } : one)));
      return { before };
    },
    onSuccess: (saved) => {
      queryClient.setQueryData<Deal[]>(key, (all) => all?.map((one) => (one.id === saved.id ? saved : one)));
      queryClient.setQueryData(dealKeys.one(saved.id), saved);
      const stage = pipeline.stages.find((one) => one.id === saved.stageId);
      setAnnouncement(t('deals.board.moved', { title: saved.title, stage: stage?.name ?? '' }));
    },
    onError: (error, _variables, context) => {
      if (context?.before) queryClient.setQueryData(key, context.before);
      const conflict = error instanceof ApiError && error.code === 'version_conflict';
      notifications.show({
        color: conflict ? 'orange' : 'red',
        message: conflict ? t('deals.board.conflict') : t('app.error', { detail: error.message }),
      });
    },
    onSettled: async () => {
      await queryClient.invalidateQueries({ queryKey: ['deals', 'list'] });
      await queryClient.invalidateQueries({ queryKey: ['deals', 'history'] });
    },
  });

  const moveTo = (dealId: string, stageId: string) => {
    const deal = deals.data?.find((one) => one.id === dealId);
    if (deal && deal.stageId !== stageId) move.mutate({ deal, stageId });
  };

  if (deals.isError)
    return (
      <Alert color="red" role="alert">
        {t('app.error', { detail: deals.error.message })}
      </Alert>
    );

  return (
    <>
      <VisuallyHidden role="status" aria-live="polite">
        {announcement}
      </VisuallyHidden>
      <Text size="sm" c="dimmed">
        {t('deals.board.hint')}
      </Text>
      <ScrollArea type="auto" offsetScrollbars>
        <Group align="flex-start" wrap="nowrap" gap="sm" pb="sm">
          {pipeline.stages.map((stage) => (
            <StageColumn
              key={stage.id}
              pipeline={pipeline}
              stage={stage}
              deals={(deals.data ?? []).filter((deal) => deal.stageId === stage.id)}
              onMove={moveTo}
            />
          ))}
        </Group>
      </ScrollArea>
    </>
  );
}

function StageColumn({
  pipeline,
  stage,
  deals,
  onMove,
}: {
  pipeline: Pipeline;
  stage: Pipeline['stages'][number];
  deals: Deal[];
  onMove: (dealId: string, stageId: string) => void;
}) {
  const { t } = useTranslation();
  const format = useFormat();
  const [over, setOver] = useState(false);
  const totals = totalsByCurrency(deals);
  const headingId = `stage-${stage.id}`;

  const drop = (event: DragEvent) => {
    event.preventDefault();
    setOver(false);
    const dealId = event.dataTransfer.getData(DEAL_MIME);
    if (dealId) onMove(dealId, stage.id);
  };

  return (
    <Paper
      component="section"
      aria-labelledby={headingId}
      withBorder
      p="sm"
      w={260}
      miw={260}
      bg={over ? 'var(--mantine-color-blue-light)' : 'var(--mantine-color-gray-0)'}
      onDragOver={(event: DragEvent) => {
        if (event.dataTransfer.types.includes(DEAL_MIME)) {
          event.preventDefault();
          setOver(true);
        }
      }}
      onDragLeave={() => setOver(false)}
      onDrop={drop}
    >
      <Stack gap="xs">
        <Title order={2} size="h5" id={headingId}>
          {stage.name}
        </Title>
        <Text size="xs" c="dimmed">
          {t('deals.board.count', { count: deals.length })} · {t('deals.board.probability', { value: format.number(stage.probability) })}
        </Text>
        <Text size="sm" fw={600}>
          {t('deals.board.total', {
            amount: totals.length === 0 ? format.number(0) : totals.map(([currency, amount]) => format.money(amount, currency)).join(' + '),
          })}
        </Text>
        <Stack gap="xs" component="ul" style={{ listStyle: 'none', padding: 0, margin: 0 }} mih={60}>
          {deals.map((deal) => (
            <DealCard key={deal.id} deal={deal} pipeline={pipeline} onMove={onMove} />
          ))}
        </Stack>
      </Stack>
    </Paper>
  );
}

function DealCard({ deal, pipeline, onMove }: { deal: Deal; pipeline: Pipeline; onMove: (dealId: string, stageId: string) => void }) {
  const { t } = useTranslation();
  const { can } = usePermissions();
  const movable = can('deals', 'edit');
  const format = useFormat();
  return (
    <Paper
      component="li"
      withBorder
      shadow="xs"
      p="xs"
      draggable={movable}
      aria-label={deal.title}
      style={{ cursor: movable ? 'grab' : undefined }}
      onDragStart={(event: DragEvent) => {
        event.dataTransfer.setData(DEAL_MIME, deal.id);
        event.dataTransfer.effectAllowed = 'move';
      }}
    >
      <Stack gap={4}>
        <Anchor renderRoot={(props) => <Link {...props} to="/deals/$dealId" params={{ dealId: deal.id }} />} fw={500} size="sm">
          {deal.title}
        </Anchor>
        {deal.amount !== undefined && deal.currency && <Text size="sm">{format.money(deal.amount, deal.currency)}</Text>}
        {movable && (
          <NativeSelect
            size="xs"
            aria-label={t('deals.board.moveTo', { title: deal.title })}
            data={pipeline.stages.map((stage) => ({ value: stage.id, label: stage.name }))}
            value={deal.stageId}
            onChange={(event) => onMove(deal.id, event.currentTarget.value)}
          />
        )}
      </Stack>
    </Paper>
  );
}
