import { Button, Group, Paper, Select, Stack, Text, TextInput, Title } from '@mantine/core';
import { useForm } from '@mantine/form';
import { notifications } from '@mantine/notifications';
import { useQueryClient } from '@tanstack/react-query';
import { useRouter } from '@tanstack/react-router';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, ApiError, data } from '../../api/client';
import { appRoute } from '../../app/app-route';
import { sessionQuery, type Session } from '../../app/session';
import { LANGUAGES, setLanguage, type Language } from '../../i18n';
import { errorMessage } from './errors';

/** Name and language; the language is the user's setting and is applied at once. */
export function ProfileSection() {
  const { t } = useTranslation();
  const { session } = appRoute.useRouteContext();
  const queryClient = useQueryClient();
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  const form = useForm({
    mode: 'uncontrolled',
    initialValues: { name: session.user.name, language: session.user.language as Language },
    validate: { name: (value) => (value.trim() ? null : t('account.required')) },
  });

  const submit = form.onSubmit(async (values) => {
    setError(null);
    try {
      const user = await data(api.PATCH('/api/v1/me', { body: { name: values.name.trim(), language: values.language } }));
      setLanguage(user.language);
      queryClient.setQueryData<Session | null>(sessionQuery.queryKey, (current) =>
        current ? { ...current, user: { ...current.user, name: user.name, language: user.language } } : current,
      );
      // The route context holds the session read at navigation: load it again for the header.
      await router.invalidate();
      notifications.show({ message: t('account.profileSaved'), closeButtonProps: { 'aria-label': t('account.close') } });
    } catch (caught) {
      if (caught instanceof ApiError && caught.errors?.length) form.setErrors(caught.fieldErrors());
      else setError(errorMessage(caught, t));
    }
  });

  return (
    <Paper withBorder p="md" component="section" aria-labelledby="account-profile">
      <form onSubmit={submit} noValidate>
        <Stack maw={420}>
          <Title order={2} size="h3" id="account-profile">
            {t('account.profileTitle')}
          </Title>
          <Text size="sm">{t('account.signedInEmail', { email: session.user.email })}</Text>
          {error && (
            <Text c="red" role="alert">
              {error}
            </Text>
          )}
          <TextInput label={t('account.name')} autoComplete="name" required key={form.key('name')} {...form.getInputProps('name')} />
          <Select
            label={t('account.language')}
            data={LANGUAGES.map((language) => ({ value: language, label: t(`languages.${language}`) }))}
            allowDeselect={false}
            key={form.key('language')}
            {...form.getInputProps('language')}
          />
          <Group>
            <Button type="submit" loading={form.submitting}>
              {t('account.save')}
            </Button>
          </Group>
        </Stack>
      </form>
    </Paper>
  );
}
