import { createRoute, lazyRouteComponent } from '@tanstack/react-router';
import { appRoute } from '../../app/app-route';

export const dealsRoute = createRoute({
  getParentRoute: () => appRoute,
  path: 'deals',
  component: lazyRouteComponent(() => import('./DealsPage')),
});

/** Registered in src/router.ts. */
export const dealsRoutes = [dealsRoute];
