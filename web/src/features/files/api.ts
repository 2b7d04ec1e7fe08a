import { infiniteQueryOptions, queryOptions } from '@tanstack/react-query';
import { api, data } from '../../api/client';
import type { paths } from '../../api/schema';
import { fileKeys, type FileTarget } from './files';

export type StoredFile = paths['/api/v1/files']['get']['responses'][200]['content']['application/json']['items'][number];
export type FileVersion = paths['/api/v1/files/{id}/versions']['get']['responses'][200]['content']['application/json']['items'][number];

/** The files of one record, newest change first, 50 at a time. */
export const filesQuery = (target: FileTarget) =>
  infiniteQueryOptions({
    queryKey: fileKeys.list(target),
    queryFn: ({ pageParam }) => data(api.GET('/api/v1/files', { params: { query: { ...target, limit: 50, cursor: pageParam } } })),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (page) => page.nextCursor ?? undefined,
  });

/** Every version of a file, newest first, expired ones included (their history stays). */
export const versionsQuery = (id: string) =>
  queryOptions({
    queryKey: fileKeys.versions(id),
    queryFn: async () => (await data(api.GET('/api/v1/files/{id}/versions', { params: { path: { id } } }))).items,
  });

export const restoreVersion = (id: string, version: number) =>
  data(api.POST('/api/v1/files/{id}/restore', { params: { path: { id } }, body: { version } }));

export const deleteFile = (id: string) => data(api.DELETE('/api/v1/files/{id}', { params: { path: { id } } }));
