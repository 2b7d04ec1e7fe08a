import { createRoute, lazyRouteComponent, redirect } from '@tanstack/react-router';
import { rootRoute } from './root-route';
import { safeRedirect, sessionQuery } from './session';

/** Where a session that must enrol in 2FA is sent (the tenant's "2FA required" policy). */
export const ENROLMENT_PATH = '/account/two-factor';

/**
 * The signed-in part of the app: every screen but sign-in is a child of this
 * route. Nobody signed in → sign-in (coming back here afterwards); a session
 * that must enrol in 2FA first → enrolment.
 */
export const appRoute = createRoute({
  getParentRoute: () => rootRoute,
  id: 'app',
  beforeLoad: async ({ context, location }) => {
    const session = await context.queryClient.ensureQueryData(sessionQuery);
    if (!session) {
      throw redirect({ to: '/sign-in', search: { redirect: safeRedirect(location.href) } });
    }
    if (session.mfaEnrolmentRequired && location.pathname !== ENROLMENT_PATH) {
      throw redirect({ to: ENROLMENT_PATH });
    }
    return { session };
  },
  component: lazyRouteComponent(() => import('./AppLayout')),
});
