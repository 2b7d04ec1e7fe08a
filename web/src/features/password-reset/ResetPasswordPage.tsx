import { Alert, Anchor, Button, PasswordInput, Stack, Text } from '@mantine/core';
import { useForm } from '@mantine/form';
import { Link } from '@tanstack/react-router';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, ApiError } from '../../api/client';
import { PublicCard } from './PublicCard';
import { resetPasswordRoute } from './routes';

/** The token from the link's fragment (`#token=`, as the server writes it) or its query (`?token=`). */
function tokenFromLink(search: string | undefined): string | undefined {
  const fragment = new URLSearchParams(window.location.hash.replace(/^#/, '')).get('token');
  return fragment ?? search;
}

/** Whether the link is an administrator's invitation (`#token=…&invitation=1`): the same token, a first password. */
function isInvitationLink(): boolean {
  return new URLSearchParams(window.location.hash.replace(/^#/, '')).has('invitation');
}

/** The page the e-mailed link opens: a new password, set with the single-use token; for an invited user, their first. */
export default function ResetPasswordPage() {
  const { t } = useTranslation();
  const search = resetPasswordRoute.useSearch();
  const [token] = useState(() => tokenFromLink(search.token));
  const [invitation] = useState(isInvitationLink);
  const [done, setDone] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const form = useForm({
    mode: 'uncontrolled',
    initialValues: { password: '', repeat: '' },
    validate: {
      password: (value) => (value.length >= 8 && value.length <= 128 ? null : t('passwordReset.passwordLength')),
      repeat: (value, values) => (value === values.password ? null : t('passwordReset.passwordsDiffer')),
    },
  });

  const submit = form.onSubmit(async ({ password }) => {
    if (!token) return;
    setError(null);
    try {
      await api.POST('/api/v1/auth/password-reset/confirm', { body: { token, password } });
      setDone(true);
    } catch (caught) {
      const fieldErrors = caught instanceof ApiError ? caught.fieldErrors() : {};
      if (fieldErrors.password) form.setErrors({ password: fieldErrors.password });
      else if (caught instanceof ApiError && caught.status === 429)
        setError(t('passwordReset.throttled', { seconds: caught.retryAfterSeconds ?? 60 }));
      else if (caught instanceof ApiError && caught.code !== 'validation_failed' && [400, 401, 403, 404, 409].includes(caught.status))
        setError(t(invitation ? 'passwordReset.inviteLinkInvalid' : 'passwordReset.linkInvalid'));
      else setError(t('app.error', { detail: caught instanceof Error ? caught.message : String(caught) }));
    }
  });

  return (
    <PublicCard title={t(invitation ? 'passwordReset.inviteTitle' : 'passwordReset.confirmTitle')}>
      {!token ? (
        <Alert color="red" role="alert">
          {t('passwordReset.noToken')}
        </Alert>
      ) : done ? (
        <Stack>
          <Alert color="green" role="status">
            {t(invitation ? 'passwordReset.inviteDone' : 'passwordReset.done')}
          </Alert>
          <Anchor renderRoot={(props) => <Link {...props} to="/sign-in" search={{ redirect: undefined }} />}>
            {t('passwordReset.signInNow')}
          </Anchor>
        </Stack>
      ) : (
        <form onSubmit={submit} noValidate>
          <Stack>
            <Text size="sm">{t(invitation ? 'passwordReset.inviteIntro' : 'passwordReset.confirmIntro')}</Text>
            {error && (
              <>
                <Alert color="red" role="alert">
                  {error}
                </Alert>
                <Anchor component={Link} to="/forgot-password" size="sm">
                  {t('passwordReset.askAgain')}
                </Anchor>
              </>
            )}
            <PasswordInput
              label={t('passwordReset.newPassword')}
              autoComplete="new-password"
              required
              visibilityToggleButtonProps={{ 'aria-label': t('passwordReset.showPassword') }}
              key={form.key('password')}
              {...form.getInputProps('password')}
            />
            <PasswordInput
              label={t('passwordReset.repeatPassword')}
              autoComplete="new-password"
              required
              visibilityToggleButtonProps={{ 'aria-label': t('passwordReset.showPassword') }}
              key={form.key('repeat')}
              {...form.getInputProps('repeat')}
            />
            <Button type="submit" loading={form.submitting}>
              {t('passwordReset.save')}
            </Button>
          </Stack>
        </form>
      )}
    </PublicCard>
  );
}
