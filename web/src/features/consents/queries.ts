import { queryOptions } from '@tanstack/react-query';
import type { TFunction } from 'i18next';
import { api, ApiError, data } from '../../api/client';
import type { paths } from '../../api/schema';

/** The contact or lead whose consents are shown. */
export interface ConsentPerson {
  kind: 'contacts' | 'leads';
  id: string;
}

export type PersonConsents = paths['/api/v1/contacts/{id}/consents']['get']['responses'][200]['content']['application/json'];
export type ConsentItem = PersonConsents['items'][number];
export type PurposeChoice = PersonConsents['purposes'][number];
export type ConsentBody = NonNullable<paths['/api/v1/contacts/{id}/consents']['post']['requestBody']>['content']['application/json'];

export const consentKeys = {
  of: (person: ConsentPerson) => [person.kind, person.id, 'consents'] as const,
};

export const consentsQuery = (person: ConsentPerson) =>
  queryOptions({
    queryKey: consentKeys.of(person),
    queryFn: () =>
      person.kind === 'contacts'
        ? data(api.GET('/api/v1/contacts/{id}/consents', { params: { path: { id: person.id } } }))
        : data(api.GET('/api/v1/leads/{id}/consents', { params: { path: { id: person.id } } })),
  });

/** Appends one event (or, for an objection, the objection and the withdrawals it causes). */
export function recordConsent(person: ConsentPerson, body: ConsentBody) {
  const params = { path: { id: person.id } };
  return person.kind === 'contacts'
    ? data(api.POST('/api/v1/contacts/{id}/consents', { params, body }))
    : data(api.POST('/api/v1/leads/{id}/consents', { params, body }));
}

const KNOWN = [
  'purpose_not_found',
  'purpose_retired',
  'notice_required',
  'notice_not_found',
  'marketing_objection',
  'consent_invalid',
  'permission_denied',
  'record_not_found',
];

/** A sentence for a refusal, from its problem code; anything else with the API's own words. */
export function consentProblem(error: unknown, t: TFunction): string {
  if (error instanceof ApiError) {
    if (KNOWN.includes(error.code)) return t(`consents.errors.${error.code}`);
    if (error.status === 403) return t('consents.errors.permission_denied');
    return t('app.error', { detail: error.detail });
  }
  return t('app.error', { detail: error instanceof Error ? error.message : String(error) });
}
