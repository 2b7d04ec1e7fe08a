import { Alert, Button, Group, Modal, Select, Stack, Text, Textarea, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { problemDetail } from '../../components/problems';
import { useFormat } from '../../i18n/format';
import {
  completeRequest,
  extendRequest,
  refuseRequest,
  VERIFICATION_METHODS,
  verifyRequest,
  type PrivacyRequest,
  type VerificationMethod,
} from './queries';

export type DialogStep = 'verify' | 'extend' | 'complete' | 'refuse';

/** The form of one step of a case: verification with its method, extension with its reason, completion, refusal with its legal reason. */
export function StepDialog({
  request,
  step,
  onDone,
  onClose,
}: {
  request: PrivacyRequest;
  step: DialogStep;
  onDone: () => Promise<void>;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const format = useFormat();
  const [message, setMessage] = useState<string | null>(null);
  const maxMonths = 2 - request.extensionMonths;
  const form = useForm({
    mode: 'uncontrolled',
    initialValues: { method: '', months: '1', text: '', legalBasis: '' },
    validate: {
      method: (value) => (step === 'verify' && !value ? t('privacyRequests.dialogs.methodRequired') : null),
      text: (value) => ((step === 'extend' || step === 'refuse') && !value.trim() ? t('privacyRequests.dialogs.reasonRequired') : null),
    },
  });

  const submit = form.onSubmit(async (values) => {
    setMessage(null);
    const text = values.text.trim();
    try {
      if (step === 'verify')
        await verifyRequest(request.id, { method: values.method as VerificationMethod, ...(text ? { note: text } : {}) });
      if (step === 'extend') await extendRequest(request.id, { months: Number(values.months), reason: text });
      if (step === 'complete') await completeRequest(request.id, text ? { note: text } : {});
      if (step === 'refuse')
        await refuseRequest(request.id, { reason: text, ...(values.legalBasis.trim() ? { legalBasis: values.legalBasis.trim() } : {}) });
      await onDone();
    } catch (error) {
      setMessage(problemDetail(error));
    }
  });

  const firstDue = format.date(request.originalDueAt);
  return (
    <Modal
      opened
      onClose={onClose}
      title={t(`privacyRequests.actions.${step}`)}
      centered
      closeButtonProps={{ 'aria-label': t('privacyRequests.dialogs.close') }}
    >
      <form onSubmit={submit} noValidate>
        <Stack>
          <Text size="sm">
            {step === 'verify' && t('privacyRequests.dialogs.verifyHelp')}
            {step === 'extend' && t('privacyRequests.dialogs.extendHelp', { date: firstDue })}
            {step === 'complete' && t('privacyRequests.dialogs.completeHelp')}
            {step === 'refuse' && t('privacyRequests.dialogs.refuseHelp')}
          </Text>
          {message && (
            <Alert color="red" role="alert">
              {message}
            </Alert>
          )}
          {step === 'verify' && (
            <Select
              label={t('privacyRequests.dialogs.method')}
              data={VERIFICATION_METHODS.map((method) => ({ value: method, label: t(`privacyRequests.methods.${method}`) }))}
              required
              key={form.key('method')}
              {...form.getInputProps('method')}
            />
          )}
          {step === 'extend' && (
            <>
              <Select
                label={t('privacyRequests.dialogs.months')}
                data={[1, 2]
                  .filter((months) => months <= maxMonths)
                  .map((months) => ({ value: String(months), label: t('privacyRequests.months', { count: months }) }))}
                allowDeselect={false}
                key={form.key('months')}
                {...form.getInputProps('months')}
              />
              <Alert variant="outline" color="red.9" title={t('privacyRequests.fields.extension')}>
                {t('privacyRequests.dialogs.tellPerson', { date: firstDue })}
              </Alert>
            </>
          )}
          {step === 'refuse' && (
            <TextInput
              label={t('privacyRequests.dialogs.legalBasis')}
              placeholder={t('privacyRequests.dialogs.legalBasisPlaceholder')}
              maxLength={200}
              key={form.key('legalBasis')}
              {...form.getInputProps('legalBasis')}
            />
          )}
          <Textarea
            label={step === 'extend' || step === 'refuse' ? t('privacyRequests.dialogs.reason') : t('privacyRequests.fields.note')}
            required={step === 'extend' || step === 'refuse'}
            autosize
            minRows={3}
            maxLength={10_000}
            key={form.key('text')}
            {...form.getInputProps('text')}
          />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose} disabled={form.submitting}>
              {t('privacyRequests.dialogs.cancel')}
            </Button>
            <Button type="submit" loading={form.submitting} color={step === 'refuse' ? 'red.8' : undefined}>
              {t(`privacyRequests.actions.${step}`)}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
