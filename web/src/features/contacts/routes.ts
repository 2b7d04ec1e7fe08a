import { createRoute, lazyRouteComponent } from '@tanstack/react-router';
import { appRoute } from '../../app/app-route';

export const contactsRoute = createRoute({
  getParentRoute: () => appRoute,
  path: 'contacts',
  component: lazyRouteComponent(() => import('./ContactsPage')),
});

export const contactRoute = createRoute({
  getParentRoute: () => appRoute,
  path: 'contacts/$contactId',
  component: lazyRouteComponent(() => import('./ContactPage')),
});

/** Registered in src/router.ts. */
export const contactsRoutes = [contactsRoute, contactRoute];
