import { Button, Checkbox, Group, Modal, Select, Stack, Tabs, Title } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { usePermissions } from '../../components/permissions';
import { ACTIVITY_TYPES, type ActivityFilters, type ActivityType } from './api';
import { ActivityForm } from './ActivityForm';
import { ActivityList } from './ActivityList';

type View = 'due' | 'overdue' | 'all';
const VIEWS: View[] = ['due', 'overdue', 'all'];

/** What is due (open, soonest first), what is overdue, and everything including what is done. */
export default function ActivitiesPage() {
  const { t } = useTranslation();
  const [view, setView] = useState<View>('due');
  const [type, setType] = useState<ActivityType | null>(null);
  const [mine, setMine] = useState(false);
  const [creating, { open, close }] = useDisclosure(false);
  const { can } = usePermissions();

  const base: ActivityFilters = { ...(type && { type }), ...(mine && { mine: true }) };
  const filters: Record<View, ActivityFilters> = {
    due: { ...base, open: true, sort: 'dueAt' },
    overdue: { ...base, overdue: true, sort: 'dueAt' },
    all: { ...base, sort: '-createdAt' },
  };

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={1}>{t('activities.title')}</Title>
        {can('activities', 'create') && <Button onClick={open}>{t('activities.new')}</Button>}
      </Group>
      <Group align="flex-end">
        <Select
          label={t('activities.fields.type')}
          data={ACTIVITY_TYPES.map((value) => ({ value, label: t(`activities.types.${value}`) }))}
          value={type}
          onChange={(value) => setType(value as ActivityType | null)}
          placeholder={t('activities.anyType')}
          clearable
          w={180}
        />
        <Checkbox label={t('activities.mine')} checked={mine} onChange={(event) => setMine(event.currentTarget.checked)} mb={8} />
      </Group>
      <Tabs value={view} onChange={(value) => value && setView(value as View)} keepMounted={false}>
        <Tabs.List>
          {VIEWS.map((one) => (
            <Tabs.Tab key={one} value={one}>
              {t(`activities.views.${one}`)}
            </Tabs.Tab>
          ))}
        </Tabs.List>
        {VIEWS.map((one) => (
          <Tabs.Panel key={one} value={one} pt="md">
            <ActivityList filters={filters[one]} />
          </Tabs.Panel>
        ))}
      </Tabs>
      <Modal
        opened={creating}
        onClose={close}
        closeButtonProps={{ 'aria-label': t('organizations.shared.close') }}
        title={t('activities.new')}
      >
        <ActivityForm onSaved={close} />
      </Modal>
    </Stack>
  );
}
