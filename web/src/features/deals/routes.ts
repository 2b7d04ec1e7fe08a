import { createRoute, lazyRouteComponent } from '@tanstack/react-router';
import { appRoute } from '../../app/app-route';

export const dealsRoute = createRoute({
  getParentRoute: () => appRoute,
  path: 'deals',
  component: lazyRouteComponent(() => import('./DealsPage')),
});

export const dealsBoardRoute = createRoute({
  getParentRoute: () => appRoute,
  path: 'deals/board',
  validateSearch: (search: Record<string, unknown>): { pipelineId?: string | undefined } => ({
    pipelineId: typeof search.pipelineId === 'string' ? search.pipelineId : undefined,
  }),
  component: lazyRouteComponent(() => import('./BoardPage')),
});

export const dealRoute = createRoute({
  getParentRoute: () => appRoute,
  path: 'deals/$dealId',
  component: lazyRouteComponent(() => import('./DealPage')),
});

/** Registered in src/router.ts. */
export const dealsRoutes = [dealsRoute, dealsBoardRoute, dealRoute];
