import { infiniteQueryOptions, queryOptions } from '@tanstack/react-query';
import { api, data } from '../../api/client';
import type { paths } from '../../api/schema';

type Json<T> = T extends { content: { 'application/json': infer B } } ? B : never;

export type PrivacyRequest = Json<paths['/api/v1/privacy/requests']['get']['responses'][200]>['items'][number];
export type PrivacyRequestDetail = Json<paths['/api/v1/privacy/requests/{id}']['get']['responses'][200]>;
export type OpenRequestBody = NonNullable<paths['/api/v1/privacy/requests']['post']['requestBody']>['content']['application/json'];
export type RequestType = PrivacyRequest['type'];
export type RequestStatus = PrivacyRequest['status'];
export type RequestChannel = PrivacyRequest['channel'];
export type RequestStep = PrivacyRequest['nextSteps'][number];
export type ListFilter = 'open' | 'overdue' | 'closed' | 'all';

export const REQUEST_TYPES: readonly RequestType[] = ['access', 'rectification', 'erasure', 'restriction', 'objection', 'portability'];
export const REQUEST_CHANNELS: readonly RequestChannel[] = ['email', 'letter', 'phone', 'web_form', 'in_person', 'other'];
export const VERIFICATION_METHODS = ['email_link', 'id_document', 'known_contact_details', 'in_person', 'other'] as const;
export type VerificationMethod = (typeof VERIFICATION_METHODS)[number];

export const requestKeys = {
  all: ['privacy', 'requests'] as const,
  list: (filter: ListFilter) => ['privacy', 'requests', 'list', filter] as const,
  one: (id: string) => ['privacy', 'requests', id] as const,
};

/** Pages of 100 cases by due date; `fetchNextPage` for more. */
export const requestsQuery = (filter: ListFilter) =>
  infiniteQueryOptions({
    queryKey: requestKeys.list(filter),
    queryFn: ({ pageParam }) =>
      data(
        api.GET('/api/v1/privacy/requests', {
          params: {
            query: {
              ...(filter === 'overdue' ? { status: 'open' as const, overdue: true } : { status: filter }),
              limit: 100,
              ...(pageParam ? { cursor: pageParam } : {}),
            },
          },
        }),
      ),
    initialPageParam: '',
    getNextPageParam: (page) => page.nextCursor ?? undefined,
  });

export const requestQuery = (id: string) =>
  queryOptions({
    queryKey: requestKeys.one(id),
    queryFn: () => data(api.GET('/api/v1/privacy/requests/{id}', { params: { path: { id } } })),
  });

export const openRequest = (body: OpenRequestBody) => data(api.POST('/api/v1/privacy/requests', { body }));

const on = (id: string) => ({ params: { path: { id } } });

export const verifyRequest = (id: string, body: { method: VerificationMethod; note?: string }) =>
  data(api.POST('/api/v1/privacy/requests/{id}/verify', { ...on(id), body }));
export const startRequest = (id: string) => data(api.POST('/api/v1/privacy/requests/{id}/start', { ...on(id), body: {} }));
export const extendRequest = (id: string, body: { months: number; reason: string }) =>
  data(api.POST('/api/v1/privacy/requests/{id}/extend', { ...on(id), body }));
export const completeRequest = (id: string, body: { note?: string }) =>
  data(api.POST('/api/v1/privacy/requests/{id}/complete', { ...on(id), body }));
export const refuseRequest = (id: string, body: { reason: string; legalBasis?: string }) =>
  data(api.POST('/api/v1/privacy/requests/{id}/refuse', { ...on(id), body }));
export const addRequestNote = (id: string, text: string) =>
  data(api.POST('/api/v1/privacy/requests/{id}/notes', { ...on(id), body: { text } }));
export const assignRequest = (id: string, assigneeId: string | null, version: number) =>
  data(api.PATCH('/api/v1/privacy/requests/{id}', { ...on(id), body: { assigneeId, version } }));

/** The badge colour of a status (shades with enough contrast for white text). */
export const STATUS_COLORS: Record<RequestStatus, string> = {
  received: 'blue.8',
  verified: 'cyan.9',
  in_progress: 'indigo.8',
  completed: 'teal.9',
  refused: 'gray.7',
};
