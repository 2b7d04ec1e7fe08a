import { queryOptions } from '@tanstack/react-query';
import { api, data } from '../../api/client';
import type { paths } from '../../api/schema';

type Json<T> = T extends { content: { 'application/json': infer B } } ? B : never;

export type Purpose = Json<paths['/api/v1/privacy/purposes/{id}']['get']['responses'][200]>;
export type PurposeBody = NonNullable<paths['/api/v1/privacy/purposes']['post']['requestBody']>['content']['application/json'];
export type LawfulBasis = Purpose['lawfulBasis'];
export type Lia = NonNullable<Purpose['lia']>;
export type Notice = Json<paths['/api/v1/privacy/purposes/{id}/notices']['get']['responses'][200]>['items'][number];
export type RecordOfProcessing = Json<paths['/api/v1/privacy/record-of-processing']['get']['responses'][200]>;
export type Dpa = Json<paths['/api/v1/privacy/dpa']['get']['responses'][200]>;

export const LAWFUL_BASES: readonly LawfulBasis[] = [
  'consent',
  'contract',
  'legal_obligation',
  'vital_interests',
  'public_task',
  'legitimate_interests',
];
export const LIA_FIELDS = ['purposeTest', 'necessityTest', 'balancingTest', 'outcome', 'reviewer', 'reviewedAt'] as const;

export const privacyKeys = {
  purposes: ['privacy', 'purposes'] as const,
  purpose: (id: string) => ['privacy', 'purposes', id] as const,
  notices: (id: string) => ['privacy', 'purposes', id, 'notices'] as const,
  record: (lang: string) => ['privacy', 'record', lang] as const,
  dpa: ['privacy', 'dpa'] as const,
  dpaStatus: ['privacy', 'dpa', 'status'] as const,
};

export const purposesQuery = queryOptions({
  queryKey: privacyKeys.purposes,
  queryFn: async () => (await data(api.GET('/api/v1/privacy/purposes'))).items,
});

export const purposeQuery = (id: string) =>
  queryOptions({
    queryKey: privacyKeys.purpose(id),
    queryFn: () => data(api.GET('/api/v1/privacy/purposes/{id}', { params: { path: { id } } })),
  });

export const noticesQuery = (id: string) =>
  queryOptions({
    queryKey: privacyKeys.notices(id),
    queryFn: async () => (await data(api.GET('/api/v1/privacy/purposes/{id}/notices', { params: { path: { id } } }))).items,
  });

export const recordQuery = (lang: 'en' | 'nl') =>
  queryOptions({
    queryKey: privacyKeys.record(lang),
    // openapi-fetch types the answer as any of the route's media types; format=json answers the JSON one.
    queryFn: async () =>
      (await data(api.GET('/api/v1/privacy/record-of-processing', { params: { query: { format: 'json', lang } } }))) as RecordOfProcessing,
  });

export const dpaQuery = queryOptions({ queryKey: privacyKeys.dpa, queryFn: () => data(api.GET('/api/v1/privacy/dpa')) });

export const dpaStatusQuery = queryOptions({
  queryKey: privacyKeys.dpaStatus,
  queryFn: () => data(api.GET('/api/v1/privacy/dpa/status')),
  staleTime: 5 * 60_000,
});
