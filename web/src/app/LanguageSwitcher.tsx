import { Select } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api } from '../api/client';
import { LANGUAGES, setLanguage, type Language } from '../i18n';
import { sessionQuery } from './session';

/** Switches the app's language; when signed in it is saved as the user's setting. */
export function LanguageSwitcher({ signedIn }: { signedIn: boolean }) {
  const { t, i18n } = useTranslation();
  const queryClient = useQueryClient();
  const change = async (value: string | null) => {
    if (value !== 'en' && value !== 'nl') return;
    setLanguage(value as Language);
    if (!signedIn) return;
    const { data } = await api.PATCH('/api/v1/me', { body: { language: value } });
    if (data) {
      queryClient.setQueryData(sessionQuery.queryKey, (session) =>
        session ? { ...session, user: { ...session.user, ...data } } : session,
      );
    }
  };
  return (
    <Select
      label={t('app.language')}
      data={LANGUAGES.map((language) => ({ value: language, label: t(`languages.${language}`) }))}
      value={i18n.language}
      onChange={(value) => void change(value)}
      allowDeselect={false}
      w={150}
      size="xs"
    />
  );
}
