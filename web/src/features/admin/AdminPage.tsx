import { Alert, Stack, Tabs, Title } from '@mantine/core';
import { useNavigate } from '@tanstack/react-router';
import { useTranslation } from 'react-i18next';
import { appRoute } from '../../app/app-route';
import { AuditPanel } from './AuditPanel';
import { BackupsPanel } from './BackupsPanel';
import { GroupsPanel } from './GroupsPanel';
import { ProfilesPanel } from './ProfilesPanel';
import { RolesPanel } from './RolesPanel';
import { ADMIN_SECTIONS, adminRoute, type AdminSection } from './routes';
import { SecurityPanel } from './SecurityPanel';
import { SharingPanel } from './SharingPanel';
import { UsersPanel } from './UsersPanel';

const PANELS: Record<AdminSection, () => React.JSX.Element> = {
  users: UsersPanel,
  roles: RolesPanel,
  profiles: ProfilesPanel,
  groups: GroupsPanel,
  sharing: SharingPanel,
  security: SecurityPanel,
  audit: AuditPanel,
  backups: BackupsPanel,
};

/** Administration: users, roles, profiles, groups, sharing, the 2FA policy, the audit trail and backups (administrators only). */
export default function AdminPage() {
  const { t } = useTranslation();
  const { session } = appRoute.useRouteContext();
  const { section } = adminRoute.useSearch();
  const navigate = useNavigate({ from: '/admin' });

  if (!session.user.isAdmin) {
    return (
      <Stack>
        <Title order={1}>{t('admin.title')}</Title>
        <Alert color="blue" title={t('admin.adminsOnlyTitle')}>
          {t('admin.adminsOnly')}
        </Alert>
      </Stack>
    );
  }

  const Panel = PANELS[section];
  return (
    <Stack>
      <Title order={1}>{t('admin.title')}</Title>
      <Tabs
        value={section}
        onChange={(value) => {
          if (value) void navigate({ search: { section: value as AdminSection } });
        }}
        keepMounted={false}
      >
        <Tabs.List style={{ flexWrap: 'wrap' }}>
          {ADMIN_SECTIONS.map((name) => (
            <Tabs.Tab key={name} value={name}>
              {t(`admin.sections.${name}`)}
            </Tabs.Tab>
          ))}
        </Tabs.List>
        <Tabs.Panel value={section} pt="md">
          <Panel />
        </Tabs.Panel>
      </Tabs>
    </Stack>
  );
}
