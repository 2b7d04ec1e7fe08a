import { MultiSelect } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, data } from '../../api/client';

interface Option {
  value: string;
  label: string;
}

const fullName = (person: { firstName?: string; lastName?: string }) => [person.firstName, person.lastName].filter(Boolean).join(' ');

/** Picks contacts by name (as the contacts API searches: by word or prefix); the chosen stay listed while searching on. */
export function ContactsPicker({ value, onChange }: { value: string[]; onChange: (ids: string[]) => void }) {
  const { t } = useTranslation();
  const [typed, setTyped] = useState('');
  const [q] = useDebouncedValue(typed.trim(), 250);
  const usable = q.length >= 2 ? q : '';
  const found = useQuery({
    queryKey: ['campaigns', 'contact-picker', usable],
    queryFn: async () =>
      (await data(api.GET('/api/v1/contacts', { params: { query: { limit: 20, ...(usable && { q: usable }) } } }))).items.map(
        (c): Option => ({ value: c.id, label: fullName(c) || t('campaigns.unnamed') }),
      ),
  });
  const [chosen, setChosen] = useState<Map<string, Option>>(new Map());
  const options = [...(found.data ?? [])];
  for (const option of chosen.values()) if (!options.some((o) => o.value === option.value)) options.push(option);
  return (
    <MultiSelect
      label={t('campaigns.contacts')}
      description={t('campaigns.contactsHelp')}
      searchable
      clearable
      data={options}
      value={value}
      onChange={(ids) => {
        const next = new Map<string, Option>();
        for (const id of ids) {
          const option = options.find((o) => o.value === id) ?? chosen.get(id);
          if (option) next.set(id, option);
        }
        setChosen(next);
        onChange(ids);
      }}
      onSearchChange={setTyped}
      searchValue={typed}
      filter={({ options: all }) => all}
      nothingFoundMessage={found.isFetching ? t('campaigns.searching') : t('campaigns.nothingFound')}
      maxValues={1000}
    />
  );
}
