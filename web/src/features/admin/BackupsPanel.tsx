import { Alert, Badge, Button, Code, Group, List, Stack, Table, Text, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { TFunction } from 'i18next';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../../api/client';
import { Loading } from '../../app/RouteStates';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { useFormat } from '../../i18n/format';
import { closable, problemMessage } from './problems';
import { backupsQuery, isBackupRunning, startTenantBackup, type BackupsOverview } from './queries';
import { PRIMARY } from './theme';

/** Why a backup could not be started, in words: one is running already, or too many were started. */
function startProblem(error: unknown, t: TFunction): string {
  if (error instanceof ApiError && error.code === 'backup_running') return t('admin.backups.alreadyRunning');
  if (error instanceof ApiError && (error.code === 'backup_rate_limited' || error.status === 429))
    return error.retryAfterSeconds
      ? t('admin.backups.tooManyRetry', { minutes: Math.max(1, Math.ceil(error.retryAfterSeconds / 60)) })
      : t('admin.backups.tooMany');
  return problemMessage(error, t);
}

/**
 * The backups of this tenant and of the whole instance: when, how big, verified or not, the last
 * failure, the schedule and where they go; a button to back up this tenant now. Restores stay in
 * the operator's CLI: the panel shows the command.
 */
export function BackupsPanel() {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const overview = useQuery(backupsQuery);
  const [confirming, setConfirming] = useState(false);
  const start = useMutation({
    mutationFn: startTenantBackup,
    onSuccess: async () => {
      setConfirming(false);
      notifications.show({ ...closable(t), message: t('admin.backups.started') });
      await queryClient.invalidateQueries({ queryKey: backupsQuery.queryKey });
    },
    onError: (error) => {
      setConfirming(false);
      notifications.show({ ...closable(t), color: 'red', message: startProblem(error, t) });
    },
  });
  const running = overview.data?.items.some(isBackupRunning) ?? false;
  // A running item's id is its run's, not a backup's: the command names the newest finished backup.
  const newest = overview.data?.items.find((item) => !isBackupRunning(item));

  return (
    <Stack gap="xl">
      <Stack>
        <Group justify="space-between" align="flex-end">
          <Title order={2}>{t('admin.backups.title')}</Title>
          <Button color={PRIMARY} onClick={() => setConfirming(true)} loading={start.isPending} disabled={running}>
            {t('admin.backups.backUpNow')}
          </Button>
        </Group>
        <Text size="sm">{t('admin.backups.intro')}</Text>
        {overview.isPending ? (
          <Loading />
        ) : overview.isError ? (
          <Alert color="red" role="alert" title={t('admin.backups.loadFailed')}>
            {problemMessage(overview.error, t)}
          </Alert>
        ) : (
          <Overview overview={overview.data} running={running} />
        )}
      </Stack>
      <Stack>
        <Title order={2}>{t('admin.backups.restoreTitle')}</Title>
        <Text size="sm">{t('admin.backups.restoreExplained')}</Text>
        <Code block>{`npx custodia backup restore ${newest?.id ?? '<backup-id>'} --tenant <tenant>`}</Code>
        <Text size="sm">{t('admin.backups.restoreWhole')}</Text>
        <Code block>{'npx custodia backup verify <backup-id>\nnpx custodia backup restore <backup-id>'}</Code>
      </Stack>
      <ConfirmDialog
        opened={confirming}
        title={t('admin.backups.confirmTitle')}
        message={t('admin.backups.confirmMessage')}
        confirmLabel={t('admin.backups.confirm')}
        busy={start.isPending}
        onConfirm={() => start.mutate()}
        onClose={() => setConfirming(false)}
      />
    </Stack>
  );
}

function Overview({ overview, running }: { overview: BackupsOverview; running: boolean }) {
  const { t } = useTranslation();
  const format = useFormat();
  const { schedule, lastFailure, target, items } = overview;
  return (
    <Stack>
      {lastFailure && (
        <Alert color="red" role="alert" title={t('admin.backups.lastFailureTitle')} data-testid="backup-last-failure">
          {t('admin.backups.lastFailure', { at: format.dateTime(lastFailure.at), message: lastFailure.message })}{' '}
          <Code>{lastFailure.code}</Code>
        </Alert>
      )}
      <List size="sm" spacing={4}>
        <List.Item>
          {t('admin.backups.target')}: {t(`admin.backups.targets.${target.kind}`)}
        </List.Item>
        {schedule.enabled ? (
          <>
            <List.Item>
              {t('admin.backups.schedule')}:{' '}
              {schedule.expressions.map((e, i) => (
                <span key={e}>
                  {i > 0 && ', '}
                  <Code>{e}</Code>
                </span>
              ))}
              {schedule.nightly && (
                <>
                  {schedule.expressions.length > 0 && '; '}
                  {t('admin.backups.nightly')}: <Code>{schedule.nightly}</Code>
                </>
              )}
            </List.Item>
            <List.Item>
              {t('admin.backups.nextAt')}: {schedule.nextAt ? format.dateTime(schedule.nextAt) : '—'}
            </List.Item>
          </>
        ) : (
          <List.Item>{t('admin.backups.scheduleOff')}</List.Item>
        )}
      </List>
      {running && (
        <Text size="sm" role="status">
          {t('admin.backups.runningNow')}
        </Text>
      )}
      {items.length === 0 ? (
        <Text c="dimmed">{t('admin.backups.none')}</Text>
      ) : (
        <Table.ScrollContainer minWidth={700}>
          <Table striped captionSide="top">
            <Table.Caption>{t('admin.backups.caption')}</Table.Caption>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('admin.backups.at')}</Table.Th>
                <Table.Th>{t('admin.backups.scope')}</Table.Th>
                <Table.Th>{t('admin.backups.size')}</Table.Th>
                <Table.Th>{t('admin.backups.rows')}</Table.Th>
                <Table.Th>{t('admin.backups.verified')}</Table.Th>
                <Table.Th>{t('admin.backups.status')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((item) => (
                <Table.Tr key={item.id}>
                  <Table.Td>
                    <time dateTime={item.createdAt}>{format.dateTime(item.createdAt)}</time>
                  </Table.Td>
                  <Table.Td>{t(`admin.backups.scopes.${item.scope}`)}</Table.Td>
                  <Table.Td>{item.bytes === null ? '—' : format.bytes(item.bytes)}</Table.Td>
                  <Table.Td>{item.rows === null ? '—' : format.number(item.rows)}</Table.Td>
                  <Table.Td>
                    {item.verifiedAt
                      ? t('admin.backups.verifiedAt', { at: format.dateTime(item.verifiedAt) })
                      : t('admin.backups.notVerified')}
                  </Table.Td>
                  <Table.Td>
                    <Badge variant="outline" color={isBackupRunning(item) ? 'blue.9' : 'gray.8'}>
                      {t(`admin.backups.statuses.${item.status}`)}
                    </Badge>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Stack>
  );
}
