import { Alert, Button, Group, Modal, Select, Stack, Text } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { notify } from '../../components/notify';
import { consentKeys, consentProblem, recordConsent, type ConsentPerson, type PersonConsents, type PurposeChoice } from './queries';

const SOURCES = ['staff', 'api', 'form', 'import'] as const;
type Source = (typeof SOURCES)[number];

/**
 * Records a grant or a withdrawal for one purpose. A grant is given on the
 * purpose's newest notice in the person's language (the server picks it); a
 * withdrawal received by phone or letter is recorded with source "staff".
 */
export function RecordConsentDialog({
  person,
  action,
  purposes,
  current,
  onClose,
}: {
  person: ConsentPerson;
  action: 'grant' | 'withdraw';
  purposes: PurposeChoice[];
  current: PersonConsents['current'];
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const [message, setMessage] = useState<string | null>(null);
  const granted = new Set(current.filter((state) => state.status === 'granted').map((state) => state.purposeId));
  // A grant is for an active purpose; a withdrawal is offered for what is granted first, then anything else.
  const choices =
    action === 'grant'
      ? purposes.filter((purpose) => purpose.status === 'active')
      : [...purposes.filter((purpose) => granted.has(purpose.id)), ...purposes.filter((purpose) => !granted.has(purpose.id))];
  const form = useForm({
    mode: 'uncontrolled',
    initialValues: {
      purposeId: action === 'withdraw' && choices[0] && granted.has(choices[0].id) ? choices[0].id : '',
      source: 'staff' as Source,
    },
    validate: { purposeId: (value) => (value ? null : t('consents.purposeRequired')) },
  });

  const submit = form.onSubmit(async ({ purposeId, source }) => {
    setMessage(null);
    try {
      await recordConsent(person, { action, purposeId, source });
      notify(t(action === 'grant' ? 'consents.grantRecorded' : 'consents.withdrawalRecorded'));
      await queryClient.invalidateQueries({ queryKey: consentKeys.of(person) });
      onClose();
    } catch (error) {
      setMessage(consentProblem(error, t));
    }
  });

  const title = t(action === 'grant' ? 'consents.grantTitle' : 'consents.withdrawTitle');
  return (
    <Modal opened onClose={onClose} title={title} centered closeButtonProps={{ 'aria-label': t('consents.close') }}>
      <form onSubmit={submit} noValidate>
        <Stack>
          <Text size="sm">{t(action === 'grant' ? 'consents.grantHelp' : 'consents.withdrawHelp')}</Text>
          {message && (
            <Alert color="red" role="alert">
              {message}
            </Alert>
          )}
          <Select
            label={t('consents.purpose')}
            placeholder={t('consents.choosePurpose')}
            data={choices.map((purpose) => ({
              value: purpose.id,
              label:
                action === 'withdraw' && granted.has(purpose.id)
                  ? `${purpose.name} (${t('consents.states.granted').toLowerCase()})`
                  : purpose.name,
            }))}
            required
            searchable
            key={form.key('purposeId')}
            {...form.getInputProps('purposeId')}
          />
          <Select
            label={t('consents.source')}
            description={t('consents.sourceHelp')}
            data={SOURCES.map((source) => ({ value: source, label: t(`consents.sources.${source}`) }))}
            allowDeselect={false}
            key={form.key('source')}
            {...form.getInputProps('source')}
          />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose} disabled={form.submitting}>
              {t('consents.cancel')}
            </Button>
            <Button type="submit" loading={form.submitting}>
              {t(action === 'grant' ? 'consents.saveGrant' : 'consents.saveWithdrawal')}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
