import { Badge, Group, Text } from '@mantine/core';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useFormat } from '../../i18n/format';

const HOUR = 3_600_000;

/** The time left to a deadline in days, hours, minutes and seconds. */
export function timeLeft(ms: number): { days: number; hours: number; minutes: number; seconds: number } {
  const total = Math.max(0, Math.floor(ms / 1000));
  return {
    days: Math.floor(total / 86_400),
    hours: Math.floor((total % 86_400) / 3600),
    minutes: Math.floor((total % 3600) / 60),
    seconds: total % 60,
  };
}

/** A clock that ticks every `everyMs` (a second by default). */
export function useNow(everyMs = 1000): Date {
  const [now, setNow] = useState(() => new Date());
  useEffect(() => {
    const timer = setInterval(() => setNow(new Date()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}

/**
 * The 72-hour clock of a breach, counting down live: the time left to notify
 * the authority, "Overdue" once past, or when and whether it was notified.
 */
export function Countdown({
  breach,
}: {
  breach: { notifyAuthorityBy: string; authorityNotifiedAt: string | null; authorityNotificationRequired: boolean; notifiedLate: boolean };
}) {
  const { t } = useTranslation();
  const format = useFormat();
  const now = useNow();
  const deadline = new Date(breach.notifyAuthorityBy);
  if (breach.authorityNotifiedAt)
    return (
      <Group gap="xs" wrap="nowrap">
        <Badge color={breach.notifiedLate ? 'red.9' : 'teal.9'}>
          {t(breach.notifiedLate ? 'privacyBreaches.notifiedLate' : 'privacyBreaches.notified')}
        </Badge>
        <Text size="sm">
          <time dateTime={breach.authorityNotifiedAt}>{format.dateTime(breach.authorityNotifiedAt)}</time>
        </Text>
      </Group>
    );
  if (!breach.authorityNotificationRequired) return <Badge color="gray.7">{t('privacyBreaches.notRequired')}</Badge>;
  const ms = deadline.getTime() - now.getTime();
  if (ms <= 0)
    return (
      <Group gap="xs" wrap="nowrap">
        <Badge color="red.9">{t('privacyBreaches.overdue')}</Badge>
        <Text size="sm">
          {t('privacyBreaches.deadlineWas')} <time dateTime={breach.notifyAuthorityBy}>{format.dateTime(deadline)}</time>
        </Text>
      </Group>
    );
  const left = timeLeft(ms);
  return (
    <Group gap="xs" wrap="nowrap">
      <Text size="sm" fw={600} c={ms < 24 * HOUR ? 'red.9' : undefined} data-testid="breach-countdown">
        {t('privacyBreaches.timeLeft', left)}
      </Text>
      <Text size="sm" c="dimmed">
        (<time dateTime={breach.notifyAuthorityBy}>{format.dateTime(deadline)}</time>)
      </Text>
    </Group>
  );
}
