import { Badge, Button, Group, Stack, TextInput, Title } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useNavigate } from '@tanstack/react-router';
import { AnchorLink, ButtonLink } from '../../components/links';
import { useTranslation } from 'react-i18next';
import { api, data } from '../../api/client';
import { activeFilters, RecordFilters, SortSelect, type ListFilters } from '../../components/ListControls';
import { usePermissions } from '../../components/permissions';
import { RecordList } from '../../components/RecordList';
import { useFormat } from '../../i18n/format';
import { type Contact } from './queries';
import { CONTACT_SORTS, contactsRoute, type ContactSort } from './routes';

/** Contacts: search by name prefix or exact e-mail, filters, sort, a keyset-paged list. */
export default function ContactsPage() {
  const { t } = useTranslation();
  const format = useFormat();
  const search = contactsRoute.useSearch();
  const navigate = useNavigate({ from: contactsRoute.fullPath });
  const { can } = usePermissions();
  const sort: ContactSort = search.sort ?? '-createdAt';
  const filters = activeFilters(search);

  const form = useForm({ initialValues: { q: search.q ?? '', email: search.email ?? '' } });
  const find = form.onSubmit((values) => {
    void navigate({ search: (previous) => ({ ...previous, q: values.q.trim() || undefined, email: values.email.trim() || undefined }) });
  });
  const setFilters = (next: ListFilters) =>
    void navigate({ search: (previous) => ({ q: previous.q, email: previous.email, sort: previous.sort, ...activeFilters(next) }) });

  const query = { ...filters, sort, ...(search.q ? { q: search.q } : {}), ...(search.email ? { email: search.email } : {}) };
  const exportHref = `/api/v1/exports/contacts.csv?${new URLSearchParams(filters as Record<string, string>).toString()}`;

  return (
    <Stack>
      <Group justify="space-between" wrap="wrap">
        <Title order={1}>{t('contacts.title')}</Title>
        <Group gap="xs">
          {can('contacts', 'export') && (
            <Button component="a" href={exportHref} download variant="default">
              {t('contacts.export')}
            </Button>
          )}
          {can('contacts', 'create') && <ButtonLink to="/contacts/new">{t('contacts.new')}</ButtonLink>}
        </Group>
      </Group>
      <form onSubmit={find} role="search" aria-label={t('contacts.searchLabel')}>
        <Group align="flex-end" wrap="wrap" gap="sm">
          <TextInput
            label={t('contacts.searchName')}
            description={t('contacts.searchNameHint')}
            type="search"
            w={{ base: '100%', xs: 240 }}
            {...form.getInputProps('q')}
          />
          <TextInput
            label={t('contacts.searchEmail')}
            description={t('contacts.searchEmailHint')}
            type="email"
            w={{ base: '100%', xs: 240 }}
            {...form.getInputProps('email')}
          />
          <Button type="submit">{t('contacts.search')}</Button>
          <SortSelect<ContactSort>
            value={sort}
            options={CONTACT_SORTS.map((value) => ({ value, label: t(`contacts.sorts.${value}`) }))}
            onChange={(next) => void navigate({ search: (previous) => ({ ...previous, sort: next }) })}
          />
        </Group>
      </form>
      <RecordFilters value={filters} onChange={setFilters} />
      <RecordList<Contact>
        queryKey={['contacts', 'list', query]}
        caption={t('contacts.caption')}
        empty={search.q || search.email || Object.keys(filters).length > 0 ? t('contacts.noneFound') : t('contacts.none')}
        rowKey={(contact) => contact.id}
        fetchPage={(cursor, limit) =>
          data(api.GET('/api/v1/contacts', { params: { query: { ...query, limit, ...(cursor ? { cursor } : {}) } } }))
        }
        columns={[
          {
            key: 'name',
            header: t('contacts.name'),
            cell: (contact) => (
              <AnchorLink to="/contacts/$contactId" params={{ contactId: contact.id }}>
                {[contact.firstName, contact.lastName].filter(Boolean).join(' ') || t('contacts.unnamed')}
              </AnchorLink>
            ),
          },
          { key: 'email', header: t('contacts.email'), cell: (contact) => contact.emails?.[0]?.value ?? '' },
          { key: 'jobTitle', header: t('contacts.jobTitle'), visibleFrom: 'md', cell: (contact) => contact.jobTitle ?? '' },
          {
            key: 'tags',
            header: t('contacts.tags'),
            visibleFrom: 'sm',
            cell: (contact) => (
              <Group gap={4}>
                {(contact.tags ?? []).map((tag) => (
                  <Badge key={tag} variant="light" size="sm">
                    {tag}
                  </Badge>
                ))}
              </Group>
            ),
          },
          {
            key: sort.includes('updatedAt') ? 'updatedAt' : 'createdAt',
            header: sort.includes('updatedAt') ? t('contacts.updatedAt') : t('contacts.createdAt'),
            visibleFrom: 'sm',
            cell: (contact) => format.date(sort.includes('updatedAt') ? contact.updatedAt : contact.createdAt),
          },
        ]}
      />
    </Stack>
  );
}
