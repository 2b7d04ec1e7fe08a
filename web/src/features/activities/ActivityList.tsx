import { Alert, Badge, Button, Group, Modal, Paper, Stack, Text } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { useInfiniteQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, ApiError } from '../../api/client';
import { usePermissions } from '../../components/permissions';
import { useFormat } from '../../i18n/format';
import { FilesPanel } from '../files/FilesPanel';
import { LoadMore } from '../organizations/shared-ui';
import { activitiesQuery, activityKeys, isOverdue, type Activity, type ActivityFilters } from './api';

/** Activities matching the API filters given, each with its state and a way to mark it done. */
export function ActivityList({ filters }: { filters: ActivityFilters }) {
  const { t } = useTranslation();
  const list = useInfiniteQuery(activitiesQuery(filters));
  const items = list.data?.pages.flatMap((page) => page.items) ?? [];
  return (
    <Stack gap="xs">
      {list.isError && (
        <Alert color="red" role="alert">
          {t('app.error', { detail: list.error.message })}
        </Alert>
      )}
      {list.isSuccess && items.length === 0 && <Text c="dimmed">{t('activities.empty')}</Text>}
      <Stack gap="xs" component="ul" style={{ listStyle: 'none', padding: 0, margin: 0 }}>
        {items.map((activity) => (
          <ActivityRow key={activity.id} activity={activity} />
        ))}
      </Stack>
      <LoadMore hasMore={list.hasNextPage} loading={list.isFetchingNextPage} onLoad={() => void list.fetchNextPage()} />
    </Stack>
  );
}

function ActivityRow({ activity }: { activity: Activity }) {
  const { t } = useTranslation();
  const format = useFormat();
  const queryClient = useQueryClient();
  const [saving, setSaving] = useState(false);
  const { can } = usePermissions();
  const overdue = isOverdue(activity);
  const [showingFiles, files] = useDisclosure(false);

  const markDone = async () => {
    setSaving(true);
    try {
      await api.PATCH('/api/v1/activities/{id}', {
        params: { path: { id: activity.id } },
        body: { done: true, version: activity.version },
      });
    } catch (caught) {
      const conflict = caught instanceof ApiError && caught.code === 'version_conflict';
      notifications.show({
        color: conflict ? 'orange' : 'red',
        message: conflict
          ? t('activities.conflict')
          : t('app.error', { detail: caught instanceof Error ? caught.message : String(caught) }),
      });
    } finally {
      setSaving(false);
      await queryClient.invalidateQueries({ queryKey: activityKeys.all });
    }
  };

  return (
    <Paper withBorder p="sm" component="li" aria-label={activity.subject}>
      <Group justify="space-between" wrap="wrap" gap="xs">
        <Stack gap={2}>
          <Group gap="xs">
            <Badge variant="light">{t(`activities.types.${activity.type}`)}</Badge>
            <Text fw={500} td={activity.done ? 'line-through' : undefined}>
              {activity.subject}
            </Text>
          </Group>
          <Text size="sm" c={overdue ? 'red.8' : 'dimmed'}>
            {activity.done
              ? t('activities.doneAt', { when: activity.doneAt ? format.dateTime(activity.doneAt) : '' })
              : activity.dueAt
                ? t(overdue ? 'activities.overdueSince' : 'activities.dueAt', { when: format.dateTime(activity.dueAt) })
                : t('activities.noDueDate')}
          </Text>
        </Stack>
        <Group gap="xs">
          {can('files', 'view') && (
            <Button size="xs" variant="default" onClick={files.open} aria-label={t('files.filesOf', { name: activity.subject })}>
              {t('files.title')}
            </Button>
          )}
          {activity.done ? (
            <Badge color="green">{t('activities.done')}</Badge>
          ) : (
            can('activities', 'edit') && (
              <Button
                size="xs"
                variant="light"
                loading={saving}
                onClick={() => void markDone()}
                aria-label={t('activities.markDoneOf', { subject: activity.subject })}
              >
                {t('activities.markDone')}
              </Button>
            )
          )}
        </Group>
      </Group>
      <Modal
        opened={showingFiles}
        onClose={files.close}
        title={t('files.filesOf', { name: activity.subject })}
        size="xl"
        closeButtonProps={{ 'aria-label': t('files.close') }}
      >
        <FilesPanel target={{ activityId: activity.id }} />
      </Modal>
    </Paper>
  );
}
