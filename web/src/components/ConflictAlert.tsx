import { Alert, Button, Stack, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import './i18n';

/** Shown when a change was based on an old version (409): reload takes the latest and starts over. */
export function ConflictAlert({ onReload }: { onReload: () => void }) {
  const { t } = useTranslation();
  return (
    <Alert color="orange" role="alert" title={t('components.conflict.title')}>
      <Stack gap="xs" align="flex-start">
        <Text size="sm">{t('components.conflict.body')}</Text>
        <Button size="xs" variant="default" onClick={onReload}>
          {t('components.conflict.reload')}
        </Button>
      </Stack>
    </Alert>
  );
}
