import { Button, Group, Modal, Stack, Title } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useTranslation } from 'react-i18next';
import { usePermissions } from '../../components/permissions';
import type { ActivityFilters, ActivityTarget } from './api';
import { ActivityForm } from './ActivityForm';
import { ActivityList } from './ActivityList';

/** The activities of one record, on its detail page, with a way to plan a new one for it. */
export function ActivitiesPanel({ target }: { target: Exclude<ActivityTarget, Record<string, never>> }) {
  const { t } = useTranslation();
  const [opened, { open, close }] = useDisclosure(false);
  const { can } = usePermissions();
  const filters: ActivityFilters = { ...target, sort: 'dueAt' };
  return (
    <Stack component="section" aria-labelledby="activities-heading">
      <Group justify="space-between">
        <Title order={2} size="h3" id="activities-heading">
          {t('activities.title')}
        </Title>
        {can('activities', 'create') && (
          <Button variant="light" onClick={open}>
            {t('activities.new')}
          </Button>
        )}
      </Group>
      <ActivityList filters={filters} />
      <Modal
        opened={opened}
        onClose={close}
        closeButtonProps={{ 'aria-label': t('organizations.shared.close') }}
        title={t('activities.new')}
      >
        <ActivityForm target={target} onSaved={close} />
      </Modal>
    </Stack>
  );
}
