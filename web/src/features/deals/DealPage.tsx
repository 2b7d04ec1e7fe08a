import { Alert, Anchor, Badge, Button, Grid, Group, Modal, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate } from '@tanstack/react-router';
import { useTranslation } from 'react-i18next';
import { api } from '../../api/client';
import { Loading } from '../../app/RouteStates';
import { useFormat } from '../../i18n/format';
import { ActivitiesPanel } from '../activities/ActivitiesPanel';
import { FilesPanel } from '../files/FilesPanel';
import { NotesPanel } from '../notes/NotesPanel';
import { organizationQuery } from '../organizations/api';
import { usePermissions } from '../../components/permissions';
import { DeleteButton, Field } from '../organizations/shared-ui';
import { dealHistoryQuery, dealKeys, dealQuery, pipelinesQuery } from './api';
import { DealForm } from './DealForm';
import { dealRoute } from './routes';

/** One deal: its facts, its stage history, its activities and notes; edit and delete. */
export default function DealPage() {
  const { t } = useTranslation();
  const format = useFormat();
  const { dealId } = dealRoute.useParams();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [editing, { open, close }] = useDisclosure(false);
  const { can } = usePermissions();
  const deal = useQuery(dealQuery(dealId));
  const history = useQuery(dealHistoryQuery(dealId));
  const pipelines = useQuery(pipelinesQuery);
  const organizationId = deal.data?.organizationId;
  const organization = useQuery({ ...organizationQuery(organizationId ?? ''), enabled: !!organizationId });

  if (deal.isPending) return <Loading />;
  if (deal.isError)
    return (
      <Alert color="red" role="alert">
        {t('app.error', { detail: deal.error.message })}
      </Alert>
    );
  const current = deal.data;
  const pipeline = pipelines.data?.find((one) => one.id === current.pipelineId);
  const stage = pipeline?.stages.find((one) => one.id === current.stageId);

  const remove = async () => {
    await api.DELETE('/api/v1/deals/{id}', { params: { path: { id: current.id } } });
    await queryClient.invalidateQueries({ queryKey: dealKeys.all });
    await navigate({ to: '/deals' });
  };

  return (
    <Stack gap="lg">
      <Group justify="space-between" align="flex-start">
        <Stack gap={4}>
          <Anchor component={Link} to="/deals" size="sm">
            {t('deals.back')}
          </Anchor>
          <Title order={1}>{current.title}</Title>
        </Stack>
        <Group>
          {can('deals', 'edit') && <Button onClick={open}>{t('deals.edit')}</Button>}
          {can('deals', 'delete') && <DeleteButton what={current.title} onConfirm={remove} />}
        </Group>
      </Group>
      <SimpleGrid cols={{ base: 1, xs: 2, md: 4 }}>
        <Field label={t('deals.fields.amount')}>
          {current.amount !== undefined && current.currency ? format.money(current.amount, current.currency) : ''}
        </Field>
        <Field label={t('deals.fields.stage')}>{[pipeline?.name, stage?.name].filter(Boolean).join(' · ')}</Field>
        <Field label={t('deals.fields.status')}>
          <Badge variant="light">{t(`deals.statuses.${current.status}`)}</Badge>
        </Field>
        <Field label={t('deals.fields.probability')}>{format.number(current.probability)}%</Field>
        <Field label={t('deals.fields.expectedCloseDate')}>{current.expectedCloseDate ? format.date(current.expectedCloseDate) : ''}</Field>
        <Field label={t('deals.fields.organization')}>
          {organization.data && (
            <Anchor
              renderRoot={(props) => (
                <Link {...props} to="/organizations/$organizationId" params={{ organizationId: organization.data.id }} />
              )}
            >
              {organization.data.name}
            </Anchor>
          )}
        </Field>
        <Field label={t('deals.fields.tags')}>{(current.tags ?? []).join(', ')}</Field>
        <Field label={t('deals.fields.updatedAt')}>{format.dateTime(current.updatedAt)}</Field>
      </SimpleGrid>
      <Stack component="section" aria-labelledby="history-heading" gap="xs">
        <Title order={2} size="h3" id="history-heading">
          {t('deals.history.title')}
        </Title>
        {history.data && history.data.length > 0 ? (
          <Table.ScrollContainer minWidth={420}>
            <Table>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th scope="col">{t('deals.history.when')}</Table.Th>
                  <Table.Th scope="col">{t('deals.history.from')}</Table.Th>
                  <Table.Th scope="col">{t('deals.history.to')}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {history.data.map((change) => (
                  <Table.Tr key={change.id}>
                    <Table.Td>{format.dateTime(change.changedAt)}</Table.Td>
                    <Table.Td>{change.fromStageName ?? t('deals.history.created')}</Table.Td>
                    <Table.Td>{change.toStageName}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        ) : (
          <Text c="dimmed">{t('deals.history.empty')}</Text>
        )}
      </Stack>
      <Grid gap="xl">
        <Grid.Col span={{ base: 12, md: 6 }}>
          <ActivitiesPanel target={{ dealId: current.id }} />
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 6 }}>
          <NotesPanel target={{ dealId: current.id }} />
        </Grid.Col>
      </Grid>
      <FilesPanel target={{ dealId: current.id }} />
      <Modal
        opened={editing}
        onClose={close}
        closeButtonProps={{ 'aria-label': t('organizations.shared.close') }}
        title={t('deals.edit')}
        size="lg"
      >
        <DealForm
          key={current.version}
          deal={current}
          organization={organization.data ? { id: organization.data.id, name: organization.data.name } : undefined}
          onSaved={close}
        />
      </Modal>
    </Stack>
  );
}
