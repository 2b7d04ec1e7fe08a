import { createRoute, lazyRouteComponent } from '@tanstack/react-router';
import { appRoute } from '../../app/app-route';

export const importRoute = createRoute({
  getParentRoute: () => appRoute,
  path: 'import',
  component: lazyRouteComponent(() => import('./ImportPage')),
});

/** One import's progress and result (GET /imports/{id}), refreshed while it runs. */
export const importStatusRoute = createRoute({
  getParentRoute: () => appRoute,
  path: 'import/$importId',
  component: lazyRouteComponent(() => import('./ImportStatusPage')),
});

/** Registered in src/router.ts. */
export const importRoutes = [importRoute, importStatusRoute];
