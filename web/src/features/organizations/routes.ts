import { createRoute, lazyRouteComponent } from '@tanstack/react-router';
import { appRoute } from '../../app/app-route';

export const organizationsRoute = createRoute({
  getParentRoute: () => appRoute,
  path: 'organizations',
  component: lazyRouteComponent(() => import('./OrganizationsPage')),
});

export const organizationRoute = createRoute({
  getParentRoute: () => appRoute,
  path: 'organizations/$organizationId',
  component: lazyRouteComponent(() => import('./OrganizationPage')),
});

/** Registered in src/router.ts. */
export const organizationsRoutes = [organizationsRoute, organizationRoute];
