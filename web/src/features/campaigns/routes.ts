import { createRoute, lazyRouteComponent } from '@tanstack/react-router';
import { appRoute } from '../../app/app-route';

export const campaignsRoute = createRoute({
  getParentRoute: () => appRoute,
  path: 'campaigns',
  component: lazyRouteComponent(() => import('./CampaignsPage')),
});

export const newCampaignRoute = createRoute({
  getParentRoute: () => appRoute,
  path: 'campaigns/new',
  component: lazyRouteComponent(() => import('./CampaignFormPage')),
});

export const campaignRoute = createRoute({
  getParentRoute: () => appRoute,
  path: 'campaigns/$campaignId',
  component: lazyRouteComponent(() => import('./CampaignPage')),
});

/** Registered in src/router.ts. */
export const campaignsRoutes = [campaignsRoute, newCampaignRoute, campaignRoute];
