import { Alert, Anchor, Badge, Button, Grid, Group, List, Modal, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate } from '@tanstack/react-router';
import { useTranslation } from 'react-i18next';
import { api, data } from '../../api/client';
import { Loading } from '../../app/RouteStates';
import { useFormat } from '../../i18n/format';
import { ActivitiesPanel } from '../activities/ActivitiesPanel';
import { dealKeys } from '../deals/api';
import { DealForm } from '../deals/DealForm';
import { DealsTable } from '../deals/DealsTable';
import { FilesPanel } from '../files/FilesPanel';
import { NotesPanel } from '../notes/NotesPanel';
import { usePermissions } from '../../components/permissions';
import { useUserNames } from '../../components/Pickers';
import { organizationKeys, organizationQuery } from './api';
import { OrganizationForm } from './OrganizationForm';
import { organizationRoute } from './routes';
import { DeleteButton, Field } from './shared-ui';

/** One organization: its facts, its contacts and deals, its activities and notes; edit and delete. */
export default function OrganizationPage() {
  const { t } = useTranslation();
  const format = useFormat();
  const { organizationId } = organizationRoute.useParams();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [editing, edit] = useDisclosure(false);
  const [addingDeal, addDeal] = useDisclosure(false);
  const organization = useQuery(organizationQuery(organizationId));
  const { can } = usePermissions();
  const ownerName = useUserNames();
  const contacts = useQuery({
    queryKey: ['contacts', 'of-organization', organizationId],
    queryFn: () => data(api.GET('/api/v1/contacts', { params: { query: { organizationId, limit: 50 } } })),
  });
  const deals = useQuery({
    queryKey: [...dealKeys.all, 'of-organization', organizationId],
    queryFn: () => data(api.GET('/api/v1/deals', { params: { query: { organizationId, limit: 50, sort: '-updatedAt' } } })),
  });

  if (organization.isPending) return <Loading />;
  if (organization.isError)
    return (
      <Alert color="red" role="alert">
        {t('app.error', { detail: organization.error.message })}
      </Alert>
    );
  const current = organization.data;

  const remove = async () => {
    await api.DELETE('/api/v1/organizations/{id}', { params: { path: { id: current.id } } });
    await queryClient.invalidateQueries({ queryKey: organizationKeys.all });
    await navigate({ to: '/organizations' });
  };

  return (
    <Stack gap="lg">
      <Group justify="space-between" align="flex-start">
        <Stack gap={4}>
          <Anchor component={Link} to="/organizations" size="sm">
            {t('organizations.back')}
          </Anchor>
          <Title order={1}>{current.name}</Title>
        </Stack>
        <Group>
          {can('organizations', 'edit') && <Button onClick={edit.open}>{t('organizations.edit')}</Button>}
          {can('organizations', 'delete') && <DeleteButton what={current.name} onConfirm={remove} />}
        </Group>
      </Group>
      <SimpleGrid cols={{ base: 1, xs: 2, md: 4 }}>
        <Field label={t('organizations.fields.industry')}>{current.industry}</Field>
        <Field label={t('organizations.fields.domain')}>{current.domain}</Field>
        <Field label={t('organizations.fields.website')}>{current.website}</Field>
        <Field label={t('organizations.fields.phone')}>{current.phone}</Field>
        <Field label={t('organizations.fields.tags')}>
          {(current.tags ?? []).length > 0 && (
            <Group gap={4}>
              {(current.tags ?? []).map((name) => (
                <Badge key={name} variant="light">
                  {name}
                </Badge>
              ))}
            </Group>
          )}
        </Field>
        <Field label={t('organizations.fields.owner')}>{ownerName(current.ownerId)}</Field>
        <Field label={t('organizations.fields.updatedAt')}>{format.dateTime(current.updatedAt)}</Field>
      </SimpleGrid>

      <Stack component="section" aria-labelledby="contacts-heading" gap="xs">
        <Title order={2} size="h3" id="contacts-heading">
          {t('organizations.contacts')}
        </Title>
        {contacts.data && contacts.data.items.length > 0 ? (
          <List>
            {contacts.data.items.map((contact) => (
              <List.Item key={contact.id}>
                <Anchor renderRoot={(props) => <Link {...props} to="/contacts/$contactId" params={{ contactId: contact.id }} />}>
                  {[contact.firstName, contact.lastName].filter(Boolean).join(' ')}
                </Anchor>
              </List.Item>
            ))}
          </List>
        ) : (
          <Text c="dimmed">{t('organizations.noContacts')}</Text>
        )}
      </Stack>

      <Stack component="section" aria-labelledby="deals-heading" gap="xs">
        <Group justify="space-between">
          <Title order={2} size="h3" id="deals-heading">
            {t('organizations.deals')}
          </Title>
          {can('deals', 'create') && (
            <Button variant="light" onClick={addDeal.open}>
              {t('organizations.newDeal')}
            </Button>
          )}
        </Group>
        {deals.data && deals.data.items.length > 0 ? (
          <DealsTable deals={deals.data.items} />
        ) : (
          <Text c="dimmed">{t('organizations.noDeals')}</Text>
        )}
      </Stack>

      <Grid gap="xl">
        <Grid.Col span={{ base: 12, md: 6 }}>
          <ActivitiesPanel target={{ organizationId: current.id }} />
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 6 }}>
          <NotesPanel target={{ organizationId: current.id }} />
        </Grid.Col>
      </Grid>
      <FilesPanel target={{ organizationId: current.id }} />

      <Modal
        opened={editing}
        onClose={edit.close}
        closeButtonProps={{ 'aria-label': t('organizations.shared.close') }}
        title={t('organizations.edit')}
      >
        <OrganizationForm key={current.version} organization={current} onSaved={edit.close} />
      </Modal>
      <Modal
        opened={addingDeal}
        onClose={addDeal.close}
        closeButtonProps={{ 'aria-label': t('organizations.shared.close') }}
        title={t('organizations.newDeal')}
        size="lg"
      >
        <DealForm organization={{ id: current.id, name: current.name }} onSaved={addDeal.close} />
      </Modal>
    </Stack>
  );
}
