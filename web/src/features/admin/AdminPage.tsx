import { Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';

/** Placeholder: the admin screen is built in its own issue. */
export default function AdminPage() {
  const { t } = useTranslation();
  return <Title order={1}>{t('admin.title')}</Title>;
}
