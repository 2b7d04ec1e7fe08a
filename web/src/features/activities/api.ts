import { infiniteQueryOptions } from '@tanstack/react-query';
import { api, data } from '../../api/client';
import type { paths } from '../../api/schema';

export type Activity = paths['/api/v1/activities/{id}']['get']['responses'][200]['content']['application/json'];
export type ActivityFilters = Omit<NonNullable<paths['/api/v1/activities']['get']['parameters']['query']>, 'limit' | 'cursor'>;
export type ActivityType = Activity['type'];
export const ACTIVITY_TYPES: ActivityType[] = ['task', 'call', 'meeting'];

/** The one record an activity is about, if any. */
export type ActivityTarget =
  { contactId: string } | { leadId: string } | { organizationId: string } | { dealId: string } | Record<string, never>;

export const activityKeys = { all: ['activities'] as const };

export const activitiesQuery = (filters: ActivityFilters) =>
  infiniteQueryOptions({
    queryKey: ['activities', 'list', filters],
    queryFn: ({ pageParam }) => data(api.GET('/api/v1/activities', { params: { query: { ...filters, limit: 25, cursor: pageParam } } })),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (page) => page.nextCursor ?? undefined,
  });

/** A due date is overdue when it has passed and the activity is not done (as the API's `overdue` filter says). */
export function isOverdue(activity: Activity, now = Date.now()): boolean {
  return !activity.done && !!activity.dueAt && new Date(activity.dueAt).getTime() < now;
}
