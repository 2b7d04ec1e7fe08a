import { Alert, Group, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useRouterState } from '@tanstack/react-router';
import { useTranslation } from 'react-i18next';
import { ButtonLink } from '../../components/links';
import { dpaStatusQuery } from './queries';

/** After sign-in, an administrator is asked to accept a DPA version the tenant has not accepted yet. */
export function DpaBanner({ isAdmin }: { isAdmin: boolean }) {
  const { t } = useTranslation();
  const pathname = useRouterState({ select: (state) => state.location.pathname });
  const status = useQuery({ ...dpaStatusQuery, enabled: isAdmin });
  if (!isAdmin || !status.data?.pending || pathname === '/privacy/dpa') return null;
  return (
    // A note, not an alert or a live status: it waits politely beside whatever the page says.
    <Alert color="blue" mb="md" role="note" title={t('privacy.dpa.bannerTitle')}>
      <Group gap="sm" justify="space-between">
        <Text size="sm">{t('privacy.dpa.banner', { version: status.data.version })}</Text>
        <ButtonLink to="/privacy/dpa" size="xs">
          {t('privacy.dpa.bannerLink')}
        </ButtonLink>
      </Group>
    </Alert>
  );
}
