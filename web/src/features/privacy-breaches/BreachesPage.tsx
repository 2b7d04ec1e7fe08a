import { Badge, Button, Group, Stack, Table, Text, Title } from '@mantine/core';
import { useInfiniteQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { Loading, LoadError } from '../../app/RouteStates';
import { AnchorLink, ButtonLink } from '../../components/links';
import { usePermissions } from '../../components/permissions';
import { useFormat } from '../../i18n/format';
import { Countdown } from './Countdown';
import { breachesQuery, STATUS_COLORS } from './queries';

/** The breach register, newest first, each with its live 72-hour countdown. */
export default function BreachesPage() {
  const { t } = useTranslation();
  const format = useFormat();
  const { can } = usePermissions();
  const breaches = useInfiniteQuery(breachesQuery);
  const items = breaches.data?.pages.flatMap((page) => page.items) ?? [];

  return (
    <Stack>
      <Group justify="space-between" wrap="wrap">
        <Title order={1}>{t('privacyBreaches.title')}</Title>
        {can('privacy', 'edit') && <ButtonLink to="/privacy/breaches/new">{t('privacyBreaches.new')}</ButtonLink>}
      </Group>
      <Text size="sm">{t('privacyBreaches.intro')}</Text>
      {breaches.isPending ? (
        <Loading />
      ) : breaches.isError ? (
        <LoadError error={breaches.error} />
      ) : items.length === 0 ? (
        <Text>{t('privacyBreaches.none')}</Text>
      ) : (
        <Table.ScrollContainer minWidth={760}>
          <Table striped>
            <Table.Caption>{t('privacyBreaches.caption')}</Table.Caption>
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">{t('privacyBreaches.fields.detectedAt')}</Table.Th>
                <Table.Th scope="col">{t('privacyBreaches.fields.nature')}</Table.Th>
                <Table.Th scope="col">{t('privacyBreaches.fields.approxSubjects')}</Table.Th>
                <Table.Th scope="col">{t('privacyBreaches.fields.deadline')}</Table.Th>
                <Table.Th scope="col">{t('privacyBreaches.fields.status')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((breach) => (
                <Table.Tr key={breach.id}>
                  <Table.Td>
                    <AnchorLink to="/privacy/breaches/$breachId" params={{ breachId: breach.id }}>
                      {format.dateTime(breach.detectedAt)}
                    </AnchorLink>
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm" lineClamp={2}>
                      {breach.nature}
                    </Text>
                  </Table.Td>
                  <Table.Td>{format.number(breach.approxSubjects)}</Table.Td>
                  <Table.Td>
                    <Countdown breach={breach} />
                  </Table.Td>
                  <Table.Td>
                    <Badge color={STATUS_COLORS[breach.status]}>{t(`privacyBreaches.statuses.${breach.status}`)}</Badge>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      {breaches.hasNextPage && (
        <Group justify="center">
          <Button variant="default" loading={breaches.isFetchingNextPage} onClick={() => void breaches.fetchNextPage()}>
            {t('privacyBreaches.more')}
          </Button>
        </Group>
      )}
    </Stack>
  );
}
