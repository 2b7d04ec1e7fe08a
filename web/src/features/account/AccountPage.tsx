import { Anchor, Badge, Group, Paper, Stack, Text, Title } from '@mantine/core';
import { Link } from '@tanstack/react-router';
import { useTranslation } from 'react-i18next';
import { appRoute } from '../../app/app-route';
import { PasswordSection } from './PasswordSection';
import { ProfileSection } from './ProfileSection';
import { SessionsSection } from './SessionsSection';
import { TokensSection } from './TokensSection';

/** My account: profile and language, password, two-step verification, sessions and API tokens. */
export default function AccountPage() {
  const { t } = useTranslation();
  const { session } = appRoute.useRouteContext();
  return (
    <Stack maw={960}>
      <Title order={1}>{t('account.title')}</Title>
      <ProfileSection />
      <PasswordSection />
      <Paper withBorder p="md" component="section" aria-labelledby="account-mfa">
        <Stack gap="xs">
          <Title order={2} size="h3" id="account-mfa">
            {t('account.mfaTitle')}
          </Title>
          <Group>
            <Badge color={session.user.mfaEnabled ? 'teal.9' : 'gray.8'}>
              {session.user.mfaEnabled ? t('account.mfaOn') : t('account.mfaOff')}
            </Badge>
            <Anchor component={Link} to="/account/two-factor">
              {session.user.mfaEnabled ? t('account.mfaManage') : t('account.mfaSetUp')}
            </Anchor>
          </Group>
          <Text size="sm" c="dimmed">
            {t('account.mfaIntro')}
          </Text>
        </Stack>
      </Paper>
      <SessionsSection />
      <TokensSection />
    </Stack>
  );
}
