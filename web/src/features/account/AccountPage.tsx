import { Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';

/** Placeholder: the account screen is built in its own issue. */
export default function AccountPage() {
  const { t } = useTranslation();
  return <Title order={1}>{t('account.title')}</Title>;
}
