import { Alert, Center, Loader, Stack, Title } from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useNavigate, useParams } from '@tanstack/react-router';
import { useTranslation } from 'react-i18next';
import { api, data } from '../../api/client';
import { PersonForm } from '../../components/PersonForm';
import { notify } from '../../components/notify';
import { problemDetail } from '../../components/problems';
import { contactQuery, personName } from './queries';

/** A new contact (/contacts/new) or an edit of one (/contacts/<id>/edit). */
export default function ContactFormPage() {
  const { t } = useTranslation();
  const { contactId } = useParams({ strict: false });
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const contact = useQuery({ ...contactQuery(contactId ?? ''), enabled: Boolean(contactId) });

  const saved = (id: string) => {
    void queryClient.invalidateQueries({ queryKey: ['contacts'] });
    notify(contactId ? t('contacts.saved') : t('contacts.created'), 'green');
    void navigate({ to: '/contacts/$contactId', params: { contactId: id } });
  };

  if (contactId && contact.isPending) {
    return (
      <Center p="lg">
        <Loader aria-label={t('app.loading')} />
      </Center>
    );
  }
  if (contactId && contact.isError) {
    return (
      <Alert color="red" role="alert">
        {t('app.error', { detail: problemDetail(contact.error) })}
      </Alert>
    );
  }
  const record = contact.data;

  return (
    <Stack maw={900}>
      <Title order={1}>{record ? t('contacts.editTitle', { name: personName(record) }) : t('contacts.newTitle')}</Title>
      <PersonForm
        key={record?.version ?? 'new'}
        module="contacts"
        {...(record ? { record } : {})}
        onSave={(body) =>
          record
            ? data(api.PATCH('/api/v1/contacts/{id}', { params: { path: { id: record.id } }, body }))
            : data(api.POST('/api/v1/contacts', { body }))
        }
        onSaved={saved}
        onCancel={() =>
          void (record ? navigate({ to: '/contacts/$contactId', params: { contactId: record.id } }) : navigate({ to: '/contacts' }))
        }
        onReload={() => contact.refetch()}
      />
    </Stack>
  );
}
