import { Button, Group, Select, Stack, Text, Title } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { useNavigate } from '@tanstack/react-router';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, data } from '../../api/client';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { usePermissions } from '../../components/permissions';
import { notify } from '../../components/notify';
import { problemDetail } from '../../components/problems';
import { RecordList } from '../../components/RecordList';
import { useFormat } from '../../i18n/format';
import { BIN_MODULES, recycleBinRoute, type BinModule } from './routes';

interface Binned {
  module: string;
  id: string;
  title: string | null;
  deletedAt: string;
  purgeAfter: string;
}

const isBinModule = (module: string): module is BinModule => (BIN_MODULES as readonly string[]).includes(module);

/** Deleted records (administrators see all, others their own): restore within 30 days, or purge now (administrators). */
export default function RecycleBinPage() {
  const { t } = useTranslation();
  const format = useFormat();
  const { module } = recycleBinRoute.useSearch();
  const navigate = useNavigate({ from: recycleBinRoute.fullPath });
  const queryClient = useQueryClient();
  const { isAdmin } = usePermissions();
  const [busy, setBusy] = useState<string | null>(null);
  const [purging, setPurging] = useState<Binned | null>(null);

  const titleOf = (item: Binned) => item.title ?? t('recycleBin.untitled');

  const restore = async (item: Binned) => {
    if (!isBinModule(item.module)) return;
    setBusy(item.id);
    try {
      await api.POST('/api/v1/recycle-bin/{module}/{id}/restore', { params: { path: { module: item.module, id: item.id } } });
      notify(t('recycleBin.restored', { title: titleOf(item) }), 'green');
      await queryClient.invalidateQueries({ queryKey: ['recycle-bin'] });
      await queryClient.invalidateQueries({ queryKey: [item.module] });
    } catch (error) {
      notify(t('app.error', { detail: problemDetail(error) }), 'red');
    } finally {
      setBusy(null);
    }
  };

  const purge = async (item: Binned) => {
    if (!isBinModule(item.module)) return;
    setBusy(item.id);
    try {
      await api.DELETE('/api/v1/recycle-bin/{module}/{id}', { params: { path: { module: item.module, id: item.id } } });
      notify(t('recycleBin.purged', { title: titleOf(item) }), 'green');
      await queryClient.invalidateQueries({ queryKey: ['recycle-bin'] });
    } catch (error) {
      notify(t('app.error', { detail: problemDetail(error) }), 'red');
    } finally {
      setBusy(null);
      setPurging(null);
    }
  };

  return (
    <Stack>
      <Title order={1}>{t('recycleBin.title')}</Title>
      <Text c="dimmed">{isAdmin ? t('recycleBin.introAdmin') : t('recycleBin.intro')}</Text>
      <Select
        label={t('recycleBin.module')}
        data={BIN_MODULES.map((value) => ({ value, label: t(`recycleBin.modules.${value}`) }))}
        value={module ?? null}
        onChange={(next) => void navigate({ search: { module: (next as BinModule | null) ?? undefined } })}
        placeholder={t('recycleBin.allModules')}
        clearable
        w={{ base: '100%', xs: 260 }}
      />
      <RecordList<Binned>
        queryKey={['recycle-bin', module ?? 'all']}
        caption={t('recycleBin.caption')}
        empty={t('recycleBin.empty')}
        rowKey={(item) => `${item.module}/${item.id}`}
        fetchPage={(cursor, limit) =>
          data(
            api.GET('/api/v1/recycle-bin', {
              params: { query: { limit, ...(module ? { module } : {}), ...(cursor ? { cursor } : {}) } },
            }),
          )
        }
        columns={[
          { key: 'title', header: t('recycleBin.record'), cell: (item) => titleOf(item) },
          {
            key: 'module',
            header: t('recycleBin.kind'),
            cell: (item) => (isBinModule(item.module) ? t(`recycleBin.kinds.${item.module}`) : item.module),
          },
          { key: 'deletedAt', header: t('recycleBin.deletedAt'), visibleFrom: 'sm', cell: (item) => format.dateTime(item.deletedAt) },
          { key: 'purgeAfter', header: t('recycleBin.purgeAfter'), visibleFrom: 'md', cell: (item) => format.date(item.purgeAfter) },
          {
            key: 'actions',
            header: t('recycleBin.actions'),
            cell: (item) => (
              <Group gap="xs" wrap="nowrap">
                <Button
                  size="xs"
                  variant="default"
                  loading={busy === item.id && !purging}
                  onClick={() => void restore(item)}
                  aria-label={t('recycleBin.restoreNamed', { title: titleOf(item) })}
                >
                  {t('recycleBin.restore')}
                </Button>
                {isAdmin && (
                  <Button
                    size="xs"
                    color="red"
                    variant="subtle"
                    onClick={() => setPurging(item)}
                    aria-label={t('recycleBin.purgeNamed', { title: titleOf(item) })}
                  >
                    {t('recycleBin.purge')}
                  </Button>
                )}
              </Group>
            ),
          },
        ]}
      />
      <ConfirmDialog
        opened={purging !== null}
        title={t('recycleBin.purgeTitle')}
        message={purging ? t('recycleBin.purgeMessage', { title: titleOf(purging) }) : ''}
        confirmLabel={t('recycleBin.purge')}
        danger
        busy={busy !== null}
        onConfirm={() => purging && void purge(purging)}
        onClose={() => setPurging(null)}
      />
    </Stack>
  );
}
