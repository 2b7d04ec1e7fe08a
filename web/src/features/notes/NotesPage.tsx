import { Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';

/** Placeholder: the notes screen is built in its own issue. */
export default function NotesPage() {
  const { t } = useTranslation();
  return <Title order={1}>{t('notes.title')}</Title>;
}
