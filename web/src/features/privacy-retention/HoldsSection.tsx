import { Alert, Badge, Button, Group, Modal, SegmentedControl, Select, Stack, Table, Text, Textarea, Title } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, data } from '../../api/client';
import { Loading, LoadError } from '../../app/RouteStates';
import { AnchorLink } from '../../components/links';
import { notify } from '../../components/notify';
import { usePermissions } from '../../components/permissions';
import { useUserNames } from '../../components/Pickers';
import { problemDetail } from '../../components/problems';
import { useFormat } from '../../i18n/format';
import { holdsQuery, placeHold, releaseHold, retentionKeys, type LegalHold } from './queries';

type Kind = 'contact' | 'lead' | 'deal';

/** Who a hold is on: a link to the contact or lead (their page shows the name). */
function HoldPerson({ hold }: { hold: LegalHold }) {
  const { t } = useTranslation();
  if (hold.personTable === 'deals')
    return (
      <AnchorLink to="/deals/$dealId" params={{ dealId: hold.personId }}>
        {t('privacyRetention.holds.deal')}
      </AnchorLink>
    );
  return hold.personTable === 'contacts' ? (
    <AnchorLink to="/contacts/$contactId" params={{ contactId: hold.personId }}>
      {t('privacyRetention.holds.contact')}
    </AnchorLink>
  ) : (
    <AnchorLink to="/leads/$leadId" params={{ leadId: hold.personId }}>
      {t('privacyRetention.holds.lead')}
    </AnchorLink>
  );
}

/** Legal holds: the list (active first), placing one on a contact or lead, and releasing it with a reason. */
export function HoldsSection() {
  const { t } = useTranslation();
  const format = useFormat();
  const userName = useUserNames();
  const { can } = usePermissions();
  const queryClient = useQueryClient();
  const holds = useQuery(holdsQuery);
  const [kind, setKind] = useState<Kind>('contact');
  const [search, setSearch] = useState('');
  const [query] = useDebouncedValue(search.trim(), 250);
  const [personId, setPersonId] = useState<string | null>(null);
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const [releasing, setReleasing] = useState<LegalHold | null>(null);
  const [releaseReason, setReleaseReason] = useState('');
  const editable = can('privacy', 'edit');
  const people = useQuery({
    queryKey: ['privacy', 'retention', 'picker', kind, query],
    queryFn: async (): Promise<Array<{ id: string; label: string }>> => {
      const named = (p: { id: string; firstName?: string; lastName?: string }) => ({
        id: p.id,
        label: [p.firstName, p.lastName].filter(Boolean).join(' ') || p.id,
      });
      if (kind === 'deal')
        return (await data(api.GET('/api/v1/deals', { params: { query: { q: query, limit: 10 } } }))).items.map((d) => ({
          id: d.id,
          label: d.title,
        }));
      return kind === 'lead'
        ? (await data(api.GET('/api/v1/leads', { params: { query: { q: query, limit: 10 } } }))).items.map(named)
        : (await data(api.GET('/api/v1/contacts', { params: { query: { q: query, limit: 10 } } }))).items.map(named);
    },
    enabled: editable && query.length > 0,
  });

  const act = async (work: () => Promise<unknown>, done: string) => {
    setBusy(true);
    setMessage(null);
    try {
      await work();
      await queryClient.invalidateQueries({ queryKey: retentionKeys.holds });
      notify(done);
      return true;
    } catch (error) {
      setMessage(problemDetail(error));
      return false;
    } finally {
      setBusy(false);
    }
  };

  return (
    <Stack component="section" aria-labelledby="retention-holds">
      <Title order={2} id="retention-holds">
        {t('privacyRetention.holds.title')}
      </Title>
      <Text size="sm">{t('privacyRetention.holds.help')}</Text>
      {message && (
        <Alert color="red" role="alert">
          {message}
        </Alert>
      )}
      {holds.isPending ? (
        <Loading />
      ) : holds.isError ? (
        <LoadError error={holds.error} />
      ) : holds.data.length === 0 ? (
        <Text>{t('privacyRetention.holds.none')}</Text>
      ) : (
        <Table.ScrollContainer minWidth={720}>
          <Table striped>
            <Table.Caption>{t('privacyRetention.holds.caption')}</Table.Caption>
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">{t('privacyRetention.holds.person')}</Table.Th>
                <Table.Th scope="col">{t('privacyRetention.holds.reason')}</Table.Th>
                <Table.Th scope="col">{t('privacyRetention.holds.placed')}</Table.Th>
                <Table.Th scope="col">{t('privacyRetention.holds.status')}</Table.Th>
                {editable && <Table.Th scope="col">{t('privacyRetention.actionsColumn')}</Table.Th>}
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {holds.data.map((hold) => (
                <Table.Tr key={hold.id}>
                  <Table.Td>
                    <HoldPerson hold={hold} />
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm" lineClamp={3}>
                      {hold.reason ?? t('privacyRetention.holds.unreadable')}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm">{format.dateTime(hold.placedAt)}</Text>
                    <Text size="xs" c="dimmed">
                      {userName(hold.placedBy)}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    {hold.active ? (
                      <Badge color="indigo.8">{t('privacyRetention.holds.active')}</Badge>
                    ) : (
                      <Stack gap={2}>
                        <Badge color="gray.7">{t('privacyRetention.holds.released')}</Badge>
                        {hold.releasedAt && <Text size="xs">{format.dateTime(hold.releasedAt)}</Text>}
                        {hold.releaseReason && <Text size="xs">{hold.releaseReason}</Text>}
                      </Stack>
                    )}
                  </Table.Td>
                  {editable && (
                    <Table.Td>
                      {hold.active && (
                        <Button size="xs" variant="default" onClick={() => setReleasing(hold)}>
                          {t('privacyRetention.holds.release')}
                        </Button>
                      )}
                    </Table.Td>
                  )}
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      {editable && (
        <form
          onSubmit={(event) => {
            event.preventDefault();
            if (!personId || reason.trim() === '') {
              setMessage(t('privacyRetention.holds.incomplete'));
              return;
            }
            void act(
              () =>
                placeHold({
                  ...(kind === 'lead' ? { leadId: personId } : kind === 'deal' ? { dealId: personId } : { contactId: personId }),
                  reason: reason.trim(),
                }),
              t('privacyRetention.holds.placedNotice'),
            ).then((ok) => {
              if (ok) {
                setPersonId(null);
                setSearch('');
                setReason('');
              }
            });
          }}
        >
          <Stack gap="xs" maw={640}>
            <Title order={3}>{t('privacyRetention.holds.newTitle')}</Title>
            <Text size="sm" id="hold-kind-label">
              {t('privacyRetention.holds.kind')}
            </Text>
            <SegmentedControl
              aria-labelledby="hold-kind-label"
              value={kind}
              onChange={(value) => {
                setKind(value as Kind);
                setPersonId(null);
                setSearch('');
              }}
              data={[
                { value: 'contact', label: t('privacyRetention.holds.contact') },
                { value: 'lead', label: t('privacyRetention.holds.lead') },
                { value: 'deal', label: t('privacyRetention.holds.deal') },
              ]}
            />
            <Select
              label={t(
                kind === 'lead'
                  ? 'privacyRetention.holds.leadSearch'
                  : kind === 'deal'
                    ? 'privacyRetention.holds.dealSearch'
                    : 'privacyRetention.holds.contactSearch',
              )}
              placeholder={t('privacyRetention.holds.searchPlaceholder')}
              searchable
              searchValue={search}
              onSearchChange={setSearch}
              filter={({ options }) => options}
              data={(people.data ?? []).map((option) => ({ value: option.id, label: option.label }))}
              value={personId}
              onChange={setPersonId}
              nothingFoundMessage={query ? t('privacyRetention.holds.nothingFound') : undefined}
              required
            />
            <Textarea
              label={t('privacyRetention.holds.reason')}
              description={t('privacyRetention.holds.reasonHelp')}
              value={reason}
              onChange={(event) => setReason(event.currentTarget.value)}
              maxLength={2000}
              autosize
              minRows={2}
              required
            />
            <Group>
              <Button type="submit" loading={busy}>
                {t('privacyRetention.holds.place')}
              </Button>
            </Group>
          </Stack>
        </form>
      )}
      <Modal
        opened={releasing !== null}
        onClose={() => setReleasing(null)}
        title={t('privacyRetention.holds.releaseTitle')}
        centered
        closeButtonProps={{ 'aria-label': t('privacyRetention.close') }}
      >
        <form
          onSubmit={(event) => {
            event.preventDefault();
            const hold = releasing;
            if (!hold || releaseReason.trim() === '') return;
            void act(() => releaseHold(hold.id, releaseReason.trim()), t('privacyRetention.holds.releasedNotice')).then(() => {
              setReleasing(null);
              setReleaseReason('');
            });
          }}
        >
          <Stack>
            <Text size="sm">{t('privacyRetention.holds.releaseHelp')}</Text>
            <Textarea
              label={t('privacyRetention.holds.releaseReason')}
              value={releaseReason}
              onChange={(event) => setReleaseReason(event.currentTarget.value)}
              maxLength={2000}
              required
              data-autofocus
            />
            <Group justify="flex-end">
              <Button variant="default" onClick={() => setReleasing(null)}>
                {t('privacyRetention.cancel')}
              </Button>
              <Button type="submit" loading={busy}>
                {t('privacyRetention.holds.release')}
              </Button>
            </Group>
          </Stack>
        </form>
      </Modal>
    </Stack>
  );
}
