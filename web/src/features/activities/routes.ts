import { createRoute, lazyRouteComponent } from '@tanstack/react-router';
import { appRoute } from '../../app/app-route';

export const activitiesRoute = createRoute({
  getParentRoute: () => appRoute,
  path: 'activities',
  component: lazyRouteComponent(() => import('./ActivitiesPage')),
});

/** Registered in src/router.ts. */
export const activitiesRoutes = [activitiesRoute];
