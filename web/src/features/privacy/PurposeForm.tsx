import {
  ActionIcon,
  Alert,
  Button,
  Checkbox,
  Fieldset,
  Group,
  NumberInput,
  Select,
  Stack,
  TagsInput,
  Text,
  Textarea,
  TextInput,
} from '@mantine/core';
import { useForm } from '@mantine/form';
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, ApiError, data } from '../../api/client';
import { ConflictAlert } from '../../components/ConflictAlert';
import { isVersionConflict, problemDetail } from '../../components/problems';
import { LAWFUL_BASES, LIA_FIELDS, privacyKeys, type LawfulBasis, type Purpose } from './queries';

interface Values {
  name: string;
  description: string;
  lawfulBasis: LawfulBasis;
  dataCategories: string[];
  recipients: string[];
  transfers: Array<{ country: string; safeguard: string }>;
  retentionDays: number | string;
  marketing: boolean;
  lia: Record<(typeof LIA_FIELDS)[number], string>;
  noticeLanguage: 'en' | 'nl';
  noticeText: string;
}

const emptyLia = () => Object.fromEntries(LIA_FIELDS.map((field) => [field, ''])) as Values['lia'];

/** Create a purpose (with its first notice) or change one (sending the version it was loaded at). */
export function PurposeForm({
  purpose,
  onSaved,
  onCancel,
}: {
  purpose?: Purpose;
  onSaved: (saved: Purpose) => void;
  onCancel: () => void;
}) {
  const { t, i18n } = useTranslation();
  const queryClient = useQueryClient();
  const [conflict, setConflict] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const form = useForm<Values>({
    // Controlled: the LIA fieldset follows the lawful basis as it is chosen.
    mode: 'controlled',
    initialValues: {
      name: purpose?.name ?? '',
      description: purpose?.description ?? '',
      lawfulBasis: purpose?.lawfulBasis ?? 'consent',
      dataCategories: purpose?.dataCategories ?? [],
      recipients: purpose?.recipients ?? [],
      transfers: purpose?.transfers ?? [],
      retentionDays: purpose?.retentionDays ?? 365,
      marketing: purpose?.marketing ?? false,
      lia: purpose?.lia ? { ...purpose.lia } : emptyLia(),
      noticeLanguage: i18n.language === 'nl' ? 'nl' : 'en',
      noticeText: '',
    },
    validate: {
      name: (value) => (value.trim() ? null : t('privacy.form.required')),
      dataCategories: (value) => (value.length > 0 ? null : t('privacy.form.categoriesRequired')),
      retentionDays: (value) => (Number.isInteger(Number(value)) && Number(value) >= 1 ? null : t('privacy.form.retentionInvalid')),
      transfers: {
        country: (value) => (value.trim() ? null : t('privacy.form.required')),
        safeguard: (value) => (value.trim() ? null : t('privacy.form.required')),
      },
    },
  });
  const values = form.getValues();
  const needsLia = values.lawfulBasis === 'legitimate_interests';

  const submit = form.onSubmit(async (v) => {
    setConflict(false);
    setMessage(null);
    const liaGiven = LIA_FIELDS.some((field) => v.lia[field].trim() !== '');
    const body = {
      name: v.name.trim(),
      description: v.description.trim(),
      lawfulBasis: v.lawfulBasis,
      dataCategories: v.dataCategories,
      recipients: v.recipients,
      transfers: v.transfers.map((x) => ({ country: x.country.trim(), safeguard: x.safeguard.trim() })),
      retentionDays: Number(v.retentionDays),
      marketing: v.marketing,
      lia: needsLia || liaGiven ? v.lia : null,
    };
    try {
      const saved = purpose
        ? await data(
            api.PATCH('/api/v1/privacy/purposes/{id}', {
              params: { path: { id: purpose.id } },
              body: { ...body, version: purpose.version },
            }),
          )
        : await data(
            api.POST('/api/v1/privacy/purposes', {
              body: { ...body, ...(v.noticeText.trim() ? { notice: { language: v.noticeLanguage, text: v.noticeText } } : {}) },
            }),
          );
      queryClient.setQueryData(privacyKeys.purpose(saved.id), saved);
      await queryClient.invalidateQueries({ queryKey: ['privacy'] });
      onSaved(saved);
    } catch (caught) {
      if (isVersionConflict(caught)) setConflict(true);
      else if (caught instanceof ApiError && caught.code === 'lia_required') setMessage(t('privacy.form.liaRequired'));
      else if (caught instanceof ApiError && caught.code === 'duplicate_name') form.setFieldError('name', t('privacy.form.duplicateName'));
      else setMessage(t('app.error', { detail: problemDetail(caught) }));
    }
  });

  return (
    <form onSubmit={submit} noValidate>
      <Stack>
        {conflict && (
          <ConflictAlert
            onReload={() => {
              setConflict(false);
              if (purpose) void queryClient.invalidateQueries({ queryKey: privacyKeys.purpose(purpose.id) });
            }}
          />
        )}
        <TextInput label={t('privacy.fields.name')} required maxLength={200} key={form.key('name')} {...form.getInputProps('name')} />
        <Textarea
          label={t('privacy.fields.description')}
          autosize
          minRows={2}
          maxLength={5000}
          key={form.key('description')}
          {...form.getInputProps('description')}
        />
        <Select
          label={t('privacy.fields.lawfulBasis')}
          required
          allowDeselect={false}
          data={LAWFUL_BASES.map((basis) => ({ value: basis, label: t(`privacy.bases.${basis}.label`) }))}
          description={t(`privacy.bases.${values.lawfulBasis}.help`)}
          key={form.key('lawfulBasis')}
          {...form.getInputProps('lawfulBasis')}
        />
        <TagsInput
          label={t('privacy.fields.dataCategories')}
          description={t('privacy.form.tagsHint')}
          required
          maxTags={50}
          key={form.key('dataCategories')}
          {...form.getInputProps('dataCategories')}
        />
        <TagsInput
          label={t('privacy.fields.recipients')}
          description={t('privacy.form.tagsHint')}
          maxTags={50}
          key={form.key('recipients')}
          {...form.getInputProps('recipients')}
        />
        <NumberInput
          label={t('privacy.fields.retentionDays')}
          description={t('privacy.form.retentionHint')}
          required
          min={1}
          max={36500}
          allowDecimal={false}
          key={form.key('retentionDays')}
          {...form.getInputProps('retentionDays')}
        />
        <Checkbox
          label={t('privacy.fields.marketing')}
          description={t('privacy.form.marketingHint')}
          key={form.key('marketing')}
          {...form.getInputProps('marketing', { type: 'checkbox' })}
        />

        <Fieldset legend={t('privacy.fields.transfers')}>
          <Stack gap="xs">
            <Text size="sm">{t('privacy.form.transfersHint')}</Text>
            {values.transfers.map((_transfer, index) => (
              <Group key={index} align="flex-end" wrap="wrap">
                <TextInput
                  label={t('privacy.fields.country')}
                  required
                  maxLength={100}
                  key={form.key(`transfers.${index}.country`)}
                  {...form.getInputProps(`transfers.${index}.country`)}
                />
                <TextInput
                  label={t('privacy.fields.safeguard')}
                  description={t('privacy.form.safeguardHint')}
                  required
                  maxLength={500}
                  style={{ flex: 1, minWidth: 220 }}
                  key={form.key(`transfers.${index}.safeguard`)}
                  {...form.getInputProps(`transfers.${index}.safeguard`)}
                />
                <ActionIcon
                  variant="default"
                  size="lg"
                  aria-label={t('privacy.form.removeTransfer', { n: index + 1 })}
                  onClick={() => form.removeListItem('transfers', index)}
                >
                  ×
                </ActionIcon>
              </Group>
            ))}
            <Group>
              <Button variant="default" size="xs" onClick={() => form.insertListItem('transfers', { country: '', safeguard: '' })}>
                {t('privacy.form.addTransfer')}
              </Button>
            </Group>
          </Stack>
        </Fieldset>

        {needsLia && (
          <Fieldset legend={t('privacy.lia.title')}>
            <Stack gap="sm">
              <Text size="sm">{t('privacy.lia.intro')}</Text>
              {(['purposeTest', 'necessityTest', 'balancingTest', 'outcome'] as const).map((field) => (
                <Textarea
                  key={form.key(`lia.${field}`)}
                  label={t(`privacy.lia.${field}`)}
                  description={t(`privacy.lia.${field}Help`)}
                  required
                  autosize
                  minRows={2}
                  maxLength={20000}
                  {...form.getInputProps(`lia.${field}`)}
                />
              ))}
              <Group grow wrap="wrap">
                <TextInput
                  label={t('privacy.lia.reviewer')}
                  required
                  maxLength={200}
                  key={form.key('lia.reviewer')}
                  {...form.getInputProps('lia.reviewer')}
                />
                <TextInput
                  label={t('privacy.lia.reviewedAt')}
                  type="date"
                  required
                  key={form.key('lia.reviewedAt')}
                  {...form.getInputProps('lia.reviewedAt')}
                />
              </Group>
            </Stack>
          </Fieldset>
        )}

        {!purpose && (
          <Fieldset legend={t('privacy.form.noticeTitle')}>
            <Stack gap="sm">
              <Text size="sm">{values.lawfulBasis === 'consent' ? t('privacy.form.noticeConsentHint') : t('privacy.form.noticeHint')}</Text>
              <Select
                label={t('privacy.notices.language')}
                allowDeselect={false}
                data={[
                  { value: 'en', label: t('languages.en') },
                  { value: 'nl', label: t('languages.nl') },
                ]}
                key={form.key('noticeLanguage')}
                {...form.getInputProps('noticeLanguage')}
              />
              <Textarea
                label={t('privacy.notices.text')}
                autosize
                minRows={4}
                maxLength={100000}
                key={form.key('noticeText')}
                {...form.getInputProps('noticeText')}
              />
            </Stack>
          </Fieldset>
        )}

        {message && (
          <Alert color="red" role="alert">
            {message}
          </Alert>
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={onCancel}>
            {t('privacy.form.cancel')}
          </Button>
          <Button type="submit" loading={form.submitting}>
            {purpose ? t('privacy.form.save') : t('privacy.form.create')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
