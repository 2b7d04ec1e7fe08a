import { Badge, Group, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { Loading, LoadError } from '../../app/RouteStates';
import { AnchorLink, ButtonLink } from '../../components/links';
import { usePermissions } from '../../components/permissions';
import { purposesQuery } from './queries';

/** Every purpose of the tenant, active first; retired ones stay listed. */
export default function PurposesPage() {
  const { t } = useTranslation();
  const { can } = usePermissions();
  const purposes = useQuery(purposesQuery);

  return (
    <Stack>
      <Group justify="space-between" wrap="wrap">
        <Title order={1}>{t('privacy.purposes.title')}</Title>
        {can('privacy', 'edit') && <ButtonLink to="/privacy/purposes/new">{t('privacy.purposes.new')}</ButtonLink>}
      </Group>
      <Text size="sm">{t('privacy.purposes.intro')}</Text>
      {purposes.isPending ? (
        <Loading />
      ) : purposes.isError ? (
        <LoadError error={purposes.error} />
      ) : purposes.data.length === 0 ? (
        <Text>{t('privacy.purposes.none')}</Text>
      ) : (
        <Table.ScrollContainer minWidth={640}>
          <Table striped>
            <Table.Caption>{t('privacy.purposes.caption')}</Table.Caption>
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">{t('privacy.fields.name')}</Table.Th>
                <Table.Th scope="col">{t('privacy.fields.lawfulBasis')}</Table.Th>
                <Table.Th scope="col">{t('privacy.fields.retentionDays')}</Table.Th>
                <Table.Th scope="col">{t('privacy.purposes.notices')}</Table.Th>
                <Table.Th scope="col">{t('privacy.fields.status')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {purposes.data.map((purpose) => (
                <Table.Tr key={purpose.id}>
                  <Table.Td>
                    <AnchorLink to="/privacy/purposes/$purposeId" params={{ purposeId: purpose.id }}>
                      {purpose.name}
                    </AnchorLink>
                    {purpose.marketing && (
                      <Badge ml="xs" size="sm" variant="outline" color="dark">
                        {t('privacy.fields.marketingBadge')}
                      </Badge>
                    )}
                  </Table.Td>
                  <Table.Td>{t(`privacy.bases.${purpose.lawfulBasis}.label`)}</Table.Td>
                  <Table.Td>{t('privacy.days', { count: purpose.retentionDays })}</Table.Td>
                  <Table.Td>
                    {(['en', 'nl'] as const)
                      .filter((language) => purpose.hasNotice[language])
                      .map((language) => t(`languages.${language}`))
                      .join(', ') || t('privacy.purposes.noNotice')}
                  </Table.Td>
                  <Table.Td>
                    <Badge color={purpose.status === 'active' ? 'teal.9' : 'gray.7'}>{t(`privacy.status.${purpose.status}`)}</Badge>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Stack>
  );
}
