import { createRoute, lazyRouteComponent } from '@tanstack/react-router';
import { appRoute } from '../../app/app-route';

export const BIN_MODULES = ['contacts', 'leads', 'organizations', 'deals', 'activities', 'notes', 'email-messages'] as const;
export type BinModule = (typeof BIN_MODULES)[number];

export const recycleBinRoute = createRoute({
  getParentRoute: () => appRoute,
  path: 'recycle-bin',
  validateSearch: (search: Record<string, unknown>): { module?: BinModule | undefined } => ({
    module: BIN_MODULES.find((module) => module === search.module),
  }),
  component: lazyRouteComponent(() => import('./RecycleBinPage')),
});

export const recycleBinRoutes = [recycleBinRoute];
