import { queryOptions } from '@tanstack/react-query';
import type { TFunction } from 'i18next';
import { api, ApiError, data } from '../../api/client';
import type { paths } from '../../api/schema';

type Json<T> = T extends { content: { 'application/json': infer B } } ? B : never;

export type Campaign = Json<paths['/api/v1/campaigns/{id}']['get']['responses'][200]>;
export type CampaignSummary = Json<paths['/api/v1/campaigns']['get']['responses'][200]>['items'][number];
export type CampaignInput = NonNullable<paths['/api/v1/campaigns']['post']['requestBody']>['content']['application/json'];
export type AudienceSummary = Json<paths['/api/v1/campaigns/{id}/audience']['get']['responses'][200]>;
export type SendResult = Json<paths['/api/v1/campaigns/{id}/send']['post']['responses'][200]>;
export type SkipReason = SendResult['skipped'][number]['reason'];
export type Purpose = Json<paths['/api/v1/privacy/purposes']['get']['responses'][200]>['items'][number];

export const SKIP_REASONS: readonly SkipReason[] = ['no_consent', 'objected', 'no_email', 'restricted', 'not_visible'];

export const campaignKeys = {
  all: ['campaigns'] as const,
  one: (id: string) => ['campaigns', id] as const,
  audience: (id: string) => ['campaigns', id, 'audience'] as const,
};

export const campaignQuery = (id: string) =>
  queryOptions({
    queryKey: campaignKeys.one(id),
    queryFn: () => data(api.GET('/api/v1/campaigns/{id}', { params: { path: { id } } })),
  });

export const audienceQuery = (id: string) =>
  queryOptions({
    queryKey: campaignKeys.audience(id),
    queryFn: () => data(api.GET('/api/v1/campaigns/{id}/audience', { params: { path: { id } } })),
    staleTime: 0,
  });

export const purposesQuery = queryOptions({
  queryKey: ['privacy', 'purposes'],
  queryFn: async () => (await data(api.GET('/api/v1/privacy/purposes'))).items,
  staleTime: 30_000,
});

/** The placeholders a subject or body may use, filled per person by the server. */
export const PLACEHOLDERS = ['{{firstName}}', '{{lastName}}'] as const;

/**
 * The mail as one person would read it: placeholders filled with an example
 * name (a name that is not known takes the space before it along, as the server does),
 * and the body cut into paragraphs at blank lines.
 */
export function previewOf(text: string, person: { firstName: string; lastName: string }): string {
  return text.replace(/( ?)\{\{\s*(firstName|lastName)\s*\}\}/g, (_m, space: string, key: 'firstName' | 'lastName') =>
    person[key] ? space + person[key] : '',
  );
}

export function paragraphsOf(body: string): string[] {
  return body
    .split(/\r?\n\s*\r?\n/)
    .map((p) => p.replace(/\s+/g, ' ').trim())
    .filter((p) => p !== '');
}

const KNOWN = ['campaign_invalid', 'campaign_sent', 'purpose_retired', 'purpose_not_found', 'audience_too_large', 'permission_denied'];

/** A sentence for a refusal, from its problem code; anything else with the API's own words. */
export function campaignProblem(error: unknown, t: TFunction): string {
  if (error instanceof ApiError) {
    if (KNOWN.includes(error.code)) return t(`campaigns.errors.${error.code}`, { detail: error.detail });
    if (error.status === 403) return t('campaigns.errors.permission_denied');
    return t('app.error', { detail: error.detail });
  }
  return t('app.error', { detail: error instanceof Error ? error.message : String(error) });
}
