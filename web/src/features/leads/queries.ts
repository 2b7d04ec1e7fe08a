import { queryOptions } from '@tanstack/react-query';
import { api, data } from '../../api/client';

export const leadQuery = (id: string) =>
  queryOptions({
    queryKey: ['leads', id],
    queryFn: () => data(api.GET('/api/v1/leads/{id}', { params: { path: { id } } })),
  });

export type Lead = Awaited<ReturnType<NonNullable<ReturnType<typeof leadQuery>['queryFn']>>>;

export const personName = (person: { firstName?: string | undefined; lastName?: string | undefined }) =>
  [person.firstName, person.lastName].filter(Boolean).join(' ');
