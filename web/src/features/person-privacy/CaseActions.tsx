import { Alert, Group, Stack, Text } from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api, data } from '../../api/client';
import { ButtonLink } from '../../components/links';
import { PersonPrivacyActions } from './PersonPrivacy';

interface CaseRequest {
  id: string;
  type: 'access' | 'rectification' | 'erasure' | 'restriction' | 'objection' | 'portability';
  status: string;
  contactId: string | null;
  leadId: string | null;
}

/**
 * What doing a data-subject request means for its person, on the case page:
 * erase or restrict them (recorded with the case), or go to their record to
 * correct it or record their objection.
 */
export function CaseActions({ request }: { request: CaseRequest }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const kind = request.contactId ? ('contacts' as const) : request.leadId ? ('leads' as const) : null;
  const id = request.contactId ?? request.leadId;
  const open = request.status === 'verified' || request.status === 'in_progress';
  const person = useQuery({
    queryKey: [kind, id],
    queryFn: async (): Promise<{ firstName?: string; lastName?: string; restricted?: boolean }> =>
      kind === 'contacts'
        ? data(api.GET('/api/v1/contacts/{id}', { params: { path: { id: id! } } }))
        : data(api.GET('/api/v1/leads/{id}', { params: { path: { id: id! } } })),
    enabled: open && kind !== null && ['erasure', 'restriction', 'rectification', 'objection'].includes(request.type),
    retry: false,
  });
  if (!open || !kind || !id || !['erasure', 'restriction', 'rectification', 'objection'].includes(request.type)) return null;
  if (person.isError)
    return (
      <Alert color="blue" role="status">
        {t('personPrivacy.case.gone')}
      </Alert>
    );
  if (!person.data) return null;
  const name = `${person.data.firstName ?? ''} ${person.data.lastName ?? ''}`.trim() || t('personPrivacy.case.thePerson');
  const page = kind === 'contacts' ? ('/contacts/$contactId' as const) : ('/leads/$leadId' as const);
  const params = kind === 'contacts' ? { contactId: id } : { leadId: id };
  return (
    <Stack gap="xs">
      <Text size="sm">{t(`personPrivacy.case.${request.type}`, { name })}</Text>
      <Group gap="xs">
        {request.type === 'erasure' && (
          <PersonPrivacyActions
            person={{ kind, id }}
            name={name}
            restricted={person.data.restricted}
            requestId={request.id}
            show={['erase']}
            onErased={() => void queryClient.invalidateQueries({ queryKey: ['privacy', 'requests'] })}
          />
        )}
        {request.type === 'restriction' && (
          <PersonPrivacyActions
            person={{ kind, id }}
            name={name}
            restricted={person.data.restricted}
            requestId={request.id}
            show={['restrict']}
            onErased={() => undefined}
          />
        )}
        {request.type === 'rectification' && (
          <ButtonLink to={kind === 'contacts' ? '/contacts/$contactId/edit' : '/leads/$leadId/edit'} params={params}>
            {t('personPrivacy.case.correct', { name })}
          </ButtonLink>
        )}
        {request.type === 'objection' && (
          <ButtonLink to={page} params={params}>
            {t('personPrivacy.case.openPerson', { name })}
          </ButtonLink>
        )}
      </Group>
    </Stack>
  );
}
