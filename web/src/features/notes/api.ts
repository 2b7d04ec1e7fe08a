import { infiniteQueryOptions } from '@tanstack/react-query';
import { api, data } from '../../api/client';
import type { paths } from '../../api/schema';

export type Note = paths['/api/v1/notes/{id}']['get']['responses'][200]['content']['application/json'];
export type NoteFilters = NonNullable<paths['/api/v1/notes']['get']['parameters']['query']>;

/** The one record a note belongs to. */
export type NoteTarget = { contactId: string } | { leadId: string } | { organizationId: string } | { dealId: string };

export const noteKeys = { all: ['notes'] as const };

export const notesQuery = (filters: Omit<NoteFilters, 'limit' | 'cursor'>) =>
  infiniteQueryOptions({
    queryKey: ['notes', 'list', filters],
    queryFn: ({ pageParam }) => data(api.GET('/api/v1/notes', { params: { query: { ...filters, limit: 25, cursor: pageParam } } })),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (page) => page.nextCursor ?? undefined,
  });
