import { Alert, Button, Group, Paper, Select, SimpleGrid, Stack, Text, TextInput, Textarea, Title } from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, data } from '../../api/client';
import { Loading, LoadError } from '../../app/RouteStates';
import { notify } from '../../components/notify';
import { usePermissions } from '../../components/permissions';
import { problemDetail } from '../../components/problems';

const BASES = ['consent', 'contract', 'legal_obligation', 'vital_interests', 'public_task', 'legitimate_interests'] as const;
type Basis = (typeof BASES)[number];

const countsQuery = {
  queryKey: ['privacy', 'suppressions'],
  queryFn: () => data(api.GET('/api/v1/privacy/suppressions')),
};

/**
 * How many e-mail addresses and phone numbers of erased people are suppressed —
 * never which — and re-admitting one, which needs a new lawful basis.
 */
export default function SuppressionsPage() {
  const { t } = useTranslation();
  const { can } = usePermissions();
  const queryClient = useQueryClient();
  const counts = useQuery(countsQuery);
  const [email, setEmail] = useState('');
  const [phone, setPhone] = useState('');
  const [basis, setBasis] = useState<Basis | null>(null);
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ kind: 'ok' | 'none' | 'error'; text: string } | null>(null);

  if (counts.isPending) return <Loading />;
  if (counts.isError) return <LoadError error={counts.error} />;

  const readmit = async () => {
    setBusy(true);
    setResult(null);
    try {
      const { removed } = await data(
        api.POST('/api/v1/privacy/suppressions/readmit', {
          body: {
            ...(email.trim() ? { email: email.trim() } : {}),
            ...(phone.trim() ? { phone: phone.trim() } : {}),
            lawfulBasis: basis!,
            reason: reason.trim(),
          },
        }),
      );
      await queryClient.invalidateQueries({ queryKey: countsQuery.queryKey });
      setResult(
        removed > 0
          ? { kind: 'ok', text: t('privacySuppressions.readmitted', { count: removed }) }
          : { kind: 'none', text: t('privacySuppressions.notListed') },
      );
      if (removed > 0) {
        notify(t('privacySuppressions.readmitted', { count: removed }), 'green');
        setEmail('');
        setPhone('');
        setReason('');
      }
    } catch (problem) {
      setResult({ kind: 'error', text: problemDetail(problem) });
    } finally {
      setBusy(false);
    }
  };
  const ready = (email.trim() !== '' || phone.trim() !== '') && basis !== null && reason.trim().length >= 3;

  return (
    <Stack>
      <Title order={1}>{t('privacySuppressions.title')}</Title>
      <Text size="sm">{t('privacySuppressions.intro')}</Text>
      <SimpleGrid cols={{ base: 1, sm: 3 }}>
        {(
          [
            ['emails', counts.data.emails],
            ['phones', counts.data.phones],
            ['total', counts.data.total],
          ] as const
        ).map(([key, value]) => (
          <Paper key={key} withBorder p="md">
            <Text size="sm" c="dimmed">
              {t(`privacySuppressions.counts.${key}`)}
            </Text>
            <Text size="xl" fw={700}>
              {value}
            </Text>
          </Paper>
        ))}
      </SimpleGrid>
      {can('privacy', 'edit') && (
        <Paper withBorder p="md">
          <Stack>
            <Title order={2} size="h4">
              {t('privacySuppressions.readmitTitle')}
            </Title>
            <Text size="sm">{t('privacySuppressions.readmitIntro')}</Text>
            <Group grow align="flex-start">
              <TextInput
                label={t('privacySuppressions.email')}
                type="email"
                value={email}
                onChange={(e) => setEmail(e.currentTarget.value)}
              />
              <TextInput
                label={t('privacySuppressions.phone')}
                type="tel"
                value={phone}
                onChange={(e) => setPhone(e.currentTarget.value)}
              />
            </Group>
            <Select
              label={t('privacySuppressions.lawfulBasis')}
              required
              data={BASES.map((b) => ({ value: b, label: t(`privacySuppressions.bases.${b}`) }))}
              value={basis}
              onChange={(value) => setBasis(value as Basis | null)}
            />
            <Textarea
              label={t('privacySuppressions.reason')}
              required
              autosize
              minRows={2}
              maxLength={2000}
              value={reason}
              onChange={(e) => setReason(e.currentTarget.value)}
            />
            {result && (
              <Alert
                color={result.kind === 'error' ? 'red' : result.kind === 'ok' ? 'green' : 'blue'}
                role={result.kind === 'error' ? 'alert' : 'status'}
              >
                {result.text}
              </Alert>
            )}
            <Group justify="flex-end">
              <Button onClick={() => void readmit()} loading={busy} disabled={!ready}>
                {t('privacySuppressions.readmit')}
              </Button>
            </Group>
          </Stack>
        </Paper>
      )}
    </Stack>
  );
}
