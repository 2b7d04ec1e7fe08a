import { Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';

/** Placeholder: the deals screen is built in its own issue. */
export default function DealsPage() {
  const { t } = useTranslation();
  return <Title order={1}>{t('deals.title')}</Title>;
}
