import { infiniteQueryOptions, queryOptions } from '@tanstack/react-query';
import { api, data } from '../../api/client';
import type { paths } from '../../api/schema';

export type Deal = paths['/api/v1/deals/{id}']['get']['responses'][200]['content']['application/json'];
export type DealFilters = Omit<NonNullable<paths['/api/v1/deals']['get']['parameters']['query']>, 'limit' | 'cursor'>;
export type DealInput = paths['/api/v1/deals']['post']['requestBody']['content']['application/json'];
export type DealStatus = Deal['status'];
export type Pipeline = paths['/api/v1/pipelines']['get']['responses'][200]['content']['application/json']['items'][number];
export type StageChange = paths['/api/v1/deals/{id}/history']['get']['responses'][200]['content']['application/json']['items'][number];

export const DEAL_STATUSES: DealStatus[] = ['open', 'won', 'lost'];

export const dealKeys = {
  all: ['deals'] as const,
  one: (id: string) => ['deals', 'one', id] as const,
  board: (pipelineId: string) => ['deals', 'board', pipelineId] as const,
};

export const dealsQuery = (filters: DealFilters) =>
  infiniteQueryOptions({
    queryKey: ['deals', 'list', filters],
    queryFn: ({ pageParam }) => data(api.GET('/api/v1/deals', { params: { query: { ...filters, limit: 25, cursor: pageParam } } })),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (page) => page.nextCursor ?? undefined,
  });

export const dealQuery = (id: string) =>
  queryOptions({
    queryKey: dealKeys.one(id),
    queryFn: () => data(api.GET('/api/v1/deals/{id}', { params: { path: { id } } })),
  });

export const dealHistoryQuery = (id: string) =>
  queryOptions({
    queryKey: ['deals', 'history', id],
    queryFn: async () => (await data(api.GET('/api/v1/deals/{id}/history', { params: { path: { id } } }))).items,
  });

/** Every deal of one pipeline, for the board: all pages, since a column's total needs all of its deals. */
export const boardDealsQuery = (pipelineId: string) =>
  queryOptions({
    queryKey: dealKeys.board(pipelineId),
    queryFn: async () => {
      const deals: Deal[] = [];
      let cursor: string | undefined;
      do {
        const page = await data(
          api.GET('/api/v1/deals', { params: { query: { pipelineId, limit: 200, sort: '-updatedAt', ...(cursor && { cursor }) } } }),
        );
        deals.push(...page.items);
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      return deals;
    },
  });

export const pipelinesQuery = queryOptions({
  queryKey: ['pipelines'],
  queryFn: async () =>
    (await data(api.GET('/api/v1/pipelines'))).items
      .map((pipeline) => ({ ...pipeline, stages: [...pipeline.stages].sort((a, b) => a.position - b.position) }))
      .sort((a, b) => a.position - b.position),
  staleTime: 5 * 60_000,
});
