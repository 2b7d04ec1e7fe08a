import { Button, Group, List, SegmentedControl, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Loading, LoadError } from '../../app/RouteStates';
import { useFormat } from '../../i18n/format';
import { recordQuery, type RecordOfProcessing } from './queries';

type Lang = 'en' | 'nl';
const RECORD_URL = '/api/v1/privacy/record-of-processing';

function PurposesTable({ purposes, caption }: { purposes: RecordOfProcessing['purposes']; caption: string }) {
  const { t } = useTranslation();
  const list = (values: readonly string[]) => (values.length > 0 ? values.join(', ') : t('privacy.none'));
  return (
    <Table.ScrollContainer minWidth={720}>
      <Table striped>
        <Table.Caption>{caption}</Table.Caption>
        <Table.Thead>
          <Table.Tr>
            <Table.Th scope="col">{t('privacy.record.purpose')}</Table.Th>
            <Table.Th scope="col">{t('privacy.fields.lawfulBasis')}</Table.Th>
            <Table.Th scope="col">{t('privacy.fields.dataCategories')}</Table.Th>
            <Table.Th scope="col">{t('privacy.fields.recipients')}</Table.Th>
            <Table.Th scope="col">{t('privacy.fields.transfers')}</Table.Th>
            <Table.Th scope="col">{t('privacy.fields.retentionDays')}</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {purposes.map((p) => (
            <Table.Tr key={p.id}>
              <Table.Th scope="row">{p.name}</Table.Th>
              <Table.Td>{p.lawfulBasisLabel}</Table.Td>
              <Table.Td>{list(p.dataCategories)}</Table.Td>
              <Table.Td>{list(p.recipients)}</Table.Td>
              <Table.Td>
                {p.transfers.length > 0 ? p.transfers.map((x) => `${x.country} (${x.safeguard})`).join('; ') : t('privacy.none')}
              </Table.Td>
              <Table.Td>{t('privacy.days', { count: p.retentionDays })}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

/** The Art. 30 record of processing as the API generates it, with downloads in JSON, CSV and a printable page. */
export default function RecordPage() {
  const { t, i18n } = useTranslation();
  const format = useFormat();
  const [lang, setLang] = useState<Lang>(i18n.language === 'nl' ? 'nl' : 'en');
  const record = useQuery(recordQuery(lang));

  return (
    <Stack>
      <Title order={1}>{t('privacy.record.title')}</Title>
      <Text size="sm">{t('privacy.record.intro')}</Text>
      <Group justify="space-between" wrap="wrap">
        <SegmentedControl
          aria-label={t('privacy.record.language')}
          value={lang}
          onChange={(value) => setLang(value as Lang)}
          data={[
            { value: 'en', label: t('languages.en') },
            { value: 'nl', label: t('languages.nl') },
          ]}
        />
        <Group gap="xs">
          <Button
            component="a"
            variant="default"
            href={`${RECORD_URL}?format=json&lang=${lang}`}
            download={`record-of-processing-${lang}.json`}
          >
            {t('privacy.record.downloadJson')}
          </Button>
          <Button component="a" variant="default" href={`${RECORD_URL}?format=csv&lang=${lang}`} download>
            {t('privacy.record.downloadCsv')}
          </Button>
          <Button component="a" variant="default" href={`${RECORD_URL}?format=html&lang=${lang}`} target="_blank" rel="noopener">
            {t('privacy.record.openHtml')}
          </Button>
        </Group>
      </Group>
      {record.isPending ? (
        <Loading />
      ) : record.isError ? (
        <LoadError error={record.error} />
      ) : (
        <Stack lang={record.data.language}>
          <Text>
            <strong>{t('privacy.record.controller')}:</strong> {record.data.controller.name} ·{' '}
            {t('privacy.record.generated', { at: format.dateTime(record.data.generatedAt) })}
          </Text>
          <Text>
            <strong>{t('privacy.record.subjects')}:</strong> {record.data.dataSubjectCategories.map((s) => s.label).join(', ')}
          </Text>
          {record.data.purposes.length > 0 ? (
            <PurposesTable purposes={record.data.purposes} caption={t('privacy.record.active')} />
          ) : (
            <Text>{t('privacy.record.noneActive')}</Text>
          )}
          {record.data.retiredPurposes.length > 0 && (
            <PurposesTable purposes={record.data.retiredPurposes} caption={t('privacy.record.retired')} />
          )}
          <Title order={2} size="h3">
            {t('privacy.record.security')}
          </Title>
          <List spacing="xs">
            {record.data.securityMeasures.map((m) => (
              <List.Item key={m.key}>
                <Text fw={600} span>
                  {m.title}
                </Text>
                : {m.description}
              </List.Item>
            ))}
          </List>
        </Stack>
      )}
    </Stack>
  );
}
