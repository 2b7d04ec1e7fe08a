import { Alert, Stack, Switch, Table, Text, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api, data } from '../../api/client';
import { Loading } from '../../app/RouteStates';
import { useFormat } from '../../i18n/format';
import { closable, problemMessage } from './problems';
import { securityEventsQuery, securitySettingsQuery, usersQuery } from './queries';

/** The tenant's two-factor policy and its recent security events. */
export function SecurityPanel() {
  const { t } = useTranslation();
  const format = useFormat();
  const queryClient = useQueryClient();
  const settings = useQuery(securitySettingsQuery);
  const events = useQuery(securityEventsQuery);
  const users = useQuery(usersQuery);
  const save = useMutation({
    mutationFn: async (requireMfa: boolean) => data(api.PUT('/api/v1/settings/security', { body: { requireMfa } })),
    onSuccess: (saved) => {
      queryClient.setQueryData(securitySettingsQuery.queryKey, saved);
      notifications.show({ ...closable(t), message: t(saved.requireMfa ? 'admin.security.requiredNow' : 'admin.security.optionalNow') });
    },
    onError: (error) => notifications.show({ ...closable(t), color: 'red', message: problemMessage(error, t) }),
  });
  const userName = (id: string | null) => (id ? (users.data?.find((u) => u.id === id)?.name ?? '—') : '—');

  return (
    <Stack gap="xl">
      <Stack>
        <Title order={2}>{t('admin.security.policyTitle')}</Title>
        {settings.isPending ? (
          <Loading />
        ) : settings.isError ? (
          <Alert color="red">{problemMessage(settings.error, t)}</Alert>
        ) : (
          <Switch
            label={t('admin.security.requireMfa')}
            description={t('admin.security.requireMfaHint')}
            checked={save.isPending ? save.variables : settings.data.requireMfa}
            disabled={save.isPending}
            onChange={(event) => save.mutate(event.currentTarget.checked)}
          />
        )}
      </Stack>
      <Stack>
        <Title order={2}>{t('admin.security.eventsTitle')}</Title>
        {events.isPending ? (
          <Loading />
        ) : events.isError ? (
          <Alert color="red">{problemMessage(events.error, t)}</Alert>
        ) : events.data.length === 0 ? (
          <Text c="dimmed">{t('admin.security.noEvents')}</Text>
        ) : (
          <Table.ScrollContainer minWidth={600}>
            <Table striped>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t('admin.security.at')}</Table.Th>
                  <Table.Th>{t('admin.security.type')}</Table.Th>
                  <Table.Th>{t('admin.security.user')}</Table.Th>
                  <Table.Th>{t('admin.security.by')}</Table.Th>
                  <Table.Th>{t('admin.security.ip')}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {events.data.map((event) => (
                  <Table.Tr key={event.id}>
                    <Table.Td>{format.dateTime(event.at)}</Table.Td>
                    <Table.Td>
                      <code>{event.type}</code>
                    </Table.Td>
                    <Table.Td>{userName(event.userId)}</Table.Td>
                    <Table.Td>{userName(event.actorUserId)}</Table.Td>
                    <Table.Td>{event.ip ?? '—'}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </Stack>
    </Stack>
  );
}
