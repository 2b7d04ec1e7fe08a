import { Alert, Badge, Button, Group, List, SimpleGrid, Stack, Text, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api, ApiError, data } from '../../api/client';
import { Loading, LoadError } from '../../app/RouteStates';
import { ButtonLink } from '../../components/links';
import { notify } from '../../components/notify';
import { usePermissions } from '../../components/permissions';
import { problemDetail } from '../../components/problems';
import { Field } from '../organizations/shared-ui';
import { NoticesSection } from './NoticesSection';
import { LIA_FIELDS, privacyKeys, purposeQuery, type Purpose } from './queries';
import { purposeRoute } from './routes';

/** One purpose: its facts, its LIA, its public sign-up address (consent) and its notices. */
export default function PurposePage() {
  const { t } = useTranslation();
  const { purposeId } = purposeRoute.useParams();
  const { can } = usePermissions();
  const queryClient = useQueryClient();
  const purpose = useQuery(purposeQuery(purposeId));
  const status = useMutation({
    mutationFn: (next: { status: 'active' | 'retired'; version: number }) =>
      data(api.PATCH('/api/v1/privacy/purposes/{id}', { params: { path: { id: purposeId } }, body: next })),
    onSuccess: async (saved: Purpose) => {
      queryClient.setQueryData(privacyKeys.purpose(saved.id), saved);
      await queryClient.invalidateQueries({ queryKey: privacyKeys.purposes });
      notify(saved.status === 'retired' ? t('privacy.purpose.retired') : t('privacy.purpose.reactivated'));
    },
  });

  if (purpose.isPending) return <Loading />;
  if (purpose.isError) return <LoadError error={purpose.error} />;
  const p = purpose.data;
  const canEdit = can('privacy', 'edit');
  const list = (values: readonly string[]) => (values.length > 0 ? values.join(', ') : t('privacy.none'));
  const statusError = status.error
    ? status.error instanceof ApiError && status.error.code === 'lia_required'
      ? t('privacy.form.liaRequired')
      : t('app.error', { detail: problemDetail(status.error) })
    : null;

  return (
    <Stack>
      <Group justify="space-between" wrap="wrap">
        <Group gap="sm">
          <Title order={1}>{p.name}</Title>
          <Badge color={p.status === 'active' ? 'teal.9' : 'gray.7'}>{t(`privacy.status.${p.status}`)}</Badge>
        </Group>
        {canEdit && (
          <Group gap="xs">
            <ButtonLink to="/privacy/purposes/$purposeId/edit" params={{ purposeId: p.id }} variant="default">
              {t('privacy.purpose.edit')}
            </ButtonLink>
            <Button
              variant="default"
              color={p.status === 'active' ? 'red' : undefined}
              loading={status.isPending}
              onClick={() => status.mutate({ status: p.status === 'active' ? 'retired' : 'active', version: p.version })}
            >
              {p.status === 'active' ? t('privacy.purpose.retire') : t('privacy.purpose.reactivate')}
            </Button>
          </Group>
        )}
      </Group>
      {statusError && (
        <Alert color="red" role="alert">
          {statusError}
        </Alert>
      )}
      {p.status === 'retired' && <Alert color="gray">{t('privacy.purpose.retiredNote')}</Alert>}
      {p.lawfulBasis === 'consent' && !p.hasNotice.en && !p.hasNotice.nl && (
        <Alert color="blue" title={t('privacy.purpose.noticeMissingTitle')}>
          {t('privacy.purpose.noticeMissing')}
        </Alert>
      )}
      {p.description && <Text>{p.description}</Text>}
      <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="md">
        <Field label={t('privacy.fields.lawfulBasis')}>
          {t(`privacy.bases.${p.lawfulBasis}.label`)}
          <Text size="sm">{t(`privacy.bases.${p.lawfulBasis}.help`)}</Text>
        </Field>
        <Field label={t('privacy.fields.retentionDays')}>{t('privacy.days', { count: p.retentionDays })}</Field>
        <Field label={t('privacy.fields.dataCategories')}>{list(p.dataCategories)}</Field>
        <Field label={t('privacy.fields.recipients')}>{list(p.recipients)}</Field>
        <Field label={t('privacy.fields.transfers')}>
          {p.transfers.length > 0 ? p.transfers.map((x) => `${x.country} (${x.safeguard})`).join('; ') : t('privacy.none')}
        </Field>
        <Field label={t('privacy.fields.marketing')}>{p.marketing ? t('privacy.yes') : t('privacy.no')}</Field>
      </SimpleGrid>

      {p.lia && (
        <Stack component="section" aria-labelledby="lia-heading" gap="xs">
          <Title order={2} id="lia-heading" size="h3">
            {t('privacy.lia.title')}
          </Title>
          <List listStyleType="none" spacing="xs">
            {LIA_FIELDS.map((field) => (
              <List.Item key={field}>
                <Text fw={600} size="sm">
                  {t(`privacy.lia.${field}`)}
                </Text>
                <Text size="sm" style={{ whiteSpace: 'pre-wrap' }}>
                  {p.lia?.[field] || '—'}
                </Text>
              </List.Item>
            ))}
          </List>
        </Stack>
      )}

      {p.signUpPath && (
        <TextInput
          label={t('privacy.purpose.signUpUrl')}
          description={t('privacy.purpose.signUpUrlHint')}
          readOnly
          value={`${location.origin}${p.signUpPath}`}
          onFocus={(event) => event.currentTarget.select()}
        />
      )}

      <NoticesSection purpose={p} canEdit={canEdit} />
    </Stack>
  );
}
