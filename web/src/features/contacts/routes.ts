import { createRoute, lazyRouteComponent } from '@tanstack/react-router';
import { appRoute } from '../../app/app-route';
import { filtersFromSearch, type ListFilters } from '../../components/ListControls';

export const CONTACT_SORTS = ['-createdAt', 'createdAt', '-updatedAt', 'updatedAt'] as const;
export type ContactSort = (typeof CONTACT_SORTS)[number];

export interface ContactsSearch extends ListFilters {
  q?: string | undefined;
  email?: string | undefined;
  sort?: ContactSort | undefined;
}

const text = (value: unknown) => (typeof value === 'string' && value.trim() !== '' ? value : undefined);

export const contactsRoute = createRoute({
  getParentRoute: () => appRoute,
  path: 'contacts',
  validateSearch: (search: Record<string, unknown>): ContactsSearch => ({
    ...filtersFromSearch(search),
    q: text(search.q),
    email: text(search.email),
    sort: CONTACT_SORTS.find((sort) => sort === search.sort),
  }),
  component: lazyRouteComponent(() => import('./ContactsPage')),
});

export const newContactRoute = createRoute({
  getParentRoute: () => appRoute,
  path: 'contacts/new',
  component: lazyRouteComponent(() => import('./ContactFormPage')),
});

export const CONTACT_TABS = ['timeline', 'deals', 'activities', 'notes', 'emails', 'files', 'access'] as const;
export type ContactTab = (typeof CONTACT_TABS)[number];

export const contactRoute = createRoute({
  getParentRoute: () => appRoute,
  path: 'contacts/$contactId',
  validateSearch: (search: Record<string, unknown>): { tab?: ContactTab | undefined } => ({
    tab: CONTACT_TABS.find((tab) => tab === search.tab),
  }),
  component: lazyRouteComponent(() => import('./ContactPage')),
});

export const editContactRoute = createRoute({
  getParentRoute: () => appRoute,
  path: 'contacts/$contactId/edit',
  component: lazyRouteComponent(() => import('./ContactFormPage')),
});

/** Registered in src/router.ts. */
export const contactsRoutes = [contactsRoute, newContactRoute, contactRoute, editContactRoute];
