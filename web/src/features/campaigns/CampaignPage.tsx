import { Alert, Badge, Button, Group, List, Modal, Paper, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, data } from '../../api/client';
import { LoadError, Loading } from '../../app/RouteStates';
import { usePermissions } from '../../components/permissions';
import { useFormat } from '../../i18n/format';
import {
  audienceQuery,
  campaignKeys,
  campaignProblem,
  campaignQuery,
  paragraphsOf,
  previewOf,
  SKIP_REASONS,
  type Campaign,
  type SendResult,
} from './queries';
import { campaignRoute } from './routes';
import { SkipReport } from './SkipReport';

function Fact({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div>
      <Text size="sm" c="dimmed">
        {label}
      </Text>
      <Text>{children}</Text>
    </div>
  );
}

/** The mail as a person would read it, with an example name in the placeholders. */
function Preview({ campaign }: { campaign: Campaign }) {
  const { t } = useTranslation();
  const example = { firstName: t('campaigns.exampleFirstName'), lastName: t('campaigns.exampleLastName') };
  return (
    <Paper withBorder p="md" component="section" aria-labelledby="campaign-preview">
      <Title order={2} size="h4" id="campaign-preview">
        {t('campaigns.preview')}
      </Title>
      <Text size="sm" c="dimmed" mb="sm">
        {t('campaigns.previewHelp', { name: `${example.firstName} ${example.lastName}` })}
      </Text>
      <Text fw={600}>{previewOf(campaign.subject, example) || campaign.subject}</Text>
      {paragraphsOf(previewOf(campaign.body, example)).map((paragraph, i) => (
        <Text key={i} mt="sm">
          {paragraph}
        </Text>
      ))}
      <Text mt="sm" size="sm" c="dimmed" fs="italic">
        {t('campaigns.footerPreview', { purpose: campaign.purposeName })}
      </Text>
    </Paper>
  );
}

/** Asks before sending, with what the send would do now: how many are mailed and how many skipped. */
function SendDialog({ campaign, onClose, onSent }: { campaign: Campaign; onClose: () => void; onSent: (result: SendResult) => void }) {
  const { t } = useTranslation();
  const audience = useQuery(audienceQuery(campaign.id));
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const send = async () => {
    setBusy(true);
    setMessage(null);
    try {
      onSent(await data(api.POST('/api/v1/campaigns/{id}/send', { params: { path: { id: campaign.id } } })));
    } catch (error) {
      setMessage(campaignProblem(error, t));
      setBusy(false);
    }
  };
  const summary = audience.data;
  return (
    <Modal opened onClose={onClose} title={t('campaigns.sendTitle')} centered closeButtonProps={{ 'aria-label': t('campaigns.close') }}>
      <Stack>
        {audience.isPending && <Loading />}
        {audience.isError && <LoadError error={audience.error} />}
        {summary && (
          <>
            <Text>{t('campaigns.sendQuestion', { eligible: summary.eligible, total: summary.total })}</Text>
            {summary.total > summary.eligible && (
              <List size="sm">
                {SKIP_REASONS.filter((reason) => summary.skipped[reason] > 0).map((reason) => (
                  <List.Item key={reason}>
                    {t('campaigns.skipLine', { count: summary.skipped[reason], reason: t(`campaigns.reasons.${reason}`) })}
                  </List.Item>
                ))}
              </List>
            )}
            <Text size="sm" c="dimmed">
              {t('campaigns.sendOnce')}
            </Text>
          </>
        )}
        {message && (
          <Alert color="red" role="alert">
            {message}
          </Alert>
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose} disabled={busy}>
            {t('campaigns.cancel')}
          </Button>
          <Button onClick={() => void send()} loading={busy} disabled={!summary} data-autofocus>
            {t('campaigns.sendConfirm')}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

/** One campaign: what it says and for whom; a draft can be sent once, a sent one shows what it reached and who was skipped, and why. */
export default function CampaignPage() {
  const { t } = useTranslation();
  const format = useFormat();
  const { campaignId } = campaignRoute.useParams();
  const { can } = usePermissions();
  const queryClient = useQueryClient();
  const campaign = useQuery(campaignQuery(campaignId));
  const [sending, setSending] = useState(false);
  const [result, setResult] = useState<SendResult | null>(null);

  if (campaign.isPending) return <Loading />;
  if (campaign.isError) return <LoadError error={campaign.error} />;
  const c = campaign.data;
  const audience = [
    c.tag ? t('campaigns.audienceTag', { tag: c.tag }) : null,
    c.contactIds.length > 0 ? t('campaigns.audienceContacts', { count: c.contactIds.length }) : null,
    c.leadIds.length > 0 ? t('campaigns.audienceLeads', { count: c.leadIds.length }) : null,
  ].filter(Boolean);

  return (
    <Stack>
      <Group justify="space-between" wrap="wrap">
        <Group gap="sm">
          <Title order={1}>{c.name}</Title>
          <Badge color={c.status === 'sent' ? 'teal.9' : 'gray.7'} variant="filled">
            {t(`campaigns.statuses.${c.status}`)}
          </Badge>
        </Group>
        {c.status === 'draft' && can('campaigns', 'create') && <Button onClick={() => setSending(true)}>{t('campaigns.send')}</Button>}
      </Group>
      <SimpleGrid cols={{ base: 1, sm: 2, md: 4 }}>
        <Fact label={t('campaigns.purpose')}>{c.purposeName}</Fact>
        <Fact label={t('campaigns.audience')}>{audience.join(', ')}</Fact>
        <Fact label={t('campaigns.language')}>{t(`campaigns.languages.${c.language}`)}</Fact>
        <Fact label={c.sentAt ? t('campaigns.sentAt') : t('campaigns.createdAt')}>{format.dateTime(c.sentAt ?? c.createdAt)}</Fact>
      </SimpleGrid>
      {result && (
        <Alert color="teal.9" variant="filled" role="status" title={t('campaigns.sentTitle')}>
          {t('campaigns.sentResult', { queued: result.queued, skipped: result.skipped.length })}
        </Alert>
      )}
      {c.status === 'sent' && (
        <Paper withBorder p="md" component="section" aria-labelledby="campaign-result">
          <Title order={2} size="h4" id="campaign-result">
            {t('campaigns.skipReport')}
          </Title>
          <Text mb="sm">{t('campaigns.resultLine', { queued: c.queued, skipped: c.skippedCount })}</Text>
          <SkipReport skipped={c.skipped} />
        </Paper>
      )}
      <Preview campaign={c} />
      {sending && (
        <SendDialog
          campaign={c}
          onClose={() => setSending(false)}
          onSent={(sent) => {
            setSending(false);
            setResult(sent);
            void queryClient.invalidateQueries({ queryKey: campaignKeys.all });
          }}
        />
      )}
    </Stack>
  );
}
