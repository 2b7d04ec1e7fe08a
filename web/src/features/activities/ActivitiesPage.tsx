import { Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';

/** Placeholder: the activities screen is built in its own issue. */
export default function ActivitiesPage() {
  const { t } = useTranslation();
  return <Title order={1}>{t('activities.title')}</Title>;
}
