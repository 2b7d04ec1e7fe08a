import { ActionIcon, Alert, Button, Fieldset, Group, Select, SimpleGrid, Stack, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, data } from '../api/client';
import './i18n';
import { ConflictAlert } from './ConflictAlert';
import { usePermissions } from './permissions';
import { OwnerPicker, TagsField } from './Pickers';
import { formErrorsOf, isVersionConflict, problemDetail } from './problems';

export const LAWFUL_BASES = ['consent', 'contract', 'legal_obligation', 'vital_interests', 'public_task', 'legitimate_interests'] as const;
export type LawfulBasis = (typeof LAWFUL_BASES)[number];
export const LEAD_STATUSES = ['new', 'contacted', 'qualified', 'unqualified'] as const;
export const LEAD_RATINGS = ['hot', 'warm', 'cold'] as const;

/** What contacts and leads share, as the API answers it (a field the profile hides is absent). */
export interface PersonRecord {
  id: string;
  ownerId: string;
  firstName?: string;
  lastName?: string;
  emails?: { value: string; label: string | null }[];
  phones?: { value: string; label: string | null }[];
  jobTitle?: string | null;
  birthday?: string | null;
  tags?: string[];
  lawfulBasis?: LawfulBasis | null;
  version: number;
  // contacts
  organizationId?: string | null;
  // leads
  company?: string | null;
  source?: string | null;
  status?: string;
  rating?: string | null;
}

type Module = 'contacts' | 'leads';

const COMMON_FIELDS = ['firstName', 'lastName', 'emails', 'phones', 'jobTitle', 'birthday', 'tags', 'lawfulBasis', 'ownerId'] as const;
const CONTACT_FIELDS = [...COMMON_FIELDS, 'organizationId'] as const;
const LEAD_FIELDS = [...COMMON_FIELDS, 'company', 'source', 'status', 'rating'] as const;
type Field = (typeof CONTACT_FIELDS)[number] | (typeof LEAD_FIELDS)[number];
const ALIASES: Partial<Record<Field, string[]>> = { emails: ['e-mail'], phones: ['phone'], firstName: ['name'] };

interface Values {
  firstName: string;
  lastName: string;
  emails: string[];
  phones: string[];
  jobTitle: string;
  birthday: string;
  tags: string[];
  lawfulBasis: string | null;
  ownerId: string | null;
  organizationId: string | null;
  company: string;
  source: string;
  status: string | null;
  rating: string | null;
}

function valuesOf(record: PersonRecord | undefined): Values {
  const emails = record?.emails?.map((email) => email.value) ?? [];
  const phones = record?.phones?.map((phone) => phone.value) ?? [];
  return {
    firstName: record?.firstName ?? '',
    lastName: record?.lastName ?? '',
    emails: emails.length > 0 ? emails : [''],
    phones: phones.length > 0 ? phones : [''],
    jobTitle: record?.jobTitle ?? '',
    birthday: record?.birthday ?? '',
    tags: record?.tags ?? [],
    lawfulBasis: record?.lawfulBasis ?? null,
    ownerId: record?.ownerId ?? null,
    organizationId: record?.organizationId ?? null,
    company: record?.company ?? '',
    source: record?.source ?? '',
    status: record?.status ?? (record ? null : 'new'),
    rating: record?.rating ?? null,
  };
}

/** The request body: only the fields this user may change, blanks as null, plus the version an edit is based on. */
function bodyOf(values: Values, fields: readonly Field[], editable: (field: Field) => boolean, version: number | undefined) {
  const body: Record<string, unknown> = {};
  const text = (value: string) => (value.trim() === '' ? null : value.trim());
  for (const field of fields) {
    if (!editable(field)) continue;
    switch (field) {
      case 'emails':
      case 'phones':
        body[field] = values[field].map((value) => value.trim()).filter((value) => value !== '');
        break;
      case 'firstName':
      case 'lastName':
        body[field] = values[field].trim();
        break;
      case 'tags':
        body.tags = values.tags;
        break;
      case 'ownerId':
        if (values.ownerId) body.ownerId = values.ownerId;
        break;
      case 'status':
        if (values.status) body.status = values.status;
        break;
      default:
        body[field] = typeof values[field] === 'string' ? text(values[field] as string) : values[field];
    }
  }
  if (version !== undefined) body.version = version;
  return body;
}

function OrganizationPicker(props: { value: string | null; onChange: (value: string | null) => void; disabled?: boolean; error?: string }) {
  const { t } = useTranslation();
  const [search, setSearch] = useState('');
  const q = search.trim().length >= 2 ? search.trim() : undefined;
  const organizations = useQuery({
    queryKey: ['organizations', 'picker', q ?? ''],
    queryFn: async () => (await data(api.GET('/api/v1/organizations', { params: { query: { limit: 50, ...(q ? { q } : {}) } } }))).items,
  });
  const current = useQuery({
    queryKey: ['organizations', props.value],
    queryFn: () => data(api.GET('/api/v1/organizations/{id}', { params: { path: { id: props.value! } } })),
    enabled: Boolean(props.value),
  });
  const options = new Map<string, string>();
  if (current.data) options.set(current.data.id, current.data.name);
  for (const organization of organizations.data ?? []) options.set(organization.id, organization.name);
  return (
    <Select
      label={t('components.person.organization')}
      data={[...options].map(([value, label]) => ({ value, label }))}
      searchable
      clearable
      searchValue={search}
      onSearchChange={setSearch}
      filter={({ options: all }) => all}
      {...props}
    />
  );
}

/**
 * The create and edit form of a contact or a lead. Fields the user's profile hides are
 * left out (on an edit also those the API did not send); read-only ones are shown but
 * not sent. The API's field errors land next to their field; a 409 offers a reload.
 */
export function PersonForm({
  module,
  record,
  onSave,
  onSaved,
  onCancel,
  onReload,
}: {
  module: Module;
  record?: PersonRecord;
  onSave: (body: Record<string, unknown>) => Promise<{ id: string }>;
  onSaved: (id: string) => void;
  onCancel: () => void;
  onReload?: () => Promise<unknown>;
}) {
  const { t } = useTranslation();
  const permissions = usePermissions();
  const [problem, setProblem] = useState<string | null>(null);
  const [conflict, setConflict] = useState(false);
  const form = useForm<Values>({ initialValues: valuesOf(record) });
  const fields: readonly Field[] = module === 'contacts' ? CONTACT_FIELDS : LEAD_FIELDS;

  const shown = (field: Field) =>
    permissions.field(module, field) !== 'hidden' && (!record || field === 'ownerId' || field === 'status' || field in record);
  const editable = (field: Field) => shown(field) && permissions.field(module, field) !== 'readonly';

  const submit = form.onSubmit(async (values) => {
    setProblem(null);
    setConflict(false);
    try {
      const saved = await onSave(bodyOf(values, fields, editable, record?.version));
      onSaved(saved.id);
    } catch (error) {
      if (isVersionConflict(error)) {
        setConflict(true);
        return;
      }
      const byField = formErrorsOf(error, fields, ALIASES);
      // A list's error sits on its first input.
      const errors = Object.fromEntries(
        Object.entries(byField).map(([field, message]) => [field === 'emails' || field === 'phones' ? `${field}.0` : field, message]),
      );
      form.setErrors(errors);
      if (Object.keys(errors).length === 0) setProblem(problemDetail(error));
    }
  });

  const reload = async () => {
    await onReload?.();
    setConflict(false);
  };

  const list = (field: 'emails' | 'phones', type: string, autoComplete: string) => (
    <Stack gap="xs">
      {form.values[field].map((_, index) => (
        <Group key={index} align="flex-end" wrap="nowrap" gap="xs">
          <TextInput
            style={{ flex: 1 }}
            type={type}
            autoComplete={autoComplete}
            label={t(`components.person.${field}Item`, { number: index + 1 })}
            disabled={!editable(field)}
            {...form.getInputProps(`${field}.${index}`)}
          />
          {form.values[field].length > 1 && (
            <ActionIcon
              variant="default"
              size="lg"
              mb={form.errors[`${field}.${index}`] ? 22 : 0}
              aria-label={t(`components.person.${field}Remove`, { number: index + 1 })}
              onClick={() => form.removeListItem(field, index)}
              disabled={!editable(field)}
            >
              ×
            </ActionIcon>
          )}
        </Group>
      ))}
      {editable(field) && (
        <Button variant="subtle" size="xs" style={{ alignSelf: 'flex-start' }} onClick={() => form.insertListItem(field, '')}>
          {t(`components.person.${field}Add`)}
        </Button>
      )}
    </Stack>
  );

  return (
    <form onSubmit={submit} noValidate>
      <Stack>
        {conflict && <ConflictAlert onReload={() => void reload()} />}
        {problem && (
          <Alert color="red" role="alert">
            {t('app.error', { detail: problem })}
          </Alert>
        )}
        <Fieldset legend={t('components.person.name')}>
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            {shown('firstName') && (
              <TextInput
                label={t('components.person.firstName')}
                autoComplete="given-name"
                disabled={!editable('firstName')}
                {...form.getInputProps('firstName')}
              />
            )}
            {shown('lastName') && (
              <TextInput
                label={t('components.person.lastName')}
                autoComplete="family-name"
                disabled={!editable('lastName')}
                {...form.getInputProps('lastName')}
              />
            )}
            {shown('jobTitle') && (
              <TextInput
                label={t('components.person.jobTitle')}
                autoComplete="organization-title"
                disabled={!editable('jobTitle')}
                {...form.getInputProps('jobTitle')}
              />
            )}
            {shown('birthday') && (
              <TextInput
                type="date"
                label={t('components.person.birthday')}
                disabled={!editable('birthday')}
                {...form.getInputProps('birthday')}
              />
            )}
          </SimpleGrid>
        </Fieldset>
        <Fieldset legend={t('components.person.reach')}>
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            {shown('emails') && list('emails', 'email', 'email')}
            {shown('phones') && list('phones', 'tel', 'tel')}
          </SimpleGrid>
        </Fieldset>
        <Fieldset legend={t('components.person.more')}>
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            {module === 'contacts' && shown('organizationId') && (
              <OrganizationPicker
                value={form.values.organizationId}
                onChange={(value) => form.setFieldValue('organizationId', value)}
                disabled={!editable('organizationId')}
                {...(form.errors.organizationId ? { error: String(form.errors.organizationId) } : {})}
              />
            )}
            {module === 'leads' && shown('company') && (
              <TextInput
                label={t('components.person.company')}
                autoComplete="organization"
                disabled={!editable('company')}
                {...form.getInputProps('company')}
              />
            )}
            {module === 'leads' && shown('source') && (
              <TextInput label={t('components.person.source')} disabled={!editable('source')} {...form.getInputProps('source')} />
            )}
            {module === 'leads' && shown('status') && record?.status !== 'converted' && (
              <Select
                label={t('components.person.status')}
                data={LEAD_STATUSES.map((value) => ({ value, label: t(`components.person.statuses.${value}`) }))}
                allowDeselect={false}
                disabled={!editable('status')}
                {...form.getInputProps('status')}
              />
            )}
            {module === 'leads' && shown('rating') && (
              <Select
                label={t('components.person.rating')}
                data={LEAD_RATINGS.map((value) => ({ value, label: t(`components.person.ratings.${value}`) }))}
                clearable
                disabled={!editable('rating')}
                {...form.getInputProps('rating')}
              />
            )}
            {shown('tags') && (
              <TagsField label={t('components.person.tags')} disabled={!editable('tags')} {...form.getInputProps('tags')} />
            )}
            {shown('lawfulBasis') && (
              <Select
                label={t('components.person.lawfulBasis')}
                data={LAWFUL_BASES.map((value) => ({ value, label: t(`components.person.lawfulBases.${value}`) }))}
                clearable
                disabled={!editable('lawfulBasis')}
                {...form.getInputProps('lawfulBasis')}
              />
            )}
            <OwnerPicker
              label={t('components.person.owner')}
              disabled={!editable('ownerId')}
              clearable={false}
              placeholder={record ? undefined : t('components.person.ownerDefault')}
              {...form.getInputProps('ownerId')}
            />
          </SimpleGrid>
        </Fieldset>
        <Group justify="flex-end">
          <Button variant="default" onClick={onCancel}>
            {t('components.confirm.cancel')}
          </Button>
          <Button type="submit" loading={form.submitting} disabled={form.submitting}>
            {t('components.person.save')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
