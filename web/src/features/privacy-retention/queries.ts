import { queryOptions } from '@tanstack/react-query';
import { api, data } from '../../api/client';
import type { paths } from '../../api/schema';

type Json<T> = T extends { content: { 'application/json': infer B } } ? B : never;

export type RetentionRule = Json<paths['/api/v1/privacy/retention-rules']['post']['responses'][201]>;
export type RuleBody = NonNullable<paths['/api/v1/privacy/retention-rules']['post']['requestBody']>['content']['application/json'];
export type LegalHold = Json<paths['/api/v1/privacy/legal-holds']['post']['responses'][201]>;
export type RetentionReport = Json<paths['/api/v1/privacy/retention/run']['post']['responses'][200]>;
export type RetentionRun = Json<paths['/api/v1/privacy/retention/runs']['get']['responses'][200]>['items'][number];
export type RuleModule = RuleBody['module'];

export const MODULES: readonly RuleModule[] = ['contacts', 'leads', 'deals'];
/** What each module allows: the API refuses other combinations (retention_rule_invalid, retention_action_unsupported). */
export const BASES: Record<RuleModule, ReadonlyArray<RuleBody['basedOn']>> = {
  contacts: ['last_activity', 'created', 'updated', 'consent_withdrawn'],
  leads: ['last_activity', 'created', 'updated', 'consent_withdrawn'],
  deals: ['closed'],
};
export const ACTION_OF: Record<RuleModule, RuleBody['action']> = { contacts: 'erase', leads: 'erase', deals: 'anonymize' };

export const retentionKeys = {
  all: ['privacy', 'retention'] as const,
  rules: ['privacy', 'retention', 'rules'] as const,
  holds: ['privacy', 'retention', 'holds'] as const,
  runs: ['privacy', 'retention', 'runs'] as const,
};

export const rulesQuery = queryOptions({
  queryKey: retentionKeys.rules,
  queryFn: async () => (await data(api.GET('/api/v1/privacy/retention-rules'))).items,
});

export const holdsQuery = queryOptions({
  queryKey: retentionKeys.holds,
  queryFn: async () => (await data(api.GET('/api/v1/privacy/legal-holds', { params: { query: { limit: 200 } } }))).items,
});

export const runsQuery = queryOptions({
  queryKey: retentionKeys.runs,
  queryFn: async () => (await data(api.GET('/api/v1/privacy/retention/runs', { params: { query: { limit: 10 } } }))).items,
});

export const createRule = (body: RuleBody) => data(api.POST('/api/v1/privacy/retention-rules', { body }));
export const applyTwoYearPreset = () => data(api.POST('/api/v1/privacy/retention-rules/presets/two-years'));
export const deleteRule = (id: string) => data(api.DELETE('/api/v1/privacy/retention-rules/{id}', { params: { path: { id } } }));
export const placeHold = (body: { contactId?: string; leadId?: string; dealId?: string; reason: string }) =>
  data(api.POST('/api/v1/privacy/legal-holds', { body }));
export const releaseHold = (id: string, reason: string) =>
  data(api.POST('/api/v1/privacy/legal-holds/{id}/release', { params: { path: { id } }, body: { reason } }));
export const runRetention = (dryRun: boolean) => data(api.POST('/api/v1/privacy/retention/run', { body: { dryRun } }));
