import { Alert, Anchor, Badge, Group, Progress, Stack, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { Link } from '@tanstack/react-router';
import { useTranslation } from 'react-i18next';
import { api, data } from '../../api/client';
import { Loading } from '../../app/RouteStates';
import { useFormat } from '../../i18n/format';
import { Counts, RefusedLines } from './RefusedLines';
import { importStatusRoute } from './routes';

/** One import as GET /imports/{id} tells it: asked again every two seconds while it runs. */
export default function ImportStatusPage() {
  const { t } = useTranslation();
  const format = useFormat();
  const { importId } = importStatusRoute.useParams();
  const run = useQuery({
    queryKey: ['imports', importId],
    queryFn: () => data(api.GET('/api/v1/imports/{id}', { params: { path: { id: importId } } })),
    refetchInterval: (query) => (query.state.data?.status === 'running' ? 2000 : false),
  });

  if (run.error) {
    return (
      <Alert color="red" role="alert">
        {t('app.error', { detail: run.error.message })}
      </Alert>
    );
  }
  if (!run.data) return <Loading />;
  const value = run.data;
  return (
    <Stack maw={960}>
      <Title order={1}>{t('import.statusTitle')}</Title>
      <Group>
        <Badge color={value.status === 'done' ? 'teal.9' : value.status === 'failed' ? 'red.9' : 'blue.9'}>
          {t(`import.status.${value.status}`)}
        </Badge>
        {value.dryRun && (
          <Badge variant="outline" color="dark">
            {t('import.dryRunBadge')}
          </Badge>
        )}
        <Text size="sm">{t('import.startedAt', { at: format.dateTime(value.startedAt) })}</Text>
      </Group>
      {value.status === 'running' && (
        <>
          <Progress value={100} animated striped aria-label={t('import.running')} />
          <Text size="sm" role="status">
            {t('import.progress', { rows: format.number(value.rows) })}
          </Text>
        </>
      )}
      <Counts
        counts={{ rows: value.rows, created: value.created, updated: value.updated, skipped: value.skipped, refused: value.errorCount }}
      />
      <RefusedLines errors={value.errors} total={value.errorCount} />
      <Anchor component={Link} to="/import">
        {t('import.another')}
      </Anchor>
    </Stack>
  );
}
