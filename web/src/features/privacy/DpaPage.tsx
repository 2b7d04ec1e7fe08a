import { Alert, Badge, Button, Code, Group, Paper, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, data } from '../../api/client';
import { appRoute } from '../../app/app-route';
import { Loading, LoadError } from '../../app/RouteStates';
import { notify } from '../../components/notify';
import { problemDetail } from '../../components/problems';
import { useFormat } from '../../i18n/format';
import { dpaQuery, privacyKeys, type Dpa } from './queries';

function AcceptForm({ dpa }: { dpa: Dpa }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const [message, setMessage] = useState<string | null>(null);
  const form = useForm({
    mode: 'uncontrolled',
    initialValues: { name: '', title: '' },
    validate: {
      name: (value) => (value.trim() ? null : t('privacy.form.required')),
      title: (value) => (value.trim() ? null : t('privacy.form.required')),
    },
  });
  const accept = form.onSubmit(async (values) => {
    setMessage(null);
    try {
      await data(
        api.POST('/api/v1/privacy/dpa/accept', {
          body: { version: dpa.current.version, name: values.name.trim(), title: values.title.trim() },
        }),
      );
      await queryClient.invalidateQueries({ queryKey: privacyKeys.dpa });
      notify(t('privacy.dpa.accepted', { version: dpa.current.version }));
    } catch (caught) {
      setMessage(t('app.error', { detail: problemDetail(caught) }));
    }
  });
  return (
    <form onSubmit={accept} noValidate aria-labelledby="dpa-accept-heading">
      <Stack gap="sm" maw={560}>
        <Title order={2} id="dpa-accept-heading" size="h3">
          {t('privacy.dpa.acceptTitle', { version: dpa.current.version })}
        </Title>
        <Text size="sm">{t('privacy.dpa.acceptIntro')}</Text>
        <TextInput
          label={t('privacy.dpa.name')}
          required
          maxLength={200}
          autoComplete="name"
          key={form.key('name')}
          {...form.getInputProps('name')}
        />
        <TextInput
          label={t('privacy.dpa.signerTitle')}
          description={t('privacy.dpa.signerTitleHint')}
          required
          maxLength={200}
          autoComplete="organization-title"
          key={form.key('title')}
          {...form.getInputProps('title')}
        />
        {message && (
          <Alert color="red" role="alert">
            {message}
          </Alert>
        )}
        <Group>
          <Button type="submit" loading={form.submitting}>
            {t('privacy.dpa.accept')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

/** The data processing agreement: the current text, the sub-processors, acceptance (admins) and its history. */
export default function DpaPage() {
  const { t } = useTranslation();
  const format = useFormat();
  const { session } = appRoute.useRouteContext();
  const dpa = useQuery(dpaQuery);

  if (dpa.isPending) return <Loading />;
  if (dpa.isError) return <LoadError error={dpa.error} />;
  const d = dpa.data;
  return (
    <Stack>
      <Group gap="sm">
        <Title order={1}>{t('privacy.dpa.title')}</Title>
        {d.pending ? (
          <Badge color="red.9">{t('privacy.dpa.pendingBadge')}</Badge>
        ) : (
          <Badge color="teal.9">{t('privacy.dpa.acceptedBadge')}</Badge>
        )}
      </Group>
      <Text size="sm">
        {t('privacy.dpa.versionLine', { version: d.current.version, date: format.date(d.current.publishedAt) })} · SHA-256{' '}
        <Code style={{ wordBreak: 'break-all' }}>{d.current.sha256}</Code>
      </Text>
      {d.pending && !session.user.isAdmin && <Alert color="blue">{t('privacy.dpa.adminsAccept')}</Alert>}
      <Paper withBorder p="md" component="article" aria-label={t('privacy.dpa.textLabel')} lang={d.current.language}>
        <Text style={{ whiteSpace: 'pre-wrap' }}>{d.current.text}</Text>
      </Paper>

      <Title order={2} size="h3">
        {t('privacy.dpa.subProcessors')}
      </Title>
      {d.subProcessors.length === 0 ? (
        <Text>{t('privacy.dpa.noSubProcessors')}</Text>
      ) : (
        <Table.ScrollContainer minWidth={520}>
          <Table>
            <Table.Caption>{t('privacy.dpa.subProcessorsCaption')}</Table.Caption>
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">{t('privacy.dpa.spName')}</Table.Th>
                <Table.Th scope="col">{t('privacy.dpa.spService')}</Table.Th>
                <Table.Th scope="col">{t('privacy.dpa.spLocation')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {d.subProcessors.map((sp) => (
                <Table.Tr key={sp.name}>
                  <Table.Td>{sp.name}</Table.Td>
                  <Table.Td>{sp.service}</Table.Td>
                  <Table.Td>{sp.location}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}

      {d.pending && session.user.isAdmin && <AcceptForm dpa={d} />}

      <Title order={2} size="h3">
        {t('privacy.dpa.history')}
      </Title>
      {d.acceptances.length === 0 ? (
        <Text>{t('privacy.dpa.noAcceptances')}</Text>
      ) : (
        <Table.ScrollContainer minWidth={640}>
          <Table>
            <Table.Caption>{t('privacy.dpa.historyCaption')}</Table.Caption>
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">{t('privacy.dpa.version')}</Table.Th>
                <Table.Th scope="col">{t('privacy.dpa.acceptedBy')}</Table.Th>
                <Table.Th scope="col">{t('privacy.dpa.acceptedAt')}</Table.Th>
                <Table.Th scope="col">{t('privacy.dpa.ip')}</Table.Th>
                <Table.Th scope="col">SHA-256</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {d.acceptances.map((a) => (
                <Table.Tr key={a.id}>
                  <Table.Td>
                    {a.version} ({t(`languages.${a.language}`)})
                  </Table.Td>
                  <Table.Td>
                    {a.name}, {a.title}
                  </Table.Td>
                  <Table.Td>{format.dateTime(a.acceptedAt)}</Table.Td>
                  <Table.Td>{a.ip ?? '—'}</Table.Td>
                  <Table.Td>
                    <Code style={{ wordBreak: 'break-all' }}>{a.textSha256}</Code>
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
