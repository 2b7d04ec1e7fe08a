import { Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { AnchorLink } from '../../components/links';
import type { PrivacyRequest } from './queries';

/** Who the case is about: a link to the contact or lead (their page shows the name), or how the case knows them. */
export function PersonLink({ request }: { request: Pick<PrivacyRequest, 'contactId' | 'leadId' | 'hasEmail'> }) {
  const { t } = useTranslation();
  if (request.contactId)
    return (
      <AnchorLink to="/contacts/$contactId" params={{ contactId: request.contactId }}>
        {t('privacyRequests.contact')}
      </AnchorLink>
    );
  if (request.leadId)
    return (
      <AnchorLink to="/leads/$leadId" params={{ leadId: request.leadId }}>
        {t('privacyRequests.lead')}
      </AnchorLink>
    );
  return (
    <Text span size="sm" c="dimmed">
      {request.hasEmail ? t('privacyRequests.byEmailOnly') : t('privacyRequests.noPerson')}
    </Text>
  );
}
