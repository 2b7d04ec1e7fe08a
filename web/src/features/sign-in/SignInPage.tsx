import { Alert, Anchor, Button, Center, Group, Paper, PasswordInput, Stack, Text, TextInput, Title } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate } from '@tanstack/react-router';
import { useState } from 'react';
import type { TFunction } from 'i18next';
import { useTranslation } from 'react-i18next';
import { api, ApiError } from '../../api/client';
import { ENROLMENT_PATH } from '../../app/app-route';
import { LanguageSwitcher } from '../../app/LanguageSwitcher';
import { startSession, type Session } from '../../app/session';
import { signInRoute } from './routes';

/** Sign-in: tenant, e-mail and password, then the 2FA code when the account has 2FA on. */
export default function SignInPage() {
  const { t } = useTranslation();
  const { redirect } = signInRoute.useSearch();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [challenge, setChallenge] = useState<string | null>(null);

  const enter = async (session: Session) => {
    if (session.mfaEnrolmentRequired) await navigate({ to: ENROLMENT_PATH });
    else await navigate({ to: redirect ?? '/contacts' });
  };

  return (
    <Center mih="100vh" p="md">
      <Paper withBorder shadow="sm" p="xl" radius="md" w="100%" maw={420} component="main" id="main">
        <Stack>
          <Title order={1} size="h2">
            {challenge ? t('signIn.mfaTitle') : t('signIn.title')}
          </Title>
          {challenge ? (
            <SecondStep
              challenge={challenge}
              onBack={() => setChallenge(null)}
              onSignedIn={(signedIn) => enter(startSession(queryClient, signedIn))}
            />
          ) : (
            <FirstStep onChallenge={setChallenge} onSignedIn={(signedIn) => enter(startSession(queryClient, signedIn))} />
          )}
          <Group justify="flex-end">
            <LanguageSwitcher signedIn={false} />
          </Group>
        </Stack>
      </Paper>
    </Center>
  );
}

type SignedIn = Parameters<typeof startSession>[1];

function messageOf(error: unknown, t: TFunction, failed: 'signIn.failed' | 'signIn.mfaFailed'): string {
  if (error instanceof ApiError) {
    if (error.status === 429) return t('signIn.throttled', { seconds: error.retryAfterSeconds ?? 60 });
    if (error.status === 401 || error.status === 400) return t(failed);
    return t('app.error', { detail: error.detail });
  }
  return t('app.error', { detail: String(error) });
}

function FirstStep({
  onChallenge,
  onSignedIn,
}: {
  onChallenge: (challenge: string) => void;
  onSignedIn: (signedIn: SignedIn) => Promise<void>;
}) {
  const { t } = useTranslation();
  const [error, setError] = useState<string | null>(null);
  const form = useForm({
    mode: 'uncontrolled',
    initialValues: { tenant: '', email: '', password: '' },
    validate: {
      tenant: (value) => (value.trim() ? null : t('signIn.required')),
      email: (value) => (value.trim() ? null : t('signIn.required')),
      password: (value) => (value ? null : t('signIn.required')),
    },
  });

  const submit = form.onSubmit(async (values) => {
    setError(null);
    try {
      const { data } = await api.POST('/api/v1/auth/login', {
        body: { ...values, tenant: values.tenant.trim(), email: values.email.trim() },
      });
      if (!data) return;
      if ('mfaRequired' in data) onChallenge(data.challenge);
      else await onSignedIn(data);
    } catch (caught) {
      if (caught instanceof ApiError && caught.errors) form.setErrors(caught.fieldErrors());
      setError(messageOf(caught, t, 'signIn.failed'));
    }
  });

  return (
    <form onSubmit={submit} noValidate>
      <Stack>
        {error && (
          <Alert color="red" role="alert">
            {error}
          </Alert>
        )}
        <TextInput
          label={t('signIn.tenant')}
          description={t('signIn.tenantHint')}
          autoComplete="organization"
          required
          key={form.key('tenant')}
          {...form.getInputProps('tenant')}
        />
        <TextInput
          label={t('signIn.email')}
          type="email"
          autoComplete="username"
          required
          key={form.key('email')}
          {...form.getInputProps('email')}
        />
        <PasswordInput
          label={t('signIn.password')}
          visibilityToggleButtonProps={{ 'aria-label': t('signIn.showPassword') }}
          autoComplete="current-password"
          required
          key={form.key('password')}
          {...form.getInputProps('password')}
        />
        <Button type="submit" loading={form.submitting}>
          {t('signIn.submit')}
        </Button>
        <Anchor component={Link} to="/forgot-password" size="sm">
          {t('signIn.forgotPassword')}
        </Anchor>
      </Stack>
    </form>
  );
}

function SecondStep({
  challenge,
  onBack,
  onSignedIn,
}: {
  challenge: string;
  onBack: () => void;
  onSignedIn: (signedIn: SignedIn) => Promise<void>;
}) {
  const { t } = useTranslation();
  const [error, setError] = useState<string | null>(null);
  const form = useForm({
    mode: 'uncontrolled',
    initialValues: { code: '' },
    validate: { code: (value) => (value.trim().length >= 6 ? null : t('signIn.required')) },
  });

  const submit = form.onSubmit(async ({ code }) => {
    setError(null);
    try {
      const { data } = await api.POST('/api/v1/auth/mfa', { body: { challenge, code: code.trim() } });
      if (data) await onSignedIn(data);
    } catch (caught) {
      setError(messageOf(caught, t, 'signIn.mfaFailed'));
    }
  });

  return (
    <form onSubmit={submit} noValidate>
      <Stack>
        <Text size="sm">{t('signIn.mfaIntro')}</Text>
        {error && (
          <Alert color="red" role="alert">
            {error}
          </Alert>
        )}
        <TextInput
          label={t('signIn.code')}
          autoComplete="one-time-code"
          autoFocus
          required
          key={form.key('code')}
          {...form.getInputProps('code')}
        />
        <Button type="submit" loading={form.submitting}>
          {t('signIn.verify')}
        </Button>
        <Anchor component="button" type="button" size="sm" onClick={onBack}>
          {t('signIn.back')}
        </Anchor>
      </Stack>
    </form>
  );
}
