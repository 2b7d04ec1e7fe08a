import { AppShell, Box, Burger, Button, Group, NavLink, ScrollArea, Stack, Text, Title } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useQueryClient } from '@tanstack/react-query';
import { Link, Outlet, useNavigate, useRouterState } from '@tanstack/react-router';
import { useTranslation } from 'react-i18next';
import { appRoute } from './app-route';
import { LanguageSwitcher } from './LanguageSwitcher';
import { navItemsFor } from './nav';
import { SearchBox } from '../features/search/SearchBox';
import { DpaBanner } from '../features/privacy/DpaBanner';
import { usePermissions } from '../components/permissions';
import { signOut } from './session';

/** The signed-in shell: header, navigation (a drawer behind a burger on phones), main content. */
export default function AppLayout() {
  const { t } = useTranslation();
  const [opened, { toggle, close }] = useDisclosure();
  const { session } = appRoute.useRouteContext();
  const pathname = useRouterState({ select: (state) => state.location.pathname });
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const { can } = usePermissions();

  const leave = async () => {
    await signOut(queryClient);
    await navigate({ to: '/sign-in', search: { redirect: undefined } });
  };

  return (
    <AppShell header={{ height: 60 }} navbar={{ width: 240, breakpoint: 'sm', collapsed: { mobile: !opened } }} padding="md">
      <a className="skip-link" href="#main">
        {t('app.skipToContent')}
      </a>
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label={t('app.toggleNavigation')} />
            <Title order={2} size="h4">
              {t('app.name')}
            </Title>
          </Group>
          <Group gap="sm" wrap="nowrap">
            {/* The search page has its own box; one search landmark per page. */}
            {pathname !== '/search' && (
              <Box visibleFrom="sm">
                <SearchBox />
              </Box>
            )}
            <Text size="sm" visibleFrom="sm">
              {t('app.signedInAs', { name: session.user.name })}
            </Text>
            <Button variant="default" size="xs" onClick={() => void leave()}>
              {t('app.signOut')}
            </Button>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" aria-label={t('app.mainNavigation')} component="nav">
        <ScrollArea>
          <Stack gap={2}>
            {navItemsFor(session.user, can).map((item) => (
              <NavLink
                key={item.to}
                component={Link}
                to={item.to}
                label={t(item.label)}
                active={pathname === item.to || pathname.startsWith(`${item.to}/`)}
                // Filled: white on the primary shade passes AA contrast; the light variant's text did not.
                variant="filled"
                onClick={close}
              />
            ))}
          </Stack>
        </ScrollArea>
        <AppShell.Section mt="md">
          <LanguageSwitcher signedIn />
        </AppShell.Section>
      </AppShell.Navbar>
      <AppShell.Main id="main" tabIndex={-1}>
        <DpaBanner isAdmin={session.user.isAdmin} />
        <Outlet />
      </AppShell.Main>
    </AppShell>
  );
}
