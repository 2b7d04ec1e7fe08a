import { Alert, Center, Loader, Stack, Title } from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useNavigate, useParams } from '@tanstack/react-router';
import { useTranslation } from 'react-i18next';
import { api, data } from '../../api/client';
import { PersonForm } from '../../components/PersonForm';
import { notify } from '../../components/notify';
import { problemDetail } from '../../components/problems';
import { leadQuery, personName } from './queries';

/** A new lead (/leads/new) or an edit of one (/leads/<id>/edit). */
export default function LeadFormPage() {
  const { t } = useTranslation();
  const { leadId } = useParams({ strict: false });
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const lead = useQuery({ ...leadQuery(leadId ?? ''), enabled: Boolean(leadId) });

  const saved = (id: string) => {
    void queryClient.invalidateQueries({ queryKey: ['leads'] });
    notify(leadId ? t('leads.saved') : t('leads.created'), 'green');
    void navigate({ to: '/leads/$leadId', params: { leadId: id } });
  };

  if (leadId && lead.isPending) {
    return (
      <Center p="lg">
        <Loader aria-label={t('app.loading')} />
      </Center>
    );
  }
  if (leadId && lead.isError) {
    return (
      <Alert color="red" role="alert">
        {t('app.error', { detail: problemDetail(lead.error) })}
      </Alert>
    );
  }
  const record = lead.data;

  return (
    <Stack maw={900}>
      <Title order={1}>{record ? t('leads.editTitle', { name: personName(record) }) : t('leads.newTitle')}</Title>
      <PersonForm
        key={record?.version ?? 'new'}
        module="leads"
        {...(record ? { record } : {})}
        onSave={(body) =>
          record
            ? data(api.PATCH('/api/v1/leads/{id}', { params: { path: { id: record.id } }, body }))
            : data(api.POST('/api/v1/leads', { body }))
        }
        onSaved={saved}
        onCancel={() => void (record ? navigate({ to: '/leads/$leadId', params: { leadId: record.id } }) : navigate({ to: '/leads' }))}
        onReload={() => lead.refetch()}
      />
    </Stack>
  );
}
