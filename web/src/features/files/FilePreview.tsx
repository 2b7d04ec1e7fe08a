import { Image, Modal, Text } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { StoredFile } from './api';
import { contentUrl, previewKind } from './files';

/**
 * An image or PDF shown in the app. The browser loads it from the API itself
 * (`inline=1`: same origin, the session cookie), so nothing is copied into
 * the page; the app's policy allows images and frames from its own origin.
 */
export function FilePreview({ file, onClose }: { file: StoredFile | null; onClose: () => void }) {
  const { t } = useTranslation();
  const kind = file ? previewKind(file.contentType) : null;
  const [failed, setFailed] = useState<string | null>(null);
  const url = file ? contentUrl(file.id, { version: file.version, inline: true }) : '';
  return (
    <Modal
      opened={file !== null && kind !== null}
      onClose={() => {
        setFailed(null);
        onClose();
      }}
      title={file ? t('files.previewTitle', { name: file.name }) : ''}
      size={kind === 'pdf' ? '90%' : 'xl'}
      closeButtonProps={{ 'aria-label': t('files.close') }}
    >
      {file && kind === 'image' && failed !== url && (
        <Image src={url} alt={file.name} fit="contain" mah="75vh" onError={() => setFailed(url)} />
      )}
      {file && kind === 'image' && failed === url && (
        <Text c="red.8" role="alert">
          {t('files.previewFailed')}
        </Text>
      )}
      {file && kind === 'pdf' && (
        <iframe src={url} title={t('files.previewFrame', { name: file.name })} style={{ width: '100%', height: '75vh', border: 0 }} />
      )}
    </Modal>
  );
}
