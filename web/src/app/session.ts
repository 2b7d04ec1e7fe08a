import { queryOptions, type QueryClient } from '@tanstack/react-query';
import { api, ApiError, setCsrfToken } from '../api/client';
import { setLanguage } from '../i18n';

/** The signed-in user as GET /api/v1/auth/session and sign-in answer it. */
export interface SessionUser {
  id: string;
  tenantId: string;
  email: string;
  name: string;
  isAdmin: boolean;
  language: 'en' | 'nl';
  mfaEnabled: boolean;
}

export interface Session {
  user: SessionUser;
  mfaEnrolmentRequired: boolean;
}

/** The browser's session (the HttpOnly cookie), or null when nobody is signed in. */
export const sessionQuery = queryOptions({
  queryKey: ['session'],
  queryFn: async (): Promise<Session | null> => {
    try {
      const { data } = await api.GET('/api/v1/auth/session');
      if (!data) return null;
      setCsrfToken(data.csrfToken);
      setLanguage(data.user.language);
      return { user: data.user, mfaEnrolmentRequired: data.mfaEnrolmentRequired };
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return null;
      throw error;
    }
  },
  staleTime: 60_000,
});

/** After sign-in (password or second step): the session cookie is set; remember its CSRF token. */
export function startSession(
  queryClient: QueryClient,
  signedIn: { csrfToken: string; mfaEnrolmentRequired: boolean; user: SessionUser },
): Session {
  setCsrfToken(signedIn.csrfToken);
  setLanguage(signedIn.user.language);
  const session = { user: signedIn.user, mfaEnrolmentRequired: signedIn.mfaEnrolmentRequired };
  queryClient.setQueryData(sessionQuery.queryKey, session);
  return session;
}

export async function signOut(queryClient: QueryClient): Promise<void> {
  try {
    await api.POST('/api/v1/auth/logout');
  } catch (error) {
    // An expired session is signed out already.
    if (!(error instanceof ApiError && error.status === 401)) throw error;
  } finally {
    setCsrfToken(undefined);
    queryClient.clear();
    queryClient.setQueryData(sessionQuery.queryKey, null);
  }
}

/** Only paths inside the app are followed after sign-in (never another origin). */
export function safeRedirect(target: unknown): string | undefined {
  return typeof target === 'string' && target.startsWith('/') && !target.startsWith('//') && !target.startsWith('/sign-in')
    ? target
    : undefined;
}
