import { createRoute, lazyRouteComponent } from '@tanstack/react-router';
import { appRoute } from '../../app/app-route';

export const importRoute = createRoute({
  getParentRoute: () => appRoute,
  path: 'import',
  component: lazyRouteComponent(() => import('./ImportPage')),
});

/** Registered in src/router.ts. */
export const importRoutes = [importRoute];
