import { infiniteQueryOptions, queryOptions } from '@tanstack/react-query';
import { api, data } from '../../api/client';
import type { paths } from '../../api/schema';

type Json<T> = T extends { content: { 'application/json': infer B } } ? B : never;

export type Breach = Json<paths['/api/v1/privacy/breaches/{id}']['get']['responses'][200]>;
export type BreachBody = NonNullable<paths['/api/v1/privacy/breaches']['post']['requestBody']>['content']['application/json'];
export type BreachChanges = NonNullable<paths['/api/v1/privacy/breaches/{id}']['patch']['requestBody']>['content']['application/json'];
export type BreachStatus = Breach['status'];

export const BREACH_STATUSES: readonly BreachStatus[] = ['open', 'contained', 'closed'];
export const STATUS_COLORS: Record<BreachStatus, string> = { open: 'red.9', contained: 'indigo.8', closed: 'gray.7' };

export const breachKeys = {
  all: ['privacy', 'breaches'] as const,
  one: (id: string) => ['privacy', 'breaches', id] as const,
};

/** Pages of 100 breaches, newest first; `fetchNextPage` for more. */
export const breachesQuery = infiniteQueryOptions({
  queryKey: [...breachKeys.all, 'list'],
  queryFn: ({ pageParam }) =>
    data(api.GET('/api/v1/privacy/breaches', { params: { query: { limit: 100, ...(pageParam ? { cursor: pageParam } : {}) } } })),
  initialPageParam: '',
  getNextPageParam: (page) => page.nextCursor ?? undefined,
});

export const breachQuery = (id: string) =>
  queryOptions({
    queryKey: breachKeys.one(id),
    queryFn: () => data(api.GET('/api/v1/privacy/breaches/{id}', { params: { path: { id } } })),
  });

export const recordBreach = (body: BreachBody) => data(api.POST('/api/v1/privacy/breaches', { body }));
export const updateBreach = (id: string, body: BreachChanges) =>
  data(api.PATCH('/api/v1/privacy/breaches/{id}', { params: { path: { id } }, body }));
