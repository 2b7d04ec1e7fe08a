import { infiniteQueryOptions, queryOptions } from '@tanstack/react-query';
import { api, data } from '../../api/client';
import type { paths } from '../../api/schema';

export type Organization = paths['/api/v1/organizations/{id}']['get']['responses'][200]['content']['application/json'];
export type OrganizationFilters = NonNullable<paths['/api/v1/organizations']['get']['parameters']['query']>;
export type OrganizationInput = paths['/api/v1/organizations']['post']['requestBody']['content']['application/json'];

export const PAGE_SIZE = 25;

export const organizationKeys = {
  all: ['organizations'] as const,
  list: (filters: OrganizationFilters) => ['organizations', 'list', filters] as const,
  one: (id: string) => ['organizations', 'one', id] as const,
};

export const organizationsQuery = (filters: OrganizationFilters) =>
  infiniteQueryOptions({
    queryKey: organizationKeys.list(filters),
    queryFn: ({ pageParam }) =>
      data(api.GET('/api/v1/organizations', { params: { query: { ...filters, limit: PAGE_SIZE, cursor: pageParam } } })),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (page) => page.nextCursor ?? undefined,
  });

export const organizationQuery = (id: string) =>
  queryOptions({
    queryKey: organizationKeys.one(id),
    queryFn: () => data(api.GET('/api/v1/organizations/{id}', { params: { path: { id } } })),
  });
