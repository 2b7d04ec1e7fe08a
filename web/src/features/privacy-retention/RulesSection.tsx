import { Alert, Button, Group, NumberInput, Select, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Loading, LoadError } from '../../app/RouteStates';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { notify } from '../../components/notify';
import { usePermissions } from '../../components/permissions';
import { problemDetail } from '../../components/problems';
import { purposesQuery } from '../privacy/queries';
import {
  ACTION_OF,
  applyTwoYearPreset,
  BASES,
  createRule,
  deleteRule,
  MODULES,
  retentionKeys,
  rulesQuery,
  type RetentionRule,
  type RuleModule,
} from './queries';

/** The rules: a table, the "2 years after last contact" preset, a form for a new rule, and removal. */
export function RulesSection() {
  const { t } = useTranslation();
  const { can } = usePermissions();
  const queryClient = useQueryClient();
  const rules = useQuery(rulesQuery);
  const purposes = useQuery(purposesQuery);
  const purposeName = (id: string | null) =>
    id === null ? t('privacyRetention.rules.everyone') : (purposes.data?.find((p) => p.id === id)?.name ?? id.slice(0, 8));
  const [module, setModule] = useState<RuleModule>('leads');
  const [basedOn, setBasedOn] = useState<string>('last_activity');
  const [afterDays, setAfterDays] = useState<number | string>(730);
  const [purposeId, setPurposeId] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const [removing, setRemoving] = useState<RetentionRule | null>(null);
  const editable = can('privacy', 'edit');

  const refresh = () => queryClient.invalidateQueries({ queryKey: retentionKeys.rules });
  const act = async (work: () => Promise<unknown>, done: string) => {
    setBusy(true);
    setMessage(null);
    try {
      await work();
      await refresh();
      notify(done);
    } catch (error) {
      setMessage(problemDetail(error));
    } finally {
      setBusy(false);
    }
  };
  const describe = (rule: RetentionRule) =>
    t('privacyRetention.rules.sentence', {
      records: t(`privacyRetention.modules.${rule.module}`),
      days: rule.afterDays,
      basis: t(`privacyRetention.bases.${rule.basedOn}`),
      action: t(`privacyRetention.actions.${rule.action}`),
    });

  return (
    <Stack component="section" aria-labelledby="retention-rules">
      <Group justify="space-between" wrap="wrap">
        <Title order={2} id="retention-rules">
          {t('privacyRetention.rules.title')}
        </Title>
        {editable && (
          <Button variant="light" loading={busy} onClick={() => void act(applyTwoYearPreset, t('privacyRetention.rules.presetApplied'))}>
            {t('privacyRetention.rules.preset')}
          </Button>
        )}
      </Group>
      <Text size="sm">{t('privacyRetention.rules.help')}</Text>
      {message && (
        <Alert color="red" role="alert">
          {message}
        </Alert>
      )}
      {rules.isPending ? (
        <Loading />
      ) : rules.isError ? (
        <LoadError error={rules.error} />
      ) : rules.data.length === 0 ? (
        <Text>{t('privacyRetention.rules.none')}</Text>
      ) : (
        <Table.ScrollContainer minWidth={560}>
          <Table striped>
            <Table.Caption>{t('privacyRetention.rules.caption')}</Table.Caption>
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">{t('privacyRetention.rules.rule')}</Table.Th>
                <Table.Th scope="col">{t('privacyRetention.rules.purpose')}</Table.Th>
                <Table.Th scope="col">{t('privacyRetention.rules.id')}</Table.Th>
                {editable && <Table.Th scope="col">{t('privacyRetention.actionsColumn')}</Table.Th>}
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {rules.data.map((rule) => (
                <Table.Tr key={rule.id}>
                  <Table.Td>{describe(rule)}</Table.Td>
                  <Table.Td>{purposeName(rule.purposeId)}</Table.Td>
                  <Table.Td>
                    <Text size="xs" ff="monospace">
                      {rule.id.slice(0, 8)}
                    </Text>
                  </Table.Td>
                  {editable && (
                    <Table.Td>
                      <Button
                        size="xs"
                        variant="subtle"
                        color="red"
                        onClick={() => setRemoving(rule)}
                        aria-label={t('privacyRetention.rules.removeLabel', { rule: describe(rule) })}
                      >
                        {t('privacyRetention.rules.remove')}
                      </Button>
                    </Table.Td>
                  )}
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      {editable && (
        <form
          onSubmit={(event) => {
            event.preventDefault();
            void act(
              () =>
                createRule({
                  module,
                  afterDays: Number(afterDays),
                  basedOn: basedOn as never,
                  action: ACTION_OF[module],
                  ...(module !== 'deals' && purposeId ? { purposeId } : {}),
                }),
              t('privacyRetention.rules.created'),
            );
          }}
        >
          <Stack gap="xs">
            <Title order={3}>{t('privacyRetention.rules.newTitle')}</Title>
            <Group align="flex-end" wrap="wrap">
              <Select
                label={t('privacyRetention.rules.module')}
                data={MODULES.map((m) => ({ value: m, label: t(`privacyRetention.modules.${m}`) }))}
                value={module}
                allowDeselect={false}
                onChange={(value) => {
                  const next = (value ?? 'leads') as RuleModule;
                  setModule(next);
                  setBasedOn(BASES[next][0]!);
                  if (next === 'deals') setPurposeId(null);
                }}
              />
              <NumberInput
                label={t('privacyRetention.rules.afterDays')}
                min={1}
                max={36_500}
                value={afterDays}
                onChange={setAfterDays}
                w={140}
              />
              <Select
                label={t('privacyRetention.rules.basedOn')}
                data={BASES[module].map((b) => ({ value: b, label: t(`privacyRetention.bases.${b}`) }))}
                value={basedOn}
                allowDeselect={false}
                onChange={(value) => setBasedOn(value ?? BASES[module][0]!)}
              />
              {module !== 'deals' && (
                <Select
                  label={t('privacyRetention.rules.purposeLabel')}
                  placeholder={t('privacyRetention.rules.everyone')}
                  data={(purposes.data ?? []).map((p) => ({ value: p.id, label: p.name }))}
                  value={purposeId}
                  onChange={setPurposeId}
                  clearable
                  required={basedOn === 'consent_withdrawn'}
                />
              )}
              <Button type="submit" loading={busy}>
                {t('privacyRetention.rules.add')}
              </Button>
            </Group>
            <Text size="xs" c="dimmed">
              {t(`privacyRetention.rules.actionHelp.${ACTION_OF[module]}`)}
            </Text>
            {module !== 'deals' && (
              <Text size="xs" c="dimmed">
                {t('privacyRetention.rules.purposeHelp')}
              </Text>
            )}
          </Stack>
        </form>
      )}
      <ConfirmDialog
        opened={removing !== null}
        title={t('privacyRetention.rules.removeTitle')}
        message={removing ? describe(removing) : ''}
        confirmLabel={t('privacyRetention.rules.remove')}
        danger
        busy={busy}
        onClose={() => setRemoving(null)}
        onConfirm={() => {
          const rule = removing;
          setRemoving(null);
          if (rule) void act(() => deleteRule(rule.id), t('privacyRetention.rules.removed'));
        }}
      />
    </Stack>
  );
}
