import { createRoute, lazyRouteComponent, redirect } from '@tanstack/react-router';
import { rootRoute } from '../../app/root-route';
import { safeRedirect, sessionQuery } from '../../app/session';

export const signInRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: 'sign-in',
  validateSearch: (search: Record<string, unknown>): { redirect?: string | undefined } => ({ redirect: safeRedirect(search.redirect) }),
  beforeLoad: async ({ context, search }) => {
    // Already signed in: straight on.
    const session = await context.queryClient.ensureQueryData(sessionQuery);
    if (session) throw redirect({ to: search.redirect ?? '/contacts' });
  },
  component: lazyRouteComponent(() => import('./SignInPage')),
});

export const signInRoutes = [signInRoute];
