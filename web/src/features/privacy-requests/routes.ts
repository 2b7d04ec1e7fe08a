import { createRoute, lazyRouteComponent } from '@tanstack/react-router';
import { privacyRoute } from '../privacy/routes';

// Data-subject requests in the privacy center (children of privacyRoute, listed in privacy/routes.ts).

export const requestsRoute = createRoute({
  getParentRoute: () => privacyRoute,
  path: 'requests',
  component: lazyRouteComponent(() => import('./RequestsPage')),
});

export const newRequestRoute = createRoute({
  getParentRoute: () => privacyRoute,
  path: 'requests/new',
  component: lazyRouteComponent(() => import('./NewRequestPage')),
});

export const requestRoute = createRoute({
  getParentRoute: () => privacyRoute,
  path: 'requests/$requestId',
  component: lazyRouteComponent(() => import('./RequestPage')),
});

export const privacyRequestsRoutes = [requestsRoute, newRequestRoute, requestRoute];
