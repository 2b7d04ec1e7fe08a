import { Stack, Text, Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { HoldsSection } from './HoldsSection';
import { RulesSection } from './RulesSection';
import { RunSection } from './RunSection';

/** Retention in the privacy center: the rules, the legal holds that suspend them, and the runs with their reports. */
export default function RetentionPage() {
  const { t } = useTranslation();
  return (
    <Stack gap="xl">
      <Stack gap="xs">
        <Title order={1}>{t('privacyRetention.title')}</Title>
        <Text size="sm">{t('privacyRetention.intro')}</Text>
      </Stack>
      <RulesSection />
      <HoldsSection />
      <RunSection />
    </Stack>
  );
}
