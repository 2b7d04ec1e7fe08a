import { Select } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, data } from '../../api/client';

export type RecordKind = 'organization' | 'deal' | 'contact' | 'lead';
export const RECORD_KINDS: RecordKind[] = ['organization', 'deal', 'contact', 'lead'];

interface Option {
  value: string;
  label: string;
}

const fullName = (person: { firstName?: string; lastName?: string }) => [person.firstName, person.lastName].filter(Boolean).join(' ');

async function search(kind: RecordKind, q: string): Promise<Option[]> {
  const query = { limit: 20, ...(q && { q }) };
  switch (kind) {
    case 'organization':
      return (await data(api.GET('/api/v1/organizations', { params: { query } }))).items.map((o) => ({ value: o.id, label: o.name }));
    case 'deal':
      return (await data(api.GET('/api/v1/deals', { params: { query } }))).items.map((d) => ({ value: d.id, label: d.title }));
    case 'contact':
      return (await data(api.GET('/api/v1/contacts', { params: { query } }))).items.map((c) => ({ value: c.id, label: fullName(c) }));
    case 'lead':
      return (await data(api.GET('/api/v1/leads', { params: { query } }))).items.map((l) => ({ value: l.id, label: fullName(l) }));
  }
}

/** Finds one record of a kind by name (organizations, deals, contacts, leads), as the API searches each. */
export function RecordPicker({
  kind,
  label,
  value,
  onChange,
  error,
  initial,
}: {
  kind: RecordKind;
  label: string;
  value: string | null;
  onChange: (id: string | null) => void;
  error?: string | undefined;
  /** The option for the value given, when it may not be among the first answers. */
  initial?: Option | undefined;
}) {
  const { t } = useTranslation();
  const [typed, setTyped] = useState('');
  const [q] = useDebouncedValue(typed.trim(), 250);
  // Names are searched by word or prefix of two letters or more.
  const usable = q.length >= 2 ? q : '';
  const options = useQuery({ queryKey: ['record-picker', kind, usable], queryFn: () => search(kind, usable) });
  const [chosen, setChosen] = useState<Option | null>(initial ?? null);
  const data = [...(options.data ?? [])];
  if (chosen && !data.some((option) => option.value === chosen.value)) data.unshift(chosen);
  return (
    <Select
      label={label}
      searchable
      clearable
      data={data}
      value={value}
      onChange={(id, option) => {
        setChosen(option ?? null);
        onChange(id);
      }}
      onSearchChange={setTyped}
      searchValue={typed}
      filter={({ options: all }) => all}
      nothingFoundMessage={options.isFetching ? t('notes.searching') : t('notes.nothingFound')}
      error={error}
    />
  );
}
