import { Alert, Badge, Button, Group, List, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Loading, LoadError } from '../../app/RouteStates';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { AnchorLink } from '../../components/links';
import { usePermissions } from '../../components/permissions';
import { problemDetail } from '../../components/problems';
import { useFormat } from '../../i18n/format';
import { retentionKeys, runRetention, runsQuery, type RetentionReport } from './queries';

/** The report of a run: the counts, then the people concerned by id (a link to each that still exists). */
function Report({ report }: { report: RetentionReport }) {
  const { t } = useTranslation();
  return (
    <Stack gap="xs" role="status" aria-live="polite">
      <Title order={3}>{t(report.dryRun ? 'privacyRetention.run.dryReportTitle' : 'privacyRetention.run.reportTitle')}</Title>
      <Text>
        {t(report.dryRun ? 'privacyRetention.run.dryCounts' : 'privacyRetention.run.counts', {
          erased: report.erased,
          anonymized: report.anonymized,
          held: report.held,
          failed: report.failed,
        })}
      </Text>
      {report.candidates.length > 0 && (
        <List size="sm">
          {report.candidates.map((c) => (
            <List.Item key={`${c.table}-${c.id}`}>
              {c.held || report.dryRun ? (
                c.table === 'contacts' ? (
                  <AnchorLink to="/contacts/$contactId" params={{ contactId: c.id }}>
                    {t('privacyRetention.holds.contact')} {c.id.slice(0, 8)}
                  </AnchorLink>
                ) : (
                  <AnchorLink to="/leads/$leadId" params={{ leadId: c.id }}>
                    {t('privacyRetention.holds.lead')} {c.id.slice(0, 8)}
                  </AnchorLink>
                )
              ) : (
                <Text span size="sm">
                  {t(c.table === 'contacts' ? 'privacyRetention.holds.contact' : 'privacyRetention.holds.lead')} {c.id.slice(0, 8)}
                </Text>
              )}{' '}
              —{' '}
              {c.heldBy
                ? t(`privacyRetention.run.heldBy.${c.heldBy}`)
                : t(report.dryRun ? `privacyRetention.run.would.${c.action}` : `privacyRetention.run.did.${c.action}`)}
            </List.Item>
          ))}
        </List>
      )}
      {report.candidatesTruncated && <Text size="sm">{t('privacyRetention.run.truncated')}</Text>}
    </Stack>
  );
}

/** "Run now (dry run)" and "Run now" with the report, and the last runs. */
export function RunSection() {
  const { t } = useTranslation();
  const format = useFormat();
  const { can } = usePermissions();
  const queryClient = useQueryClient();
  const runs = useQuery(runsQuery);
  const [report, setReport] = useState<RetentionReport | null>(null);
  const [busy, setBusy] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [message, setMessage] = useState<string | null>(null);

  const run = async (dryRun: boolean) => {
    setBusy(true);
    setMessage(null);
    try {
      setReport(await runRetention(dryRun));
      await queryClient.invalidateQueries({ queryKey: retentionKeys.all });
    } catch (error) {
      setMessage(problemDetail(error));
    } finally {
      setBusy(false);
      setConfirming(false);
    }
  };

  return (
    <Stack component="section" aria-labelledby="retention-runs">
      <Title order={2} id="retention-runs">
        {t('privacyRetention.run.title')}
      </Title>
      <Text size="sm">{t('privacyRetention.run.help')}</Text>
      {can('privacy', 'edit') && (
        <Group>
          <Button variant="default" loading={busy} onClick={() => void run(true)}>
            {t('privacyRetention.run.dryRun')}
          </Button>
          <Button color="red" loading={busy} onClick={() => setConfirming(true)}>
            {t('privacyRetention.run.runNow')}
          </Button>
        </Group>
      )}
      {message && (
        <Alert color="red" role="alert">
          {message}
        </Alert>
      )}
      {report && <Report report={report} />}
      <Title order={3}>{t('privacyRetention.run.lastRuns')}</Title>
      {runs.isPending ? (
        <Loading />
      ) : runs.isError ? (
        <LoadError error={runs.error} />
      ) : runs.data.length === 0 ? (
        <Text>{t('privacyRetention.run.noRuns')}</Text>
      ) : (
        <Table.ScrollContainer minWidth={640}>
          <Table striped>
            <Table.Caption>{t('privacyRetention.run.caption')}</Table.Caption>
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">{t('privacyRetention.run.when')}</Table.Th>
                <Table.Th scope="col">{t('privacyRetention.run.kind')}</Table.Th>
                <Table.Th scope="col">{t('privacyRetention.run.erased')}</Table.Th>
                <Table.Th scope="col">{t('privacyRetention.run.anonymized')}</Table.Th>
                <Table.Th scope="col">{t('privacyRetention.run.held')}</Table.Th>
                <Table.Th scope="col">{t('privacyRetention.run.failed')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {runs.data.map((r) => (
                <Table.Tr key={r.id}>
                  <Table.Td>{format.dateTime(r.startedAt)}</Table.Td>
                  <Table.Td>
                    <Group gap={4}>
                      {r.dryRun && <Badge color="gray.7">{t('privacyRetention.run.dry')}</Badge>}
                      <Text size="sm">{t(`privacyRetention.run.by.${r.by}`)}</Text>
                      {r.status !== 'done' && <Badge color="red.9">{t(`privacyRetention.run.status.${r.status}`)}</Badge>}
                    </Group>
                  </Table.Td>
                  <Table.Td>{format.number(r.erased)}</Table.Td>
                  <Table.Td>{format.number(r.anonymized)}</Table.Td>
                  <Table.Td>{format.number(r.held)}</Table.Td>
                  <Table.Td>{format.number(r.failed)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      <ConfirmDialog
        opened={confirming}
        title={t('privacyRetention.run.confirmTitle')}
        message={t('privacyRetention.run.confirm')}
        confirmLabel={t('privacyRetention.run.runNow')}
        danger
        busy={busy}
        onClose={() => setConfirming(false)}
        onConfirm={() => void run(false)}
      />
    </Stack>
  );
}
