import { Badge, Button, Group, Select, Stack, TextInput, Title } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useNavigate } from '@tanstack/react-router';
import { AnchorLink, ButtonLink } from '../../components/links';
import { useTranslation } from 'react-i18next';
import { api, data } from '../../api/client';
import { activeFilters, RecordFilters, SortSelect, type ListFilters } from '../../components/ListControls';
import { usePermissions } from '../../components/permissions';
import { RecordList } from '../../components/RecordList';
import { useFormat } from '../../i18n/format';
import { personName, type Lead } from './queries';
import { LEAD_FILTER_STATUSES, LEAD_SORTS, leadsRoute, type LeadSort, type LeadStatus } from './routes';

/** Leads: search by name prefix or exact e-mail, status and the common filters, sort, a keyset-paged list. */
export default function LeadsPage() {
  const { t } = useTranslation();
  const format = useFormat();
  const search = leadsRoute.useSearch();
  const navigate = useNavigate({ from: leadsRoute.fullPath });
  const { can } = usePermissions();
  const sort: LeadSort = search.sort ?? '-createdAt';
  const filters = activeFilters(search);

  const form = useForm({ initialValues: { q: search.q ?? '', email: search.email ?? '' } });
  const find = form.onSubmit((values) => {
    void navigate({ search: (previous) => ({ ...previous, q: values.q.trim() || undefined, email: values.email.trim() || undefined }) });
  });
  const setFilters = (next: ListFilters) =>
    void navigate({
      search: (previous) => ({
        q: previous.q,
        email: previous.email,
        sort: previous.sort,
        status: previous.status,
        ...activeFilters(next),
      }),
    });

  const query = {
    ...filters,
    sort,
    ...(search.q ? { q: search.q } : {}),
    ...(search.email ? { email: search.email } : {}),
    ...(search.status ? { status: search.status } : {}),
  };

  return (
    <Stack>
      <Group justify="space-between" wrap="wrap">
        <Title order={1}>{t('leads.title')}</Title>
        {can('leads', 'create') && <ButtonLink to="/leads/new">{t('leads.new')}</ButtonLink>}
      </Group>
      <form onSubmit={find} role="search" aria-label={t('leads.searchLabel')}>
        <Group align="flex-end" wrap="wrap" gap="sm">
          <TextInput
            label={t('leads.searchName')}
            description={t('leads.searchNameHint')}
            type="search"
            w={{ base: '100%', xs: 240 }}
            {...form.getInputProps('q')}
          />
          <TextInput
            label={t('leads.searchEmail')}
            description={t('leads.searchEmailHint')}
            type="email"
            w={{ base: '100%', xs: 240 }}
            {...form.getInputProps('email')}
          />
          <Button type="submit">{t('leads.search')}</Button>
          <Select
            label={t('leads.status')}
            data={LEAD_FILTER_STATUSES.map((value) => ({ value, label: t(`components.person.statuses.${value}`) }))}
            value={search.status ?? null}
            onChange={(next) =>
              void navigate({ search: (previous) => ({ ...previous, status: (next as LeadStatus | null) ?? undefined }) })
            }
            placeholder={t('components.filters.any')}
            clearable
            w={{ base: '100%', xs: 180 }}
          />
          <SortSelect<LeadSort>
            value={sort}
            options={LEAD_SORTS.map((value) => ({ value, label: t(`leads.sorts.${value}`) }))}
            onChange={(next) => void navigate({ search: (previous) => ({ ...previous, sort: next }) })}
          />
        </Group>
      </form>
      <RecordFilters value={filters} onChange={setFilters} />
      <RecordList<Lead>
        queryKey={['leads', 'list', query]}
        caption={t('leads.caption')}
        empty={search.q || search.email || search.status || Object.keys(filters).length > 0 ? t('leads.noneFound') : t('leads.none')}
        rowKey={(lead) => lead.id}
        fetchPage={(cursor, limit) =>
          data(api.GET('/api/v1/leads', { params: { query: { ...query, limit, ...(cursor ? { cursor } : {}) } } }))
        }
        columns={[
          {
            key: 'name',
            header: t('leads.name'),
            cell: (lead) => (
              <AnchorLink to="/leads/$leadId" params={{ leadId: lead.id }}>
                {personName(lead) || t('leads.unnamed')}
              </AnchorLink>
            ),
          },
          { key: 'company', header: t('leads.company'), cell: (lead) => lead.company ?? '' },
          { key: 'email', header: t('leads.email'), visibleFrom: 'md', cell: (lead) => lead.emails?.[0]?.value ?? '' },
          {
            key: 'status',
            header: t('leads.status'),
            visibleFrom: 'sm',
            cell: (lead) =>
              lead.status && (
                <Badge variant="light" color={lead.status === 'converted' ? 'green' : undefined}>
                  {t(`components.person.statuses.${lead.status}`)}
                </Badge>
              ),
          },
          {
            key: 'date',
            header: sort.includes('updatedAt') ? t('leads.updatedAt') : t('leads.createdAt'),
            visibleFrom: 'sm',
            cell: (lead) => format.date(sort.includes('updatedAt') ? lead.updatedAt : lead.createdAt),
          },
        ]}
      />
    </Stack>
  );
}
