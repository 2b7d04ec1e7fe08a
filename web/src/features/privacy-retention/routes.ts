import { createRoute, lazyRouteComponent } from '@tanstack/react-router';
import { privacyRoute } from '../privacy/routes';

// Retention rules, legal holds and runs in the privacy center (a child of privacyRoute, listed in privacy/routes.ts).

export const retentionRoute = createRoute({
  getParentRoute: () => privacyRoute,
  path: 'retention',
  component: lazyRouteComponent(() => import('./RetentionPage')),
});

export const privacyRetentionRoutes = [retentionRoute];
