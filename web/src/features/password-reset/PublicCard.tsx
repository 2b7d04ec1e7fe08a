import { Anchor, Center, Group, Paper, Stack, Title } from '@mantine/core';
import { Link } from '@tanstack/react-router';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { LanguageSwitcher } from '../../app/LanguageSwitcher';

/** The frame of the public pages, as the sign-in page has it. */
export function PublicCard({ title, children }: { title: string; children: ReactNode }) {
  const { t } = useTranslation();
  return (
    <Center mih="100vh" p="md">
      <Paper withBorder shadow="sm" p="xl" radius="md" w="100%" maw={420} component="main" id="main">
        <Stack>
          <Title order={1} size="h2">
            {title}
          </Title>
          {children}
          <Group justify="space-between" align="flex-end">
            <Anchor renderRoot={(props) => <Link {...props} to="/sign-in" search={{ redirect: undefined }} />} size="sm">
              {t('passwordReset.backToSignIn')}
            </Anchor>
            <LanguageSwitcher signedIn={false} />
          </Group>
        </Stack>
      </Paper>
    </Center>
  );
}
