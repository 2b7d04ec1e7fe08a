import { Alert, Stack, Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { appRoute } from '../../app/app-route';

/** Placeholder: 2FA enrolment (QR code, code check, recovery codes). Sessions under a "2FA required" policy land here. */
export default function TwoFactorPage() {
  const { t } = useTranslation();
  const { session } = appRoute.useRouteContext();
  return (
    <Stack>
      <Title order={1}>{t('account.twoFactorTitle')}</Title>
      {session.mfaEnrolmentRequired && <Alert color="yellow">{t('account.twoFactorRequired')}</Alert>}
    </Stack>
  );
}
