import { Button, Group, Paper, PasswordInput, Stack, Text, Title } from '@mantine/core';
import { useForm } from '@mantine/form';
import { notifications } from '@mantine/notifications';
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, ApiError } from '../../api/client';
import { errorMessage } from './errors';

/** Changing the password ends the user's other sessions (the API does that). */
export function PasswordSection() {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const [error, setError] = useState<string | null>(null);
  const form = useForm({
    mode: 'uncontrolled',
    initialValues: { currentPassword: '', newPassword: '', repeat: '' },
    validate: {
      currentPassword: (value) => (value ? null : t('account.required')),
      newPassword: (value) => (value.length >= 8 && value.length <= 128 ? null : t('account.passwordLength')),
      repeat: (value, values) => (value === values.newPassword ? null : t('account.passwordsDiffer')),
    },
  });

  const submit = form.onSubmit(async ({ currentPassword, newPassword }) => {
    setError(null);
    try {
      await api.POST('/api/v1/me/password', { body: { currentPassword, newPassword } });
      form.reset();
      await queryClient.invalidateQueries({ queryKey: ['me', 'sessions'] });
      notifications.show({ message: t('account.passwordChanged'), closeButtonProps: { 'aria-label': t('account.close') } });
    } catch (caught) {
      if (caught instanceof ApiError && caught.errors?.length) form.setErrors(caught.fieldErrors());
      else if (caught instanceof ApiError && (caught.code === 'password_incorrect' || caught.status === 401))
        form.setErrors({ currentPassword: t('account.currentPasswordWrong') });
      else if (caught instanceof ApiError && caught.status === 400) form.setErrors({ newPassword: caught.detail });
      else setError(errorMessage(caught, t));
    }
  });

  const toggle = { 'aria-label': t('account.showPassword') };
  return (
    <Paper withBorder p="md" component="section" aria-labelledby="account-password">
      <form onSubmit={submit} noValidate>
        <Stack maw={420}>
          <Title order={2} size="h3" id="account-password">
            {t('account.passwordTitle')}
          </Title>
          <Text size="sm" c="dimmed">
            {t('account.passwordIntro')}
          </Text>
          {error && (
            <Text c="red" role="alert">
              {error}
            </Text>
          )}
          <PasswordInput
            label={t('account.currentPassword')}
            autoComplete="current-password"
            required
            visibilityToggleButtonProps={toggle}
            key={form.key('currentPassword')}
            {...form.getInputProps('currentPassword')}
          />
          <PasswordInput
            label={t('account.newPassword')}
            autoComplete="new-password"
            required
            visibilityToggleButtonProps={toggle}
            key={form.key('newPassword')}
            {...form.getInputProps('newPassword')}
          />
          <PasswordInput
            label={t('account.repeatPassword')}
            autoComplete="new-password"
            required
            visibilityToggleButtonProps={toggle}
            key={form.key('repeat')}
            {...form.getInputProps('repeat')}
          />
          <Group>
            <Button type="submit" loading={form.submitting}>
              {t('account.changePassword')}
            </Button>
          </Group>
        </Stack>
      </form>
    </Paper>
  );
}
