import { createRoute, lazyRouteComponent } from '@tanstack/react-router';
import { rootRoute } from '../../app/root-route';

/** Public: ask for a reset link by e-mail. */
export const forgotPasswordRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: 'forgot-password',
  component: lazyRouteComponent(() => import('./ForgotPasswordPage')),
});

/**
 * Public: the page the e-mailed link opens. The server writes the token after `#` (never sent to a server or
 * kept in its logs); `?token=` is read too.
 */
export const resetPasswordRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: 'reset-password',
  validateSearch: (search: Record<string, unknown>): { token?: string | undefined } => ({
    token: typeof search.token === 'string' ? search.token : undefined,
  }),
  component: lazyRouteComponent(() => import('./ResetPasswordPage')),
});

/** Registered in src/router.ts beside the sign-in routes. */
export const passwordResetRoutes = [forgotPasswordRoute, resetPasswordRoute];
