import {
  Alert,
  Anchor,
  Badge,
  Button,
  Code,
  CopyButton,
  Group,
  List,
  Paper,
  PasswordInput,
  Stack,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useForm } from '@mantine/form';
import { notifications } from '@mantine/notifications';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate } from '@tanstack/react-router';
import QRCode from 'qrcode';
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, ApiError, data } from '../../api/client';
import { appRoute } from '../../app/app-route';
import { sessionQuery } from '../../app/session';
import { codeError } from './errors';

const mfaQuery = { queryKey: ['me', 'mfa'], queryFn: () => data(api.GET('/api/v1/me/mfa')) };

/**
 * Two-step verification: enrolment (QR code drawn here from the otpauth:// URI, the secret as text, a code
 * check, then the recovery codes shown once), or, when it is on, new recovery codes and turning it off.
 * Sessions under a "2FA required" policy land here and can go nowhere else until they have enrolled.
 */
export default function TwoFactorPage() {
  const { t } = useTranslation();
  const { session } = appRoute.useRouteContext();
  const mfa = useQuery(mfaQuery);
  const [recoveryCodes, setRecoveryCodes] = useState<string[] | null>(null);

  return (
    <Stack maw={640}>
      <Title order={1}>{t('account.twoFactorTitle')}</Title>
      {session.mfaEnrolmentRequired && !recoveryCodes && <Alert color="yellow">{t('account.twoFactorRequired')}</Alert>}
      {recoveryCodes ? (
        <RecoveryCodes codes={recoveryCodes} />
      ) : mfa.data?.enabled ? (
        <Enabled remaining={mfa.data.recoveryCodesRemaining} onNewCodes={setRecoveryCodes} />
      ) : mfa.data ? (
        <Enrol onEnrolled={setRecoveryCodes} />
      ) : null}
    </Stack>
  );
}

function Enrol({ onEnrolled }: { onEnrolled: (codes: string[]) => void }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const [secret, setSecret] = useState<{ secret: string; otpauthUri: string } | null>(null);
  const [starting, setStarting] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const form = useForm({
    mode: 'uncontrolled',
    initialValues: { code: '' },
    validate: { code: (value) => (/^\d{6}$/.test(value.trim()) ? null : t('account.codeFormat')) },
  });

  const start = async () => {
    setStarting(true);
    setError(null);
    try {
      const answer = await data(api.POST('/api/v1/me/mfa/totp'));
      setSecret({ secret: answer.secret, otpauthUri: answer.otpauthUri });
    } catch (caught) {
      setError(t('app.error', { detail: caught instanceof Error ? caught.message : String(caught) }));
    } finally {
      setStarting(false);
    }
  };

  const verify = form.onSubmit(async ({ code }) => {
    try {
      const answer = await data(api.POST('/api/v1/me/mfa/totp/verify', { body: { code: code.trim() } }));
      await queryClient.invalidateQueries({ queryKey: ['me', 'mfa'] });
      await queryClient.refetchQueries({ queryKey: sessionQuery.queryKey });
      onEnrolled(answer.recoveryCodes);
    } catch (caught) {
      form.setErrors({ code: codeError(caught, t) });
    }
  });

  if (!secret) {
    return (
      <Paper withBorder p="md">
        <Stack>
          <Text>{t('account.enrolIntro')}</Text>
          {error && (
            <Alert color="red" role="alert">
              {error}
            </Alert>
          )}
          <Group>
            <Button onClick={() => void start()} loading={starting}>
              {t('account.enrolStart')}
            </Button>
          </Group>
        </Stack>
      </Paper>
    );
  }

  return (
    <Paper withBorder p="md">
      <Stack>
        <Title order={2} size="h3">
          {t('account.scanTitle')}
        </Title>
        <Text>{t('account.scanIntro')}</Text>
        <QrCode value={secret.otpauthUri} label={t('account.qrLabel')} />
        <Text size="sm">{t('account.secretIntro')}</Text>
        <Group gap="xs" wrap="nowrap">
          <Code fz="md" style={{ wordBreak: 'break-all' }} data-testid="totp-secret">
            {secret.secret}
          </Code>
          <CopyButton value={secret.secret}>
            {({ copied, copy }) => (
              <Button variant="default" size="xs" onClick={copy}>
                {copied ? t('account.copied') : t('account.copySecret')}
              </Button>
            )}
          </CopyButton>
        </Group>
        <form onSubmit={verify} noValidate>
          <Stack>
            <TextInput
              label={t('account.codeLabel')}
              description={t('account.codeHint')}
              autoComplete="one-time-code"
              inputMode="numeric"
              required
              maw={240}
              key={form.key('code')}
              {...form.getInputProps('code')}
            />
            <Group>
              <Button type="submit" loading={form.submitting}>
                {t('account.enrolVerify')}
              </Button>
            </Group>
          </Stack>
        </form>
      </Stack>
    </Paper>
  );
}

/** The QR code of the otpauth:// URI, drawn on a canvas in the browser: no server markup is put into the page. */
function QrCode({ value, label }: { value: string; label: string }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    if (canvas.current) void QRCode.toCanvas(canvas.current, value, { width: 200, margin: 2, errorCorrectionLevel: 'M' });
  }, [value]);
  return <canvas ref={canvas} role="img" aria-label={label} width={200} height={200} data-testid="totp-qr" />;
}

function RecoveryCodes({ codes }: { codes: string[] }) {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const text = `${codes.join('\n')}\n`;
  const href = useObjectUrl(text);
  return (
    <Paper withBorder p="md">
      <Stack>
        <Title order={2} size="h3">
          {t('account.recoveryTitle')}
        </Title>
        <Alert color="yellow">{t('account.recoveryOnce')}</Alert>
        <List spacing={4} data-testid="recovery-codes" listStyleType="none" ff="monospace">
          {codes.map((code) => (
            <List.Item key={code}>{code}</List.Item>
          ))}
        </List>
        <Group>
          <CopyButton value={text}>
            {({ copied, copy }) => (
              <Button variant="default" onClick={copy}>
                {copied ? t('account.copied') : t('account.recoveryCopy')}
              </Button>
            )}
          </CopyButton>
          {href && (
            <Button component="a" variant="default" href={href} download="custodia-recovery-codes.txt">
              {t('account.recoveryDownload')}
            </Button>
          )}
          <Button onClick={() => void navigate({ to: '/account' })}>{t('account.recoveryDone')}</Button>
        </Group>
      </Stack>
    </Paper>
  );
}

function useObjectUrl(text: string): string | null {
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    const created = URL.createObjectURL(new Blob([text], { type: 'text/plain' }));
    setUrl(created);
    return () => URL.revokeObjectURL(created);
  }, [text]);
  return url;
}

function Enabled({ remaining, onNewCodes }: { remaining: number; onNewCodes: (codes: string[]) => void }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const [busy, setBusy] = useState<'codes' | 'disable' | null>(null);
  const form = useForm({
    mode: 'uncontrolled',
    initialValues: { password: '', code: '' },
    validate: {
      password: (value) => (value ? null : t('account.required')),
      code: (value) => (value.trim() ? null : t('account.required')),
    },
  });

  const run = (action: 'codes' | 'disable') =>
    form.onSubmit(async (values) => {
      const body = { password: values.password, code: values.code.trim() };
      setBusy(action);
      try {
        if (action === 'codes') {
          const answer = await data(api.POST('/api/v1/me/mfa/recovery-codes', { body }));
          onNewCodes(answer.recoveryCodes);
        } else {
          await api.POST('/api/v1/me/mfa/totp/disable', { body });
          notifications.show({ message: t('account.disabled'), closeButtonProps: { 'aria-label': t('account.close') } });
          form.reset();
        }
        await queryClient.invalidateQueries({ queryKey: ['me', 'mfa'] });
        await queryClient.refetchQueries({ queryKey: sessionQuery.queryKey });
      } catch (caught) {
        if (caught instanceof ApiError && caught.errors?.length) form.setErrors(caught.fieldErrors());
        else if (caught instanceof ApiError && [400, 401, 403].includes(caught.status))
          form.setErrors({ code: t('account.passwordOrCodeWrong') });
        else form.setErrors({ code: codeError(caught, t) });
      } finally {
        setBusy(null);
      }
    });

  return (
    <Paper withBorder p="md">
      <Stack>
        <Group>
          <Badge color="teal.9">{t('account.mfaOn')}</Badge>
          <Text size="sm">{t('account.recoveryRemaining', { count: remaining })}</Text>
        </Group>
        <Title order={2} size="h3">
          {t('account.manageTitle')}
        </Title>
        <Text size="sm">{t('account.manageIntro')}</Text>
        <form onSubmit={run('codes')} noValidate>
          <Stack maw={360}>
            <PasswordInput
              label={t('account.currentPassword')}
              autoComplete="current-password"
              required
              visibilityToggleButtonProps={{ 'aria-label': t('account.showPassword') }}
              key={form.key('password')}
              {...form.getInputProps('password')}
            />
            <TextInput
              label={t('account.codeOrRecovery')}
              autoComplete="one-time-code"
              required
              key={form.key('code')}
              {...form.getInputProps('code')}
            />
            <Group>
              <Button type="submit" loading={busy === 'codes'} disabled={busy !== null}>
                {t('account.newRecoveryCodes')}
              </Button>
              <Button
                type="button"
                color="red"
                variant="outline"
                onClick={() => run('disable')()}
                loading={busy === 'disable'}
                disabled={busy !== null}
              >
                {t('account.disable')}
              </Button>
            </Group>
          </Stack>
        </form>
        <Anchor component={Link} to="/account" size="sm">
          {t('account.backToAccount')}
        </Anchor>
      </Stack>
    </Paper>
  );
}
