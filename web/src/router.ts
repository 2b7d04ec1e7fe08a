import type { QueryClient } from '@tanstack/react-query';
import { createRoute, createRouter, redirect } from '@tanstack/react-router';
import { appRoute } from './app/app-route';
import { rootRoute } from './app/root-route';
import { Loading } from './app/RouteStates';
import { accountRoutes } from './features/account/routes';
import { activitiesRoutes } from './features/activities/routes';
import { adminRoutes } from './features/admin/routes';
import { contactsRoutes } from './features/contacts/routes';
import { dealsRoutes } from './features/deals/routes';
import { importRoutes } from './features/import/routes';
import { leadsRoutes } from './features/leads/routes';
import { notesRoutes } from './features/notes/routes';
import { organizationsRoutes } from './features/organizations/routes';
import { recycleBinRoutes } from './features/recycle-bin/routes';
import { searchRoutes } from './features/search/routes';
import { passwordResetRoutes } from './features/password-reset/routes';
import { privacyRoutes } from './features/privacy/routes';
import { signInRoutes } from './features/sign-in/routes';
import { campaignsRoutes } from './features/campaigns/routes';

const homeRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/',
  beforeLoad: () => {
    throw redirect({ to: '/contacts' });
  },
});

// One line per feature: each feature folder declares its own routes in routes.ts.
const routeTree = rootRoute.addChildren([
  ...signInRoutes,
  ...passwordResetRoutes,
  appRoute.addChildren([
    homeRoute,
    ...contactsRoutes,
    ...organizationsRoutes,
    ...leadsRoutes,
    ...dealsRoutes,
    ...activitiesRoutes,
    ...notesRoutes,
    ...importRoutes,
    ...recycleBinRoutes,
    ...searchRoutes,
    ...adminRoutes,
    ...privacyRoutes,
    ...campaignsRoutes,
    ...accountRoutes,
  ]),
]);

export function createAppRouter(queryClient: QueryClient) {
  return createRouter({
    routeTree,
    context: { queryClient },
    defaultPreload: 'intent',
    defaultPendingComponent: Loading,
    scrollRestoration: true,
  });
}

declare module '@tanstack/react-router' {
  interface Register {
    router: ReturnType<typeof createAppRouter>;
  }
}
