import { createRoute, lazyRouteComponent } from '@tanstack/react-router';
import { appRoute } from '../../app/app-route';

export const adminRoute = createRoute({
  getParentRoute: () => appRoute,
  path: 'admin',
  component: lazyRouteComponent(() => import('./AdminPage')),
});

/** Registered in src/router.ts. */
export const adminRoutes = [adminRoute];
