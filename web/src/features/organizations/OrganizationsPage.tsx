import { Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';

/** Placeholder: the organizations screen is built in its own issue. */
export default function OrganizationsPage() {
  const { t } = useTranslation();
  return <Title order={1}>{t('organizations.title')}</Title>;
}
