import { Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';

/** Placeholder: one contact's page (deep links such as /contacts/<id> land here). */
export default function ContactPage() {
  const { t } = useTranslation();
  return <Title order={1}>{t('contacts.title')}</Title>;
}
