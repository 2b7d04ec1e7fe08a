import { TextInput } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { publicFormQuery } from './queries';

/** The address of the tenant's public request form, to link from the tenant's own website. */
export function PublicFormAddress() {
  const { t } = useTranslation();
  const form = useQuery(publicFormQuery);
  if (!form.data) return null;
  return (
    <TextInput
      maw={640}
      label={t('privacyExport.publicForm')}
      description={t('privacyExport.publicFormHint')}
      readOnly
      value={`${location.origin}${form.data.path}`}
      onFocus={(event) => event.currentTarget.select()}
    />
  );
}
