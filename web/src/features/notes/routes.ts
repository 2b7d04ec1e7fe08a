import { createRoute, lazyRouteComponent } from '@tanstack/react-router';
import { appRoute } from '../../app/app-route';

export const notesRoute = createRoute({
  getParentRoute: () => appRoute,
  path: 'notes',
  component: lazyRouteComponent(() => import('./NotesPage')),
});

/** Registered in src/router.ts. */
export const notesRoutes = [notesRoute];
