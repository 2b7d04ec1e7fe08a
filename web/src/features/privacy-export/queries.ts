import { queryOptions } from '@tanstack/react-query';
import { api, data } from '../../api/client';

/** Where the tenant's public request form is (a path on this server). */
export const publicFormQuery = queryOptions({
  queryKey: ['privacy', 'requests', 'public-form'],
  queryFn: () => data(api.GET('/api/v1/privacy/requests/public-form')),
  staleTime: 5 * 60_000,
});

/** The package of a case, as a zip in the given language (a plain link: the browser downloads it under the server's file name). */
export const packageHref = (requestId: string, lang: 'en' | 'nl') =>
  `/api/v1/privacy/requests/${encodeURIComponent(requestId)}/export?lang=${lang}`;
