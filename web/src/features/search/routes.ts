import { createRoute, lazyRouteComponent } from '@tanstack/react-router';
import { appRoute } from '../../app/app-route';

export const searchRoute = createRoute({
  getParentRoute: () => appRoute,
  path: 'search',
  validateSearch: (search: Record<string, unknown>): { q?: string | undefined } => ({
    q: typeof search.q === 'string' && search.q.trim() !== '' ? search.q : undefined,
  }),
  component: lazyRouteComponent(() => import('./SearchPage')),
});

export const searchRoutes = [searchRoute];
