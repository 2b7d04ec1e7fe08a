import { Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';

/** Placeholder: the contacts screen is built in its own issue. */
export default function ContactsPage() {
  const { t } = useTranslation();
  return <Title order={1}>{t('contacts.title')}</Title>;
}
