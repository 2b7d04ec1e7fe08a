import { Alert, Center, Loader } from '@mantine/core';
import type { ErrorComponentProps } from '@tanstack/react-router';
import { useTranslation } from 'react-i18next';
import { problemDetail } from '../components/problems';

export function Loading() {
  const { t } = useTranslation();
  return (
    <Center p="xl">
      <Loader aria-label={t('app.loading')} />
    </Center>
  );
}

export function NotFound() {
  const { t } = useTranslation();
  return (
    <Alert color="gray" m="md">
      {t('app.notFound')}
    </Alert>
  );
}

export function RouteError({ error }: ErrorComponentProps) {
  const { t } = useTranslation();
  return (
    <Alert color="red" m="md" role="alert">
      {t('app.error', { detail: error instanceof Error ? error.message : String(error) })}
    </Alert>
  );
}

/** A record or list that could not be loaded, with the API's reason. */
export function LoadError({ error }: { error: unknown }) {
  const { t } = useTranslation();
  return (
    <Alert color="red" role="alert">
      {t('app.error', { detail: problemDetail(error) })}
    </Alert>
  );
}
