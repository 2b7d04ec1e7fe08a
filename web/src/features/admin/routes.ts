import { createRoute, lazyRouteComponent } from '@tanstack/react-router';
import { appRoute } from '../../app/app-route';

export const ADMIN_SECTIONS = ['users', 'roles', 'profiles', 'groups', 'sharing', 'security', 'audit', 'backups'] as const;
export type AdminSection = (typeof ADMIN_SECTIONS)[number];

function sectionOf(value: unknown): AdminSection {
  return (ADMIN_SECTIONS as readonly unknown[]).includes(value) ? (value as AdminSection) : 'users';
}

/** One admin screen with a tab per section; the tab is in the URL (`/admin?section=roles`) so it can be linked. */
export const adminRoute = createRoute({
  getParentRoute: () => appRoute,
  path: 'admin',
  validateSearch: (search: Record<string, unknown>): { section: AdminSection } => ({ section: sectionOf(search.section) }),
  component: lazyRouteComponent(() => import('./AdminPage')),
});

/** Registered in src/router.ts. */
export const adminRoutes = [adminRoute];
