import { Text, Timeline } from '@mantine/core';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { useFormat } from '../i18n/format';
import './i18n';

export interface TimelineEntry {
  id: string;
  at: string;
  title: ReactNode;
  detail?: ReactNode;
}

/** Things that happened to a record, newest first. */
export function RecordTimeline({ entries }: { entries: TimelineEntry[] }) {
  const { t } = useTranslation();
  const format = useFormat();
  if (entries.length === 0) return <Text c="dimmed">{t('components.timeline.empty')}</Text>;
  const sorted = [...entries].sort((a, b) => b.at.localeCompare(a.at));
  return (
    <Timeline bulletSize={14} lineWidth={2} active={-1}>
      {sorted.map((entry) => (
        <Timeline.Item key={entry.id} title={entry.title}>
          {entry.detail && (
            <Text size="sm" c="dimmed">
              {entry.detail}
            </Text>
          )}
          <Text size="xs" c="dimmed" mt={2}>
            <time dateTime={entry.at}>{format.dateTime(entry.at)}</time>
          </Text>
        </Timeline.Item>
      ))}
    </Timeline>
  );
}
