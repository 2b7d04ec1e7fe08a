import { Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';

/** Placeholder: the import screen is built in its own issue. */
export default function ImportPage() {
  const { t } = useTranslation();
  return <Title order={1}>{t('import.title')}</Title>;
}
