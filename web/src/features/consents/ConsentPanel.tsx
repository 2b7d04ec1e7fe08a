import { Alert, Badge, Button, Group, Paper, Stack, Table, Text, Title } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Loading } from '../../app/RouteStates';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { notify } from '../../components/notify';
import { usePermissions } from '../../components/permissions';
import { useUserNames } from '../../components/Pickers';
import { useFormat } from '../../i18n/format';
import {
  consentKeys,
  consentProblem,
  consentsQuery,
  recordConsent,
  type ConsentItem,
  type ConsentPerson,
  type PersonConsents,
} from './queries';
import { RecordConsentDialog } from './RecordConsentDialog';

/**
 * The consent panel of a contact or lead: the state per purpose, the objection
 * to direct marketing, and the whole ledger with its proof. Who may change the
 * person records a grant, a withdrawal (by phone or letter) or an objection;
 * nothing here changes or removes an event.
 */
export function ConsentPanel({ person }: { person: ConsentPerson }) {
  const { t } = useTranslation();
  const format = useFormat();
  const headingId = useId();
  const queryClient = useQueryClient();
  const { can } = usePermissions();
  const consents = useQuery(consentsQuery(person));
  const [dialog, setDialog] = useState<'grant' | 'withdraw' | null>(null);
  const [objecting, objection] = useDisclosure(false);

  const object = useMutation({
    mutationFn: () => recordConsent(person, { action: 'object' }),
    onSuccess: async () => {
      notify(t('consents.objectionRecorded'));
      objection.close();
      await queryClient.invalidateQueries({ queryKey: consentKeys.of(person) });
    },
    onError: (error) => {
      objection.close();
      notify(consentProblem(error, t), 'red');
    },
  });

  const mayRecord = can(person.kind, 'edit');
  const value = consents.data;
  return (
    <Paper withBorder p="md" component="section" aria-labelledby={headingId} data-testid="consent-panel">
      <Stack>
        <Group justify="space-between" wrap="wrap">
          <Title order={2} size="h4" id={headingId}>
            {t('consents.title')}
          </Title>
          {value?.objectedToMarketingAt && (
            <Badge color="red.9" variant="outline" data-testid="objection-badge">
              {t('consents.objectedBadge', { date: format.date(value.objectedToMarketingAt) })}
            </Badge>
          )}
        </Group>
        {consents.isPending && <Loading />}
        {consents.isError && (
          <Alert color="red" role="alert">
            {consentProblem(consents.error, t)}
          </Alert>
        )}
        {value && (
          <>
            {mayRecord && (
              <Group gap="xs">
                <Button variant="light" onClick={() => setDialog('grant')} disabled={value.purposes.length === 0}>
                  {t('consents.recordGrant')}
                </Button>
                <Button variant="light" onClick={() => setDialog('withdraw')} disabled={value.purposes.length === 0}>
                  {t('consents.recordWithdrawal')}
                </Button>
                {!value.objectedToMarketingAt && (
                  <Button variant="outline" color="red.9" onClick={objection.open}>
                    {t('consents.recordObjection')}
                  </Button>
                )}
              </Group>
            )}
            <States consents={value} />
            <History items={value.items} person={person} />
          </>
        )}
      </Stack>
      {value && dialog && (
        <RecordConsentDialog
          person={person}
          action={dialog}
          purposes={value.purposes}
          current={value.current}
          onClose={() => setDialog(null)}
        />
      )}
      <ConfirmDialog
        opened={objecting}
        title={t('consents.objectionTitle')}
        message={t('consents.objectionMessage')}
        confirmLabel={t('consents.recordObjection')}
        danger
        busy={object.isPending}
        onConfirm={() => object.mutate()}
        onClose={objection.close}
      />
    </Paper>
  );
}

/** One row per purpose: the active ones, and any retired one the person has a state for. */
function States({ consents }: { consents: PersonConsents }) {
  const { t } = useTranslation();
  const format = useFormat();
  const stateOf = new Map(consents.current.map((state) => [state.purposeId, state]));
  const rows = consents.purposes.filter((purpose) => purpose.status === 'active' || stateOf.has(purpose.id));
  if (rows.length === 0) return <Text c="dimmed">{t('consents.noPurposes')}</Text>;
  return (
    <Table.ScrollContainer minWidth={0}>
      <Table striped data-testid="consent-states">
        <Table.Caption>{t('consents.statesCaption')}</Table.Caption>
        <Table.Thead>
          <Table.Tr>
            <Table.Th scope="col">{t('consents.purpose')}</Table.Th>
            <Table.Th scope="col">{t('consents.state')}</Table.Th>
            <Table.Th scope="col">{t('consents.since')}</Table.Th>
            <Table.Th scope="col">{t('consents.source')}</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {rows.map((purpose) => {
            const state = stateOf.get(purpose.id);
            return (
              <Table.Tr key={purpose.id} data-purpose={purpose.name}>
                <Table.Th scope="row" fw="normal">
                  {purpose.name}
                  {purpose.marketing && (
                    <Text span size="xs" c="dimmed">
                      {' '}
                      {t('consents.marketing')}
                    </Text>
                  )}
                  {purpose.status === 'retired' && (
                    <Text span size="xs" c="dimmed">
                      {' '}
                      {t('consents.retired')}
                    </Text>
                  )}
                </Table.Th>
                <Table.Td>
                  {state ? (
                    <Badge color={state.status === 'granted' ? 'teal.9' : 'gray.8'} data-state={state.status}>
                      {t(`consents.states.${state.status}`)}
                    </Badge>
                  ) : (
                    <Text span size="sm" c="dimmed" data-state="never">
                      {t('consents.states.never')}
                    </Text>
                  )}
                </Table.Td>
                <Table.Td>{state ? <time dateTime={state.at}>{format.dateTime(state.at)}</time> : '—'}</Table.Td>
                <Table.Td>{state ? t(`consents.sources.${state.source}`) : '—'}</Table.Td>
              </Table.Tr>
            );
          })}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

/** The ledger, newest first, each event with its proof. */
function History({ items, person }: { items: ConsentItem[]; person: ConsentPerson }) {
  const { t } = useTranslation();
  const format = useFormat();
  const userName = useUserNames();
  return (
    <Stack gap="xs">
      <Title order={3} size="h5">
        {t('consents.history')}
      </Title>
      {items.length === 0 ? (
        <Text c="dimmed">{t('consents.noHistory')}</Text>
      ) : (
        <Table.ScrollContainer minWidth={760}>
          <Table striped data-testid="consent-history">
            <Table.Caption>{t('consents.historyCaption')}</Table.Caption>
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">{t('consents.when')}</Table.Th>
                <Table.Th scope="col">{t('consents.purpose')}</Table.Th>
                <Table.Th scope="col">{t('consents.action')}</Table.Th>
                <Table.Th scope="col">{t('consents.source')}</Table.Th>
                <Table.Th scope="col">{t('consents.notice')}</Table.Th>
                <Table.Th scope="col">{t('consents.ip')}</Table.Th>
                <Table.Th scope="col">{t('consents.userAgent')}</Table.Th>
                <Table.Th scope="col">{t('consents.recordedBy')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((item) => (
                <Table.Tr key={item.id}>
                  <Table.Td>
                    <time dateTime={item.at}>{format.dateTime(item.at)}</time>
                  </Table.Td>
                  <Table.Td>{item.purposeName ?? (item.action === 'object' ? t('consents.allMarketing') : '—')}</Table.Td>
                  <Table.Td>{t(`consents.actions.${item.action}`)}</Table.Td>
                  <Table.Td>{t(`consents.sources.${item.source}`)}</Table.Td>
                  <Table.Td>
                    {item.noticeHash ? (
                      <Text span size="sm" ff="monospace" title={item.noticeHash}>
                        {item.noticeHash.slice(0, 12)}…
                        {item.noticeVersion !== null && (
                          <Text span size="xs" c="dimmed" ff="text">
                            {' '}
                            {t('consents.noticeVersion', {
                              version: item.noticeVersion,
                              language: item.noticeLanguage?.toUpperCase() ?? '',
                            })}
                          </Text>
                        )}
                      </Text>
                    ) : (
                      '—'
                    )}
                  </Table.Td>
                  <Table.Td>{item.ip ?? '—'}</Table.Td>
                  <Table.Td>
                    {item.userAgent ? (
                      <Text span size="sm" title={item.userAgent} lineClamp={2} style={{ maxWidth: '16rem' }}>
                        {item.userAgent}
                      </Text>
                    ) : (
                      '—'
                    )}
                  </Table.Td>
                  <Table.Td>
                    {item.recordedBy ? userName(item.recordedBy) : t('consents.thePerson')}
                    {/* Events recorded before a lead was converted keep naming the lead. */}
                    {item.recordedOn.kind !== person.kind && (
                      <Text size="xs" c="dimmed">
                        {t(`consents.recordedOn.${item.recordedOn.kind}`)}
                      </Text>
                    )}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Stack>
  );
}
