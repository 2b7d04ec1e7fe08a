import { Alert, Button, Group, NumberInput, Select, SimpleGrid, Stack, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, data } from '../../api/client';
import { useFormat } from '../../i18n/format';
import { RecordPicker } from '../notes/RecordPicker';
import { TagsField } from '../../components/Pickers';
import { ConflictAlert, saveFailureOf } from '../organizations/shared-ui';
import { DEAL_STATUSES, dealKeys, pipelinesQuery, type Deal, type DealStatus } from './api';
import { amountSeparators, COMMON_CURRENCIES, fromMinorUnits, minorDigits, toMinorUnits } from './money';

const DEAL_FIELDS = [
  'title',
  'amount',
  'currency',
  'pipelineId',
  'stageId',
  'status',
  'expectedCloseDate',
  'organizationId',
  'tags',
] as const;

interface Values {
  title: string;
  amount: number | string;
  currency: string;
  pipelineId: string | null;
  stageId: string | null;
  status: DealStatus;
  expectedCloseDate: string;
  organizationId: string | null;
  tags: string[];
}

/** Create a deal or edit one; the amount is typed in the currency's units and sent in minor units. */
export function DealForm({
  deal,
  organization,
  onSaved,
}: {
  deal?: Deal;
  /** The organization the deal is (or will be) for, with its name. */
  organization?: { id: string; name: string } | undefined;
  onSaved: (saved: Deal) => void;
}) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const separators = amountSeparators(useFormat().locale);
  const pipelines = useQuery(pipelinesQuery);
  const [conflict, setConflict] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const currency = deal?.currency ?? 'EUR';
  const form = useForm<Values>({
    mode: 'controlled',
    initialValues: {
      title: deal?.title ?? '',
      amount: deal?.amount !== undefined ? fromMinorUnits(deal.amount, currency) : '',
      currency,
      pipelineId: deal?.pipelineId ?? null,
      stageId: deal?.stageId ?? null,
      status: deal?.status ?? 'open',
      expectedCloseDate: deal?.expectedCloseDate ?? '',
      organizationId: deal?.organizationId ?? organization?.id ?? null,
      tags: deal?.tags ?? [],
    },
    validate: {
      title: (value) => (value.trim() ? null : t('deals.form.required')),
      amount: (value) => (value === '' || Number(value) < 0 ? t('deals.form.amountRequired') : null),
      currency: (value) => (/^[A-Z]{3}$/.test(value) ? null : t('deals.form.currencyInvalid')),
    },
  });

  const pipelineId = form.values.pipelineId ?? pipelines.data?.find((pipeline) => pipeline.isDefault)?.id ?? null;
  const stages = pipelines.data?.find((pipeline) => pipeline.id === pipelineId)?.stages ?? [];
  const currencies = [...new Set([...COMMON_CURRENCIES, form.values.currency].filter((code) => /^[A-Z]{3}$/.test(code)))];

  const submit = form.onSubmit(async (values) => {
    setConflict(false);
    setMessage(null);
    const body = {
      title: values.title.trim(),
      amount: toMinorUnits(Number(values.amount), values.currency),
      currency: values.currency,
      status: values.status,
      expectedCloseDate: values.expectedCloseDate || null,
      organizationId: values.organizationId,
      tags: values.tags,
      ...(values.pipelineId && { pipelineId: values.pipelineId }),
      ...(values.stageId && { stageId: values.stageId }),
    };
    try {
      const saved = deal
        ? await data(api.PATCH('/api/v1/deals/{id}', { params: { path: { id: deal.id } }, body: { ...body, version: deal.version } }))
        : await data(api.POST('/api/v1/deals', { body }));
      queryClient.setQueryData(dealKeys.one(saved.id), saved);
      await queryClient.invalidateQueries({ queryKey: dealKeys.all });
      onSaved(saved);
    } catch (caught) {
      const failure = saveFailureOf(caught, DEAL_FIELDS, (detail) => t('app.error', { detail }));
      form.setErrors(failure.fieldErrors);
      setConflict(failure.conflict);
      setMessage(failure.message);
    }
  });

  const reload = async () => {
    if (!deal) return;
    await queryClient.invalidateQueries({ queryKey: dealKeys.one(deal.id) });
    setConflict(false);
  };

  return (
    <form onSubmit={submit} noValidate>
      <Stack>
        {conflict && <ConflictAlert onReload={() => void reload()} />}
        {message && (
          <Alert color="red" role="alert">
            {message}
          </Alert>
        )}
        <TextInput label={t('deals.fields.title')} required {...form.getInputProps('title')} />
        <SimpleGrid cols={{ base: 1, xs: 2 }}>
          <NumberInput
            label={t('deals.fields.amount')}
            required
            min={0}
            decimalScale={minorDigits(form.values.currency)}
            decimalSeparator={separators.decimalSeparator}
            thousandSeparator={separators.thousandSeparator}
            hideControls
            {...form.getInputProps('amount')}
          />
          <Select
            label={t('deals.fields.currency')}
            data={currencies}
            searchable
            allowDeselect={false}
            {...form.getInputProps('currency')}
          />
        </SimpleGrid>
        <SimpleGrid cols={{ base: 1, xs: 2 }}>
          <Select
            label={t('deals.fields.pipeline')}
            data={(pipelines.data ?? []).map((pipeline) => ({ value: pipeline.id, label: pipeline.name }))}
            value={pipelineId}
            onChange={(value) => {
              form.setFieldValue('pipelineId', value);
              form.setFieldValue('stageId', null);
            }}
            error={form.errors.pipelineId}
            allowDeselect={false}
          />
          <Select
            label={t('deals.fields.stage')}
            data={stages.map((stage) => ({ value: stage.id, label: stage.name }))}
            placeholder={t('deals.form.firstStage')}
            clearable
            {...form.getInputProps('stageId')}
          />
        </SimpleGrid>
        <SimpleGrid cols={{ base: 1, xs: 2 }}>
          <Select
            label={t('deals.fields.status')}
            data={DEAL_STATUSES.map((status) => ({ value: status, label: t(`deals.statuses.${status}`) }))}
            allowDeselect={false}
            {...form.getInputProps('status')}
          />
          <TextInput label={t('deals.fields.expectedCloseDate')} type="date" {...form.getInputProps('expectedCloseDate')} />
        </SimpleGrid>
        <RecordPicker
          kind="organization"
          label={t('deals.fields.organization')}
          value={form.values.organizationId}
          onChange={(id) => form.setFieldValue('organizationId', id)}
          error={form.errors.organizationId as string | undefined}
          initial={organization ? { value: organization.id, label: organization.name } : undefined}
        />
        <TagsField label={t('deals.fields.tags')} {...form.getInputProps('tags')} />
        <Group justify="flex-end">
          <Button type="submit" loading={form.submitting} disabled={form.submitting}>
            {t('deals.form.save')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
