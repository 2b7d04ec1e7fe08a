import { Button, Card, Group, SegmentedControl, Stack, Text, Title } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { usePermissions } from '../../components/permissions';
import { packageHref } from './queries';

interface CaseFacts {
  id: string;
  type: string;
  status: string;
  contactId: string | null;
  leadId: string | null;
}

const READY = new Set(['verified', 'in_progress']);

/**
 * The access/portability package of a case: a zip with a readable summary
 * and the data as JSON and CSV, in the language the person reads. Shown on
 * access and portability cases to holders of privacy export.
 */
export function DownloadPackage({ request }: { request: CaseFacts }) {
  const { t, i18n } = useTranslation();
  const { can } = usePermissions();
  const queryClient = useQueryClient();
  const [lang, setLang] = useState<'en' | 'nl'>(i18n.language === 'nl' ? 'nl' : 'en');
  if (request.type !== 'access' && request.type !== 'portability') return null;
  if (!can('privacy', 'export')) return null;
  const linked = request.contactId !== null || request.leadId !== null;
  const ready = READY.has(request.status) && linked;
  const hint = !linked ? 'noPerson' : READY.has(request.status) ? 'ready' : request.status === 'received' ? 'verifyFirst' : 'closed';

  return (
    <Card withBorder component="section" aria-labelledby="package-title">
      <Stack gap="xs">
        <Title order={2} size="h3" id="package-title">
          {t('privacyExport.title')}
        </Title>
        <Text size="sm">{t(`privacyExport.hints.${hint}`)}</Text>
        {ready && (
          <Group gap="sm" wrap="wrap">
            <Text size="sm" id="package-language">
              {t('privacyExport.language')}
            </Text>
            <SegmentedControl
              aria-labelledby="package-language"
              size="xs"
              value={lang}
              onChange={(value) => setLang(value as 'en' | 'nl')}
              data={[
                { value: 'en', label: t('privacyExport.languages.en') },
                { value: 'nl', label: t('privacyExport.languages.nl') },
              ]}
            />
            <Button
              component="a"
              href={packageHref(request.id, lang)}
              download
              onClick={() => {
                // The delivery is a step on the case: show it once the download has begun.
                setTimeout(() => void queryClient.invalidateQueries({ queryKey: ['privacy', 'requests'] }), 1500);
              }}
            >
              {t('privacyExport.download')}
            </Button>
          </Group>
        )}
      </Stack>
    </Card>
  );
}
