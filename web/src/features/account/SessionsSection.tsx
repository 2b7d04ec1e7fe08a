import { Badge, Button, Group, Paper, Stack, Table, Text, Title, VisuallyHidden } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useNavigate } from '@tanstack/react-router';
import { useTranslation } from 'react-i18next';
import { api, data } from '../../api/client';
import { signOut } from '../../app/session';
import { useFormat } from '../../i18n/format';
import { errorMessage } from './errors';

const sessionsQuery = { queryKey: ['me', 'sessions'], queryFn: () => data(api.GET('/api/v1/me/sessions')) };

/** My sessions: where I am signed in, ending one, or all of them ("sign out everywhere"). */
export function SessionsSection() {
  const { t } = useTranslation();
  const format = useFormat();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const sessions = useQuery(sessionsQuery);
  const end = useMutation({
    mutationFn: (id: string) => api.DELETE('/api/v1/me/sessions/{id}', { params: { path: { id } } }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: sessionsQuery.queryKey }),
  });
  const endAll = useMutation({
    mutationFn: () => api.DELETE('/api/v1/me/sessions'),
    onSuccess: async () => {
      // This session ended too: clear what the app holds and go to sign-in.
      await signOut(queryClient).catch(() => undefined);
      await navigate({ to: '/sign-in', search: { redirect: undefined } });
    },
  });
  const failed = end.error ?? endAll.error ?? sessions.error;

  return (
    <Paper withBorder p="md" component="section" aria-labelledby="account-sessions">
      <Stack>
        <Group justify="space-between">
          <Title order={2} size="h3" id="account-sessions">
            {t('account.sessionsTitle')}
          </Title>
          <Button color="red" variant="outline" onClick={() => endAll.mutate()} loading={endAll.isPending}>
            {t('account.signOutEverywhere')}
          </Button>
        </Group>
        {failed && (
          <Text c="red" role="alert">
            {errorMessage(failed, t)}
          </Text>
        )}
        <Table.ScrollContainer minWidth={560}>
          <Table>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('account.sessionDevice')}</Table.Th>
                <Table.Th>{t('account.sessionIp')}</Table.Th>
                <Table.Th>{t('account.sessionStarted')}</Table.Th>
                <Table.Th>{t('account.sessionLastSeen')}</Table.Th>
                <Table.Th>
                  <VisuallyHidden>{t('account.actions')}</VisuallyHidden>
                </Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {(sessions.data?.items ?? []).map((session) => (
                <Table.Tr key={session.id} data-testid="session-row">
                  <Table.Td>
                    <Text size="sm" lineClamp={2}>
                      {session.userAgent ?? t('account.unknown')}
                    </Text>
                    {session.current && <Badge size="sm">{t('account.thisSession')}</Badge>}
                  </Table.Td>
                  <Table.Td>{session.ip ?? t('account.unknown')}</Table.Td>
                  <Table.Td>{format.dateTime(session.createdAt)}</Table.Td>
                  <Table.Td>{format.dateTime(session.lastSeenAt)}</Table.Td>
                  <Table.Td>
                    {!session.current && (
                      <Button
                        size="xs"
                        variant="default"
                        onClick={() => end.mutate(session.id)}
                        loading={end.isPending && end.variables === session.id}
                        aria-label={t('account.endSessionOf', { started: format.dateTime(session.createdAt) })}
                      >
                        {t('account.endSession')}
                      </Button>
                    )}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      </Stack>
    </Paper>
  );
}
