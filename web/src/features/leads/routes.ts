import { createRoute, lazyRouteComponent } from '@tanstack/react-router';
import { appRoute } from '../../app/app-route';

export const leadsRoute = createRoute({
  getParentRoute: () => appRoute,
  path: 'leads',
  component: lazyRouteComponent(() => import('./LeadsPage')),
});

/** Registered in src/router.ts. */
export const leadsRoutes = [leadsRoute];
