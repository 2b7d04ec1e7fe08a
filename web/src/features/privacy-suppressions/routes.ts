import { createRoute, lazyRouteComponent } from '@tanstack/react-router';
import { privacyRoute } from '../privacy/routes';

// The suppression list in the privacy center (a child of privacyRoute, listed in privacy/routes.ts).

export const suppressionsRoute = createRoute({
  getParentRoute: () => privacyRoute,
  path: 'suppressions',
  component: lazyRouteComponent(() => import('./SuppressionsPage')),
});

export const privacySuppressionsRoutes = [suppressionsRoute];
