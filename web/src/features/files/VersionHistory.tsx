import { Alert, Badge, Button, Group, Loader, Modal, Stack, Table, Text } from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { notify } from '../../components/notify';
import { problemDetail } from '../../components/problems';
import { useFormat } from '../../i18n/format';
import { restoreVersion, versionsQuery, type StoredFile } from './api';
import { downloadVersion } from './download';
import { fileKeys, fileProblemKey } from './files';

/**
 * Every version of a file, newest first: its number, who uploaded it and when,
 * its size. A version still stored can be downloaded and restored (a copy of it
 * becomes the newest version); an expired one stays in the list, greyed, as
 * the record of who saved what when.
 */
export function VersionHistory({ file, mayRestore, onClose }: { file: StoredFile | null; mayRestore: boolean; onClose: () => void }) {
  const { t } = useTranslation();
  const format = useFormat();
  const queryClient = useQueryClient();
  const versions = useQuery({ ...versionsQuery(file?.id ?? ''), enabled: file !== null });
  const [restoring, setRestoring] = useState<number | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const explain = (caught: unknown) => {
    const key = fileProblemKey(caught);
    return key ? t(key) : problemDetail(caught);
  };

  const restore = async () => {
    if (!file || restoring === null) return;
    setBusy(true);
    try {
      const restored = await restoreVersion(file.id, restoring);
      notify(t('files.versions.restored', { version: restoring, newVersion: restored.version }));
      await queryClient.invalidateQueries({ queryKey: fileKeys.all });
      setRestoring(null);
    } catch (caught) {
      setError(t('app.error', { detail: explain(caught) }));
      setRestoring(null);
    } finally {
      setBusy(false);
    }
  };

  const download = async (version: number) => {
    if (!file) return;
    setError(null);
    try {
      await downloadVersion(file, version);
    } catch (caught) {
      setError(t('app.error', { detail: explain(caught) }));
    }
  };

  const items = versions.data ?? [];

  return (
    <>
      <Modal
        opened={file !== null}
        onClose={() => {
          setError(null);
          onClose();
        }}
        title={file ? t('files.versions.title', { name: file.name }) : ''}
        size="xl"
        closeButtonProps={{ 'aria-label': t('files.close') }}
      >
        <Stack gap="sm">
          {error && (
            <Alert color="red" role="alert">
              {error}
            </Alert>
          )}
          {versions.isPending && <Loader size="sm" role="status" aria-label={t('app.loading')} />}
          {versions.isError && (
            <Alert color="red" role="alert">
              {t('app.error', { detail: explain(versions.error) })}
            </Alert>
          )}
          {items.some((one) => one.expired) && (
            <Text size="sm" c="dimmed">
              {t('files.versions.expiredHint')}
            </Text>
          )}
          {items.length > 0 && (
            <Table.ScrollContainer minWidth={560}>
              <Table verticalSpacing="xs">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th scope="col">{t('files.versions.version')}</Table.Th>
                    <Table.Th scope="col">{t('files.versions.by')}</Table.Th>
                    <Table.Th scope="col">{t('files.versions.when')}</Table.Th>
                    <Table.Th scope="col">{t('files.versions.size')}</Table.Th>
                    <Table.Th scope="col">{t('files.versions.actions')}</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {items.map((one) => (
                    <Table.Tr
                      key={one.version}
                      data-expired={one.expired || undefined}
                      style={one.expired ? { color: 'var(--mantine-color-dimmed)', fontStyle: 'italic' } : undefined}
                    >
                      <Table.Td>
                        <Group gap={6} wrap="nowrap">
                          <Text span fw={500} inherit>
                            {one.version}
                          </Text>
                          {one.current && <Badge variant="light">{t('files.versions.current')}</Badge>}
                          {one.expired && (
                            <Badge variant="outline" color="gray">
                              {t('files.versions.expired')}
                            </Badge>
                          )}
                        </Group>
                        {one.restoredFrom != null && (
                          <Text size="xs" c="dimmed">
                            {t('files.versions.restoredFrom', { version: one.restoredFrom })}
                          </Text>
                        )}
                      </Table.Td>
                      <Table.Td>{one.createdBy?.name ?? t('files.versions.unknownUser')}</Table.Td>
                      <Table.Td style={{ whiteSpace: 'nowrap' }}>{format.dateTime(one.createdAt)}</Table.Td>
                      <Table.Td style={{ whiteSpace: 'nowrap' }}>{format.bytes(one.size)}</Table.Td>
                      <Table.Td>
                        {!one.expired && (
                          <Group gap="xs" wrap="nowrap">
                            <Button size="xs" variant="light" onClick={() => void download(one.version)}>
                              {t('files.versions.download', { version: one.version })}
                            </Button>
                            {mayRestore && !one.current && (
                              <Button size="xs" variant="default" onClick={() => setRestoring(one.version)}>
                                {t('files.versions.restoreOf', { version: one.version })}
                              </Button>
                            )}
                          </Group>
                        )}
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          )}
        </Stack>
      </Modal>
      <ConfirmDialog
        opened={restoring !== null}
        title={t('files.versions.restoreTitle', { version: restoring ?? 0 })}
        message={t('files.versions.restoreMessage', { version: restoring ?? 0, name: file?.name ?? '' })}
        confirmLabel={t('files.versions.restore')}
        busy={busy}
        onConfirm={() => void restore()}
        onClose={() => setRestoring(null)}
      />
    </>
  );
}
