import { Table, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api, data } from '../../api/client';
import { AnchorLink } from '../../components/links';
import type { SendResult } from './queries';

type Skipped = SendResult['skipped'][number];

/** Shown at most; the API answers every person, the table keeps the page light. */
const SHOWN = 200;

const fullName = (person: { firstName?: string; lastName?: string }) => [person.firstName, person.lastName].filter(Boolean).join(' ');

/** A skipped person's name as the CRM shows it to this user (a read the CRM records); unknown when it is not theirs to see. */
function PersonCell({ person }: { person: Skipped }) {
  const { t } = useTranslation();
  const kind = person.contactId ? 'contacts' : 'leads';
  const id = (person.contactId ?? person.leadId)!;
  const name = useQuery({
    queryKey: [kind, id, 'name'],
    enabled: person.reason !== 'not_visible',
    retry: false,
    queryFn: async () =>
      kind === 'contacts'
        ? fullName(await data(api.GET('/api/v1/contacts/{id}', { params: { path: { id } } })))
        : fullName(await data(api.GET('/api/v1/leads/{id}', { params: { path: { id } } }))),
  });
  if (person.reason === 'not_visible' || name.isError) return <Text size="sm">{t('campaigns.unknownPerson')}</Text>;
  const label = name.data || t('campaigns.unnamed');
  return kind === 'contacts' ? (
    <AnchorLink to="/contacts/$contactId" params={{ contactId: id }}>
      {label}
    </AnchorLink>
  ) : (
    <AnchorLink to="/leads/$leadId" params={{ leadId: id }}>
      {label}
    </AnchorLink>
  );
}

/** Who was not mailed, and why, in plain words. */
export function SkipReport({ skipped }: { skipped: Skipped[] }) {
  const { t } = useTranslation();
  if (skipped.length === 0) return <Text>{t('campaigns.noneSkipped')}</Text>;
  return (
    <>
      <Table.ScrollContainer minWidth={480}>
        <Table striped>
          <Table.Caption>{t('campaigns.skipCaption', { count: skipped.length })}</Table.Caption>
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">{t('campaigns.person')}</Table.Th>
              <Table.Th scope="col">{t('campaigns.kind')}</Table.Th>
              <Table.Th scope="col">{t('campaigns.reason')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {skipped.slice(0, SHOWN).map((person) => (
              <Table.Tr key={person.contactId ?? person.leadId}>
                <Table.Td>
                  <PersonCell person={person} />
                </Table.Td>
                <Table.Td>{t(person.contactId ? 'campaigns.kinds.contact' : 'campaigns.kinds.lead')}</Table.Td>
                <Table.Td>{t(`campaigns.reasons.${person.reason}`)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {skipped.length > SHOWN && <Text size="sm">{t('campaigns.moreSkipped', { shown: SHOWN, count: skipped.length })}</Text>}
    </>
  );
}
