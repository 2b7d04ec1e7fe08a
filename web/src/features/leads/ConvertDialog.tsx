import { Alert, Button, Checkbox, Group, Modal, NumberInput, Select, Stack, Text, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, data } from '../../api/client';
import { problemDetail } from '../../components/problems';

const CURRENCIES = ['EUR', 'USD', 'GBP', 'CHF'] as const;

/** Converts a lead into a contact of the same person, optionally with an organization (from its company) and a deal. */
export function ConvertDialog({
  lead,
  opened,
  onClose,
  onConverted,
}: {
  lead: { id: string; company?: string | null | undefined };
  opened: boolean;
  onClose: () => void;
  onConverted: (contactId: string) => void;
}) {
  const { t } = useTranslation();
  const [problem, setProblem] = useState<string | null>(null);
  const form = useForm({
    initialValues: {
      createOrganization: Boolean(lead.company),
      withDeal: false,
      title: '',
      amount: '' as number | string,
      currency: 'EUR',
    },
    validate: {
      amount: (value, values) => (values.withDeal && (value === '' || Number(value) < 0) ? t('leads.convert.amountRequired') : null),
    },
  });

  const submit = form.onSubmit(async (values) => {
    setProblem(null);
    try {
      // Amounts are sent in minor units (cents).
      const digits =
        new Intl.NumberFormat('en', { style: 'currency', currency: values.currency }).resolvedOptions().maximumFractionDigits ?? 2;
      const converted = await data(
        api.POST('/api/v1/leads/{id}/convert', {
          params: { path: { id: lead.id } },
          body: {
            createOrganization: values.createOrganization,
            ...(values.withDeal
              ? {
                  deal: {
                    ...(values.title.trim() ? { title: values.title.trim() } : {}),
                    amount: Math.round(Number(values.amount) * 10 ** digits),
                    currency: values.currency,
                  },
                }
              : {}),
          },
        }),
      );
      onConverted(converted.contactId);
    } catch (error) {
      setProblem(problemDetail(error));
    }
  });

  return (
    <Modal
      opened={opened}
      onClose={onClose}
      title={t('leads.convert.title')}
      centered
      closeButtonProps={{ 'aria-label': t('components.confirm.close') }}
    >
      <form onSubmit={submit} noValidate>
        <Stack>
          <Text size="sm">{t('leads.convert.intro')}</Text>
          {problem && (
            <Alert color="red" role="alert">
              {t('app.error', { detail: problem })}
            </Alert>
          )}
          <Checkbox
            label={t('leads.convert.createOrganization', { company: lead.company ?? '' })}
            disabled={!lead.company}
            {...form.getInputProps('createOrganization', { type: 'checkbox' })}
          />
          <Checkbox label={t('leads.convert.withDeal')} {...form.getInputProps('withDeal', { type: 'checkbox' })} />
          {form.values.withDeal && (
            <>
              <TextInput label={t('leads.convert.dealTitle')} {...form.getInputProps('title')} />
              <Group grow align="flex-start">
                <NumberInput label={t('leads.convert.amount')} min={0} decimalScale={2} required {...form.getInputProps('amount')} />
                <Select
                  label={t('leads.convert.currency')}
                  data={[...CURRENCIES]}
                  allowDeselect={false}
                  {...form.getInputProps('currency')}
                />
              </Group>
            </>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose} disabled={form.submitting}>
              {t('components.confirm.cancel')}
            </Button>
            <Button type="submit" loading={form.submitting}>
              {t('leads.convert.submit')}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
