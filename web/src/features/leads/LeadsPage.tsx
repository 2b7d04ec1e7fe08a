import { Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';

/** Placeholder: the leads screen is built in its own issue. */
export default function LeadsPage() {
  const { t } = useTranslation();
  return <Title order={1}>{t('leads.title')}</Title>;
}
