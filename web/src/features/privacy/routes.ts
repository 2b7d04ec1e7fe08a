import { createRoute, lazyRouteComponent, redirect } from '@tanstack/react-router';
import { appRoute } from '../../app/app-route';
import { privacyBreachesRoutes } from '../privacy-breaches/routes';
import { privacyRequestsRoutes } from '../privacy-requests/routes';
import { privacyRetentionRoutes } from '../privacy-retention/routes';
import { privacySuppressionsRoutes } from '../privacy-suppressions/routes';

/** The privacy center: a layout with the section links of sections.ts around each section's page. */
export const privacyRoute = createRoute({
  getParentRoute: () => appRoute,
  path: 'privacy',
  component: lazyRouteComponent(() => import('./PrivacyLayout')),
});

const privacyIndexRoute = createRoute({
  getParentRoute: () => privacyRoute,
  path: '/',
  beforeLoad: () => {
    throw redirect({ to: '/privacy/purposes' });
  },
});

export const purposesRoute = createRoute({
  getParentRoute: () => privacyRoute,
  path: 'purposes',
  component: lazyRouteComponent(() => import('./PurposesPage')),
});

export const newPurposeRoute = createRoute({
  getParentRoute: () => privacyRoute,
  path: 'purposes/new',
  component: lazyRouteComponent(() => import('./PurposeFormPage')),
});

export const purposeRoute = createRoute({
  getParentRoute: () => privacyRoute,
  path: 'purposes/$purposeId',
  component: lazyRouteComponent(() => import('./PurposePage')),
});

export const editPurposeRoute = createRoute({
  getParentRoute: () => privacyRoute,
  path: 'purposes/$purposeId/edit',
  component: lazyRouteComponent(() => import('./PurposeFormPage')),
});

export const recordRoute = createRoute({
  getParentRoute: () => privacyRoute,
  path: 'record',
  component: lazyRouteComponent(() => import('./RecordPage')),
});

export const dpaRoute = createRoute({
  getParentRoute: () => privacyRoute,
  path: 'dpa',
  component: lazyRouteComponent(() => import('./DpaPage')),
});

/** Registered in src/router.ts. Other privacy features add their child routes to this list. */
export const privacyRoutes = [
  privacyRoute.addChildren([
    privacyIndexRoute,
    purposesRoute,
    newPurposeRoute,
    purposeRoute,
    editPurposeRoute,
    recordRoute,
    dpaRoute,
    ...privacyRequestsRoutes,
    ...privacyBreachesRoutes,
    ...privacyRetentionRoutes,
    ...privacySuppressionsRoutes,
  ]),
];
