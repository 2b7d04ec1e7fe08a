import { Badge, Group, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { useFormat } from '../../i18n/format';
import type { PrivacyRequest } from './queries';

/** The due date with how much time is left, and an Overdue badge once it has passed. */
export function DueDate({ request }: { request: Pick<PrivacyRequest, 'dueAt' | 'overdue' | 'daysLeft'> }) {
  const { t } = useTranslation();
  const format = useFormat();
  const left = request.daysLeft;
  return (
    <Group gap="xs" wrap="nowrap">
      <time dateTime={request.dueAt}>{format.date(request.dueAt)}</time>
      {request.overdue ? (
        <Badge color="red.9">{t('privacyRequests.overdue')}</Badge>
      ) : left === null ? null : (
        <Text size="sm" c={left <= 7 ? 'red.9' : 'dimmed'} fw={left <= 7 ? 600 : undefined}>
          {left === 0 ? t('privacyRequests.dueToday') : t('privacyRequests.daysLeft', { count: left })}
        </Text>
      )}
    </Group>
  );
}
