import { Badge, Group, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { api, data } from '../api/client';
import type { paths } from '../api/schema';
import { useFormat } from '../i18n/format';
import './i18n';
import { useUserNames } from './Pickers';
import { RecordList } from './RecordList';

type Entry = paths['/api/v1/contacts/{id}/access-log']['get']['responses'][200]['content']['application/json']['items'][number];

const VERBS = ['read', 'listed', 'searched', 'created', 'updated', 'deleted', 'restored', 'purged', 'exported', 'imported', 'converted'];

/** "Who accessed this person": the audit entries about a contact or a lead, newest first. */
export function AccessLog({ module, id }: { module: 'contacts' | 'leads'; id: string }) {
  const { t } = useTranslation();
  const format = useFormat();
  const userName = useUserNames();
  return (
    <RecordList<Entry>
      queryKey={[module, id, 'access-log']}
      pageSize={25}
      caption={t('components.accessLog.caption')}
      empty={t('components.accessLog.empty')}
      rowKey={(entry) => entry.id}
      fetchPage={(cursor, limit) =>
        module === 'contacts'
          ? data(api.GET('/api/v1/contacts/{id}/access-log', { params: { path: { id }, query: { limit, ...(cursor ? { cursor } : {}) } } }))
          : data(api.GET('/api/v1/leads/{id}/access-log', { params: { path: { id }, query: { limit, ...(cursor ? { cursor } : {}) } } }))
      }
      columns={[
        {
          key: 'at',
          header: t('components.accessLog.when'),
          cell: (entry) => <time dateTime={entry.at}>{format.dateTime(entry.at)}</time>,
        },
        {
          key: 'who',
          header: t('components.accessLog.who'),
          cell: (entry) =>
            entry.actor.userId
              ? userName(entry.actor.userId)
              : (entry.actor.label ?? t(`components.accessLog.actors.${entry.actor.kind}`, { defaultValue: entry.actor.kind })),
        },
        {
          key: 'action',
          header: t('components.accessLog.action'),
          cell: (entry) => {
            const verb = entry.action.split('.').pop() ?? entry.action;
            return VERBS.includes(verb) ? t(`components.accessLog.verbs.${verb}`) : entry.action;
          },
        },
        {
          key: 'fields',
          header: t('components.accessLog.fields'),
          visibleFrom: 'sm',
          cell: (entry) =>
            entry.fields.length > 0 ? (
              <Group gap={4}>
                {entry.fields.map((field) => (
                  <Badge key={field} variant="light" size="sm">
                    {field}
                  </Badge>
                ))}
              </Group>
            ) : (
              <Text size="sm" c="dimmed">
                —
              </Text>
            ),
        },
      ]}
    />
  );
}
