import { Alert, Group, Stack, Title } from '@mantine/core';
import { Outlet, useRouterState } from '@tanstack/react-router';
import { useTranslation } from 'react-i18next';
import { Loading } from '../../app/RouteStates';
import { ButtonLink } from '../../components/links';
import { usePermissions } from '../../components/permissions';
import { PRIVACY_SECTIONS } from './sections';

/** The privacy center: its section links (sections.ts) above the section's page; privacy.view only. */
export default function PrivacyLayout() {
  const { t } = useTranslation();
  const { can, ready } = usePermissions();
  const pathname = useRouterState({ select: (state) => state.location.pathname });

  if (!ready) return <Loading />;
  if (!can('privacy', 'view')) {
    return (
      <Stack>
        <Title order={1}>{t('privacy.title')}</Title>
        <Alert color="blue" title={t('privacy.noAccessTitle')}>
          {t('privacy.noAccess')}
        </Alert>
      </Stack>
    );
  }
  return (
    <Stack>
      <nav aria-label={t('privacy.sectionsLabel')}>
        <Group gap="xs" wrap="wrap">
          {PRIVACY_SECTIONS.map((section) => {
            const current = pathname === section.to || pathname.startsWith(`${section.to}/`);
            return (
              <ButtonLink
                key={section.to}
                to={section.to}
                size="xs"
                variant={current ? 'filled' : 'default'}
                aria-current={current ? 'page' : undefined}
              >
                {t(section.label)}
              </ButtonLink>
            );
          })}
        </Group>
      </nav>
      <Outlet />
    </Stack>
  );
}
