import { Alert, Badge, Button, FileButton, Group, Menu, Paper, Progress, Stack, Table, Text, Title, VisuallyHidden } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useInfiniteQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useRef, useState, type DragEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { notify } from '../../components/notify';
import { usePermissions } from '../../components/permissions';
import { problemDetail } from '../../components/problems';
import { useFormat } from '../../i18n/format';
import { LoadMore } from '../organizations/shared-ui';
import { deleteFile, filesQuery, type StoredFile } from './api';
import { downloadVersion } from './download';
import { FilePreview } from './FilePreview';
import { fileKeys, fileProblemKey, percentOf, previewKind, typeLabel, uploadBody, type FileTarget } from './files';
import { uploadWithProgress } from './upload';
import { VersionHistory } from './VersionHistory';

interface Upload {
  key: number;
  name: string;
  /** The file a new version is for; absent for a new file. */
  fileName?: string | undefined;
  percent: number;
  error?: string | undefined;
  /** Cancels it, whether it is under way or still waiting its turn. */
  controller: AbortController;
}

interface UploadResult {
  id: string;
  name: string;
  version: number;
}

/**
 * The files of one record (contact, lead, organization, deal or activity): drop
 * or choose files to upload them with their progress, and per file a preview
 * (images, PDFs), download, version history, a new version and delete. Uploads,
 * new versions and restores, and deletes show only to a profile that may create,
 * edit or delete files (as the API decides); for a
 * restricted person nothing can be changed and the API refuses downloads to all
 * but a privacy officer, which the panel says up front.
 */
export function FilesPanel({ target, restricted = false }: { target: FileTarget; restricted?: boolean | undefined }) {
  const { t } = useTranslation();
  const format = useFormat();
  const queryClient = useQueryClient();
  const { can } = usePermissions();
  const headingId = useId();
  const list = useInfiniteQuery({ ...filesQuery(target), enabled: can('files', 'view') });
  const files = list.data?.pages.flatMap((page) => page.items) ?? [];
  const [uploads, setUploads] = useState<Upload[]>([]);
  const [dragging, setDragging] = useState(false);
  const nextKey = useRef(0);
  const [previewing, setPreviewing] = useState<StoredFile | null>(null);
  const [historyOf, setHistoryOf] = useState<StoredFile | null>(null);
  const [deleting, setDeleting] = useState<StoredFile | null>(null);
  const [busy, setBusy] = useState(false);
  const [confirming, confirm] = useDisclosure(false);

  const mayUpload = can('files', 'create') && !restricted;
  // A new version or a restore changes a file: the API asks for files.edit, as it asks create for a new one.
  const mayChange = can('files', 'edit') && !restricted;
  const mayDelete = can('files', 'delete') && !restricted;

  const change = (key: number, patch: Partial<Upload>) =>
    setUploads((current) => current.map((upload) => (upload.key === key ? { ...upload, ...patch } : upload)));

  /** One upload at a time, in the order given; each shows its own progress and, if refused, why. */
  const upload = async (chosen: File[], versionOf?: StoredFile) => {
    const queued = chosen.map((file) => ({ file, key: nextKey.current++, controller: new AbortController() }));
    setUploads((current) => [
      ...current,
      ...queued.map(({ file, key, controller }) => ({ key, name: file.name, fileName: versionOf?.name, percent: 0, controller })),
    ]);
    for (const { file, key, controller } of queued) {
      if (controller.signal.aborted) continue;
      try {
        const url = versionOf ? `/api/v1/files/${encodeURIComponent(versionOf.id)}/versions` : '/api/v1/files';
        const saved = await uploadWithProgress<UploadResult>(
          url,
          uploadBody(file, versionOf ? undefined : target),
          (loaded, total) => change(key, { percent: percentOf(loaded, total) }),
          controller.signal,
        );
        setUploads((current) => current.filter((one) => one.key !== key));
        notify(
          versionOf
            ? t('files.uploadedVersion', { version: saved.version, name: versionOf.name })
            : t('files.uploaded', { name: saved.name }),
        );
      } catch (caught) {
        if (controller.signal.aborted) continue;
        const reason = fileProblemKey(caught);
        change(key, { error: t('files.uploadFailed', { name: file.name, reason: reason ? t(reason) : problemDetail(caught) }) });
      }
      await queryClient.invalidateQueries({ queryKey: fileKeys.all });
    }
  };

  const onDrop = (event: DragEvent<HTMLDivElement>) => {
    event.preventDefault();
    setDragging(false);
    if (!mayUpload) return;
    const dropped = Array.from(event.dataTransfer.files);
    if (dropped.length > 0) void upload(dropped);
  };

  const remove = async () => {
    if (!deleting) return;
    setBusy(true);
    try {
      await deleteFile(deleting.id);
      notify(t('files.deleted', { name: deleting.name }));
      await queryClient.invalidateQueries({ queryKey: fileKeys.all });
      confirm.close();
    } catch (caught) {
      const key = fileProblemKey(caught);
      notify(t('app.error', { detail: key ? t(key) : problemDetail(caught) }), 'red');
    } finally {
      setBusy(false);
    }
  };

  const download = async (file: StoredFile) => {
    try {
      await downloadVersion(file);
    } catch (caught) {
      const key = fileProblemKey(caught);
      notify(t('app.error', { detail: key ? t(key) : problemDetail(caught) }), 'red');
    }
  };

  if (!can('files', 'view')) return null;

  return (
    <Stack component="section" aria-labelledby={headingId} gap="sm">
      <Title order={2} size="h3" id={headingId}>
        {t('files.title')}
      </Title>
      {restricted && (
        <Text size="sm" c="dimmed">
          {t('files.restrictedNote')}
        </Text>
      )}
      {mayUpload && (
        <Paper
          withBorder
          p="md"
          onDragOver={(event) => {
            event.preventDefault();
            event.dataTransfer.dropEffect = 'copy';
            setDragging(true);
          }}
          // Moving over the zone's own text and button is not leaving it.
          onDragLeave={(event) => {
            if (!event.currentTarget.contains(event.relatedTarget as Node | null)) setDragging(false);
          }}
          onDrop={onDrop}
          data-testid="files-dropzone"
          style={{
            borderStyle: 'dashed',
            borderWidth: 2,
            borderColor: dragging ? 'var(--mantine-color-blue-6)' : undefined,
            background: dragging ? 'var(--mantine-color-blue-light)' : undefined,
          }}
        >
          <Group justify="center" gap="sm">
            <Text>{dragging ? t('files.dropNow') : t('files.dropHere')}</Text>
            <Text c="dimmed">{t('files.or')}</Text>
            <FileButton
              multiple
              onChange={(chosen) => chosen.length > 0 && void upload(chosen)}
              inputProps={{ 'aria-label': t('files.chooseLabel') }}
            >
              {(props) => (
                <Button variant="light" {...props}>
                  {t('files.choose')}
                </Button>
              )}
            </FileButton>
          </Group>
        </Paper>
      )}
      {uploads.map((one) =>
        one.error ? (
          <Alert
            key={one.key}
            color="red"
            role="alert"
            withCloseButton
            closeButtonLabel={t('files.dismiss')}
            onClose={() => setUploads((current) => current.filter((u) => u.key !== one.key))}
          >
            {one.error}
          </Alert>
        ) : (
          <Stack key={one.key} gap={4}>
            <Group justify="space-between" gap="xs" wrap="nowrap">
              <Text size="sm">
                {one.fileName ? t('files.newVersionOf', { name: one.fileName }) : t('files.uploading', { name: one.name })}
              </Text>
              <Button
                size="compact-xs"
                variant="subtle"
                color="gray"
                aria-label={t('files.cancelOf', { name: one.name })}
                onClick={() => {
                  one.controller.abort();
                  setUploads((current) => current.filter((u) => u.key !== one.key));
                }}
              >
                {t('files.cancel')}
              </Button>
            </Group>
            <Progress value={one.percent} aria-label={t('files.uploading', { name: one.name })} animated={one.percent >= 100} />
          </Stack>
        ),
      )}
      {list.isError && (
        <Alert color="red" role="alert">
          {t('app.error', { detail: problemDetail(list.error) })}
        </Alert>
      )}
      {list.isSuccess && files.length === 0 && <Text c="dimmed">{t('files.empty')}</Text>}
      {files.length > 0 && (
        <Table.ScrollContainer minWidth={640}>
          <Table striped verticalSpacing="xs">
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">{t('files.columns.name')}</Table.Th>
                <Table.Th scope="col">{t('files.columns.size')}</Table.Th>
                <Table.Th scope="col">{t('files.columns.type')}</Table.Th>
                <Table.Th scope="col">{t('files.columns.version')}</Table.Th>
                <Table.Th scope="col">{t('files.columns.updated')}</Table.Th>
                <Table.Th scope="col">
                  <VisuallyHidden>{t('files.columns.actions')}</VisuallyHidden>
                </Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {files.map((file) => {
                const type = typeLabel(file.contentType);
                return (
                  <Table.Tr key={file.id}>
                    <Table.Td style={{ wordBreak: 'break-word' }}>{file.name}</Table.Td>
                    <Table.Td style={{ whiteSpace: 'nowrap' }}>{format.bytes(file.size)}</Table.Td>
                    <Table.Td>{t(type.key, type.values ?? {})}</Table.Td>
                    <Table.Td>
                      <Badge variant="light">{file.version}</Badge>
                    </Table.Td>
                    <Table.Td>{format.dateTime(file.updatedAt)}</Table.Td>
                    <Table.Td>
                      <FileActions
                        file={file}
                        mayChange={mayChange}
                        mayDelete={mayDelete}
                        mayPreview={!restricted || can('privacy', 'view')}
                        onPreview={() => setPreviewing(file)}
                        onDownload={() => void download(file)}
                        onHistory={() => setHistoryOf(file)}
                        onNewVersion={(chosen) => void upload([chosen], file)}
                        onDelete={() => {
                          setDeleting(file);
                          confirm.open();
                        }}
                      />
                    </Table.Td>
                  </Table.Tr>
                );
              })}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      <LoadMore hasMore={list.hasNextPage} loading={list.isFetchingNextPage} onLoad={() => void list.fetchNextPage()} />
      <FilePreview file={previewing} onClose={() => setPreviewing(null)} />
      <VersionHistory file={historyOf} mayRestore={mayChange} onClose={() => setHistoryOf(null)} />
      <ConfirmDialog
        opened={confirming}
        title={t('files.deleteTitle', { name: deleting?.name ?? '' })}
        message={t('files.deleteMessage')}
        confirmLabel={t('files.delete')}
        danger
        busy={busy}
        onConfirm={() => void remove()}
        onClose={confirm.close}
      />
    </Stack>
  );
}

/** A file's actions in one menu; the new version's file input lives outside the menu, which closes on a click. */
function FileActions({
  file,
  mayChange,
  mayDelete,
  mayPreview,
  onPreview,
  onDownload,
  onHistory,
  onNewVersion,
  onDelete,
}: {
  file: StoredFile;
  mayChange: boolean;
  mayDelete: boolean;
  mayPreview: boolean;
  onPreview: () => void;
  onDownload: () => void;
  onHistory: () => void;
  onNewVersion: (file: File) => void;
  onDelete: () => void;
}) {
  const { t } = useTranslation();
  const resetVersionInput = useRef<() => void>(null);
  return (
    <Group gap="xs" wrap="nowrap" justify="flex-end">
      <Button size="xs" variant="light" onClick={onDownload} aria-label={`${t('files.download')}: ${file.name}`}>
        {t('files.download')}
      </Button>
      <FileButton
        resetRef={resetVersionInput}
        onChange={(chosen) => {
          if (chosen) onNewVersion(chosen);
          resetVersionInput.current?.();
        }}
        inputProps={{ 'aria-label': t('files.newVersionOf', { name: file.name }) }}
      >
        {(props) => (
          // No focus placeholder: a focusable element that is not a menu item breaks the menu's
          // structure (axe aria-required-children); focus goes to the first item instead, as ARIA menus do.
          <Menu position="bottom-end" withinPortal withInitialFocusPlaceholder={false}>
            <Menu.Target>
              <Button size="xs" variant="default" aria-label={t('files.actionsFor', { name: file.name })}>
                {t('files.actions')}
              </Button>
            </Menu.Target>
            <Menu.Dropdown>
              {mayPreview && previewKind(file.contentType) && <Menu.Item onClick={onPreview}>{t('files.preview')}</Menu.Item>}
              <Menu.Item onClick={onHistory}>{t('files.history')}</Menu.Item>
              {mayChange && <Menu.Item onClick={props.onClick}>{t('files.newVersion')}</Menu.Item>}
              {mayDelete && (
                <Menu.Item color="red.8" onClick={onDelete}>
                  {t('files.delete')}
                </Menu.Item>
              )}
            </Menu.Dropdown>
          </Menu>
        )}
      </FileButton>
    </Group>
  );
}
