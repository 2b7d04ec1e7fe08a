import { Alert, Button, Stack, Text, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, ApiError } from '../../api/client';
import { PublicCard } from './PublicCard';

/** Asks for a reset link. The API answers 202 whether or not the account exists, and so does this page. */
export default function ForgotPasswordPage() {
  const { t } = useTranslation();
  const [sent, setSent] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const form = useForm({
    mode: 'uncontrolled',
    initialValues: { tenant: '', email: '' },
    validate: {
      tenant: (value) => (value.trim() ? null : t('passwordReset.required')),
      email: (value) => (/^\S+@\S+$/.test(value.trim()) ? null : t('passwordReset.emailFormat')),
    },
  });

  const submit = form.onSubmit(async (values) => {
    setError(null);
    try {
      await api.POST('/api/v1/auth/password-reset', { body: { tenant: values.tenant.trim(), email: values.email.trim() } });
      setSent(true);
    } catch (caught) {
      if (caught instanceof ApiError && caught.errors?.length) form.setErrors(caught.fieldErrors());
      else if (caught instanceof ApiError && caught.status === 429)
        setError(t('passwordReset.throttled', { seconds: caught.retryAfterSeconds ?? 60 }));
      else setError(t('app.error', { detail: caught instanceof Error ? caught.message : String(caught) }));
    }
  });

  return (
    <PublicCard title={t('passwordReset.requestTitle')}>
      {sent ? (
        <Alert color="green" role="status">
          {t('passwordReset.sent')}
        </Alert>
      ) : (
        <form onSubmit={submit} noValidate>
          <Stack>
            <Text size="sm">{t('passwordReset.requestIntro')}</Text>
            {error && (
              <Alert color="red" role="alert">
                {error}
              </Alert>
            )}
            <TextInput
              label={t('passwordReset.tenant')}
              description={t('passwordReset.tenantHint')}
              autoComplete="organization"
              required
              key={form.key('tenant')}
              {...form.getInputProps('tenant')}
            />
            <TextInput
              label={t('passwordReset.email')}
              type="email"
              autoComplete="username"
              required
              key={form.key('email')}
              {...form.getInputProps('email')}
            />
            <Button type="submit" loading={form.submitting}>
              {t('passwordReset.send')}
            </Button>
          </Stack>
        </form>
      )}
    </PublicCard>
  );
}
