import { Stack, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useNavigate, useParams } from '@tanstack/react-router';
import { useTranslation } from 'react-i18next';
import { Loading, LoadError } from '../../app/RouteStates';
import { PurposeForm } from './PurposeForm';
import { purposeQuery } from './queries';

/** A new purpose (/privacy/purposes/new) or a change to one (/privacy/purposes/<id>/edit). */
export default function PurposeFormPage() {
  const { t } = useTranslation();
  const { purposeId } = useParams({ strict: false });
  const navigate = useNavigate();
  const purpose = useQuery({ ...purposeQuery(purposeId ?? ''), enabled: Boolean(purposeId) });

  if (purposeId && purpose.isPending) return <Loading />;
  if (purposeId && purpose.isError) return <LoadError error={purpose.error} />;
  const record = purpose.data;
  return (
    <Stack maw={900}>
      <Title order={1}>{record ? t('privacy.form.editTitle', { name: record.name }) : t('privacy.form.newTitle')}</Title>
      <PurposeForm
        key={record?.version ?? 'new'}
        {...(record ? { purpose: record } : {})}
        onSaved={(saved) => void navigate({ to: '/privacy/purposes/$purposeId', params: { purposeId: saved.id } })}
        onCancel={() =>
          void (record
            ? navigate({ to: '/privacy/purposes/$purposeId', params: { purposeId: record.id } })
            : navigate({ to: '/privacy/purposes' }))
        }
      />
    </Stack>
  );
}
