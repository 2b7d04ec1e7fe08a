import { Anchor, Badge, Button, Group, Modal, SimpleGrid, Stack, TextInput, Title } from '@mantine/core';
import { useDebouncedValue, useDisclosure } from '@mantine/hooks';
import { Link, useNavigate } from '@tanstack/react-router';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, data } from '../../api/client';
import { SortSelect } from '../../components/ListControls';
import { usePermissions } from '../../components/permissions';
import { OwnerPicker, TagPicker, useUserNames } from '../../components/Pickers';
import { RecordList, type Column } from '../../components/RecordList';
import { useFormat } from '../../i18n/format';
import { organizationKeys, type Organization, type OrganizationFilters } from './api';
import { OrganizationForm } from './OrganizationForm';

type Sort = NonNullable<OrganizationFilters['sort']>;
const SORTS: Sort[] = ['name', '-name', 'createdAt', '-createdAt', 'updatedAt', '-updatedAt'];

/** Organizations: search by name or domain, filter by industry, owner and tag, sort, page by cursor. */
export default function OrganizationsPage() {
  const { t } = useTranslation();
  const format = useFormat();
  const navigate = useNavigate();
  const { can } = usePermissions();
  const ownerName = useUserNames();
  const [creating, { open, close }] = useDisclosure(false);
  const [q, setQ] = useState('');
  const [industry, setIndustry] = useState('');
  const [ownerId, setOwnerId] = useState<string | null>(null);
  const [tag, setTag] = useState<string | null>(null);
  const [sort, setSort] = useState<Sort>('name');
  const [debouncedQ] = useDebouncedValue(q.trim(), 300);
  const [debouncedIndustry] = useDebouncedValue(industry.trim(), 300);

  const filters: OrganizationFilters = {
    sort,
    ...(debouncedQ && { q: debouncedQ }),
    ...(debouncedIndustry && { industry: debouncedIndustry }),
    ...(ownerId && { ownerId }),
    ...(tag && { tag }),
  };

  const columns: Column<Organization>[] = [
    {
      key: 'name',
      header: t('organizations.fields.name'),
      cell: (organization) => (
        <Anchor
          renderRoot={(props) => <Link {...props} to="/organizations/$organizationId" params={{ organizationId: organization.id }} />}
        >
          {organization.name}
        </Anchor>
      ),
    },
    { key: 'industry', header: t('organizations.fields.industry'), cell: (organization) => organization.industry },
    {
      key: 'tags',
      header: t('organizations.fields.tags'),
      visibleFrom: 'sm',
      cell: (organization) => (
        <Group gap={4}>
          {(organization.tags ?? []).map((name) => (
            <Badge key={name} variant="light">
              {name}
            </Badge>
          ))}
        </Group>
      ),
    },
    { key: 'owner', header: t('organizations.fields.owner'), visibleFrom: 'md', cell: (organization) => ownerName(organization.ownerId) },
    {
      key: 'updatedAt',
      header: t('organizations.fields.updatedAt'),
      visibleFrom: 'sm',
      cell: (organization) => format.date(organization.updatedAt),
    },
  ];

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={1}>{t('organizations.title')}</Title>
        {can('organizations', 'create') && <Button onClick={open}>{t('organizations.new')}</Button>}
      </Group>
      <SimpleGrid cols={{ base: 1, sm: 2, lg: 5 }}>
        <TextInput
          label={t('organizations.filters.search')}
          value={q}
          onChange={(event) => setQ(event.currentTarget.value)}
          type="search"
        />
        <TextInput
          label={t('organizations.fields.industry')}
          value={industry}
          onChange={(event) => setIndustry(event.currentTarget.value)}
        />
        <OwnerPicker value={ownerId} onChange={setOwnerId} />
        <TagPicker value={tag} onChange={setTag} />
        <SortSelect value={sort} options={SORTS.map((value) => ({ value, label: t(`organizations.sorts.${value}`) }))} onChange={setSort} />
      </SimpleGrid>
      <RecordList<Organization>
        queryKey={[...organizationKeys.all, 'list', filters]}
        fetchPage={(cursor, limit) =>
          data(api.GET('/api/v1/organizations', { params: { query: { ...filters, limit, ...(cursor && { cursor }) } } }))
        }
        columns={columns}
        rowKey={(organization) => organization.id}
        caption={t('organizations.caption')}
        empty={t('organizations.empty')}
      />
      <Modal
        opened={creating}
        onClose={close}
        closeButtonProps={{ 'aria-label': t('organizations.shared.close') }}
        title={t('organizations.new')}
      >
        <OrganizationForm
          onSaved={(saved) => {
            close();
            void navigate({ to: '/organizations/$organizationId', params: { organizationId: saved.id } });
          }}
        />
      </Modal>
    </Stack>
  );
}
