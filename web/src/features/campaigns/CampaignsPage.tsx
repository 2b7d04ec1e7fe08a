import { Badge, Group, Stack, Text, Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { api, data } from '../../api/client';
import { AnchorLink, ButtonLink } from '../../components/links';
import { usePermissions } from '../../components/permissions';
import { RecordList } from '../../components/RecordList';
import { useFormat } from '../../i18n/format';
import type { CampaignSummary } from './queries';

/** E-mail campaigns, newest first: drafts to send, and what each sent one reached. */
export default function CampaignsPage() {
  const { t } = useTranslation();
  const format = useFormat();
  const { can } = usePermissions();
  return (
    <Stack>
      <Group justify="space-between" wrap="wrap">
        <Title order={1}>{t('campaigns.title')}</Title>
        {can('campaigns', 'create') && <ButtonLink to="/campaigns/new">{t('campaigns.new')}</ButtonLink>}
      </Group>
      <Text c="dimmed" size="sm">
        {t('campaigns.intro')}
      </Text>
      <RecordList<CampaignSummary>
        queryKey={['campaigns', 'list']}
        caption={t('campaigns.caption')}
        empty={t('campaigns.none')}
        rowKey={(campaign) => campaign.id}
        fetchPage={(cursor, limit) => data(api.GET('/api/v1/campaigns', { params: { query: { limit, ...(cursor ? { cursor } : {}) } } }))}
        columns={[
          {
            key: 'name',
            header: t('campaigns.name'),
            cell: (campaign) => (
              <AnchorLink to="/campaigns/$campaignId" params={{ campaignId: campaign.id }}>
                {campaign.name}
              </AnchorLink>
            ),
          },
          { key: 'purpose', header: t('campaigns.purpose'), visibleFrom: 'sm', cell: (campaign) => campaign.purposeName },
          {
            key: 'status',
            header: t('campaigns.status'),
            cell: (campaign) => (
              <Badge color={campaign.status === 'sent' ? 'teal.9' : 'gray.7'} variant="filled">
                {t(`campaigns.statuses.${campaign.status}`)}
              </Badge>
            ),
          },
          {
            key: 'result',
            header: t('campaigns.result'),
            visibleFrom: 'sm',
            cell: (campaign) =>
              campaign.status === 'sent' ? t('campaigns.resultLine', { queued: campaign.queued, skipped: campaign.skippedCount }) : '',
          },
          {
            key: 'date',
            header: t('campaigns.date'),
            visibleFrom: 'md',
            cell: (campaign) => format.date(campaign.sentAt ?? campaign.createdAt),
          },
        ]}
      />
    </Stack>
  );
}
