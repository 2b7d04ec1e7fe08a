import { createRoute, lazyRouteComponent } from '@tanstack/react-router';
import { privacyRoute } from '../privacy/routes';

// The breach register in the privacy center (children of privacyRoute, listed in privacy/routes.ts).

export const breachesRoute = createRoute({
  getParentRoute: () => privacyRoute,
  path: 'breaches',
  component: lazyRouteComponent(() => import('./BreachesPage')),
});

export const newBreachRoute = createRoute({
  getParentRoute: () => privacyRoute,
  path: 'breaches/new',
  component: lazyRouteComponent(() => import('./NewBreachPage')),
});

export const breachRoute = createRoute({
  getParentRoute: () => privacyRoute,
  path: 'breaches/$breachId',
  component: lazyRouteComponent(() => import('./BreachPage')),
});

export const privacyBreachesRoutes = [breachesRoute, newBreachRoute, breachRoute];
