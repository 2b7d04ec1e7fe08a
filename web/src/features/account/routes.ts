import { createRoute, lazyRouteComponent } from '@tanstack/react-router';
import { appRoute } from '../../app/app-route';

export const accountRoute = createRoute({
  getParentRoute: () => appRoute,
  path: 'account',
  component: lazyRouteComponent(() => import('./AccountPage')),
});

export const twoFactorRoute = createRoute({
  getParentRoute: () => appRoute,
  path: 'account/two-factor',
  component: lazyRouteComponent(() => import('./TwoFactorPage')),
});

/** Registered in src/router.ts. */
export const accountRoutes = [accountRoute, twoFactorRoute];
