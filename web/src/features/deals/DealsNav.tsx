import { Button, Group } from '@mantine/core';
import { Link } from '@tanstack/react-router';
import { useTranslation } from 'react-i18next';

/** The two ways to look at deals: the list and the pipeline board. */
export function DealsNav({ current }: { current: 'list' | 'board' }) {
  const { t } = useTranslation();
  return (
    <Group gap="xs" component="nav" aria-label={t('deals.views')}>
      <Button
        component={Link}
        to="/deals"
        variant={current === 'list' ? 'filled' : 'default'}
        aria-current={current === 'list' ? 'page' : undefined}
      >
        {t('deals.list')}
      </Button>
      <Button
        renderRoot={(props) => <Link {...props} to="/deals/board" search={{ pipelineId: undefined }} />}
        variant={current === 'board' ? 'filled' : 'default'}
        aria-current={current === 'board' ? 'page' : undefined}
      >
        {t('deals.board.title')}
      </Button>
    </Group>
  );
}
