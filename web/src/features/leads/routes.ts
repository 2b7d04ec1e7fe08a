import { createRoute, lazyRouteComponent } from '@tanstack/react-router';
import { appRoute } from '../../app/app-route';
import { filtersFromSearch, type ListFilters } from '../../components/ListControls';

export const LEAD_SORTS = ['-createdAt', 'createdAt', '-updatedAt', 'updatedAt', 'company', '-company'] as const;
export type LeadSort = (typeof LEAD_SORTS)[number];
export const LEAD_FILTER_STATUSES = ['new', 'contacted', 'qualified', 'unqualified', 'converted'] as const;
export type LeadStatus = (typeof LEAD_FILTER_STATUSES)[number];

export interface LeadsSearch extends ListFilters {
  q?: string | undefined;
  email?: string | undefined;
  sort?: LeadSort | undefined;
  status?: LeadStatus | undefined;
}

const text = (value: unknown) => (typeof value === 'string' && value.trim() !== '' ? value : undefined);

export const leadsRoute = createRoute({
  getParentRoute: () => appRoute,
  path: 'leads',
  validateSearch: (search: Record<string, unknown>): LeadsSearch => ({
    ...filtersFromSearch(search),
    q: text(search.q),
    email: text(search.email),
    sort: LEAD_SORTS.find((sort) => sort === search.sort),
    status: LEAD_FILTER_STATUSES.find((status) => status === search.status),
  }),
  component: lazyRouteComponent(() => import('./LeadsPage')),
});

export const newLeadRoute = createRoute({
  getParentRoute: () => appRoute,
  path: 'leads/new',
  component: lazyRouteComponent(() => import('./LeadFormPage')),
});

export const LEAD_TABS = ['timeline', 'activities', 'notes', 'files', 'access'] as const;
export type LeadTab = (typeof LEAD_TABS)[number];

export const leadRoute = createRoute({
  getParentRoute: () => appRoute,
  path: 'leads/$leadId',
  validateSearch: (search: Record<string, unknown>): { tab?: LeadTab | undefined } => ({
    tab: LEAD_TABS.find((tab) => tab === search.tab),
  }),
  component: lazyRouteComponent(() => import('./LeadPage')),
});

export const editLeadRoute = createRoute({
  getParentRoute: () => appRoute,
  path: 'leads/$leadId/edit',
  component: lazyRouteComponent(() => import('./LeadFormPage')),
});

/** Registered in src/router.ts. */
export const leadsRoutes = [leadsRoute, newLeadRoute, leadRoute, editLeadRoute];
