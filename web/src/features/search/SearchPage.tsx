import { Alert, Anchor, Badge, Center, Group, Loader, Paper, Stack, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useRouter } from '@tanstack/react-router';
import { useTranslation } from 'react-i18next';
import { api, data } from '../../api/client';
import { problemDetail } from '../../components/problems';
import { searchRoute } from './routes';
import { SearchBox } from './SearchBox';

const MODULES = ['contacts', 'leads', 'organizations', 'deals'] as const;
type Module = (typeof MODULES)[number];

/** Global search: contacts, leads, organizations and deals at once, grouped by kind. */
export default function SearchPage() {
  const { t } = useTranslation();
  const { q } = searchRoute.useSearch();
  const router = useRouter();
  const results = useQuery({
    queryKey: ['search', q],
    queryFn: async () => (await data(api.GET('/api/v1/search', { params: { query: { q: q!, limit: 20 } } }))).items,
    enabled: Boolean(q),
  });

  // Each kind's own screen, whichever feature registers it.
  const open = (module: Module, id: string) => `/${module}/${id}`;

  return (
    <Stack>
      <Title order={1}>{t('search.title')}</Title>
      <SearchBox key={q ?? ''} initial={q ?? ''} />
      {!q && <Text c="dimmed">{t('search.hint')}</Text>}
      {q && results.isPending && (
        <Center p="lg">
          <Loader aria-label={t('app.loading')} />
        </Center>
      )}
      {results.isError && (
        <Alert color="red" role="alert">
          {t('app.error', { detail: problemDetail(results.error) })}
        </Alert>
      )}
      {results.data && (
        <>
          <Text aria-live="polite">{t('search.found', { count: results.data.length, q })}</Text>
          {MODULES.map((module) => {
            const hits = results.data.filter((hit) => hit.module === module);
            if (hits.length === 0) return null;
            return (
              <section key={module} aria-labelledby={`search-${module}`}>
                <Title order={2} size="h4" id={`search-${module}`} mb="xs">
                  {t(`search.modules.${module}`)}
                </Title>
                <Stack gap="xs">
                  {hits.map((hit) => (
                    <Paper key={hit.id} withBorder p="sm">
                      <Group justify="space-between" wrap="nowrap">
                        <Stack gap={0}>
                          <Anchor
                            href={open(module, hit.id)}
                            onClick={(event) => {
                              event.preventDefault();
                              void router.navigate({ href: open(module, hit.id) });
                            }}
                          >
                            {hit.title}
                          </Anchor>
                          {hit.detail && (
                            <Text size="sm" c="dimmed">
                              {hit.detail}
                            </Text>
                          )}
                        </Stack>
                        <Badge variant="light">{t(`search.kinds.${module}`)}</Badge>
                      </Group>
                    </Paper>
                  ))}
                </Stack>
              </section>
            );
          })}
        </>
      )}
    </Stack>
  );
}
