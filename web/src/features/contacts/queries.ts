import { queryOptions } from '@tanstack/react-query';
import { api, data } from '../../api/client';

export const contactQuery = (id: string) =>
  queryOptions({
    queryKey: ['contacts', id],
    queryFn: () => data(api.GET('/api/v1/contacts/{id}', { params: { path: { id } } })),
  });

export type Contact = Awaited<ReturnType<NonNullable<ReturnType<typeof contactQuery>['queryFn']>>>;

export const personName = (person: { firstName?: string | undefined; lastName?: string | undefined }) =>
  [person.firstName, person.lastName].filter(Boolean).join(' ');
