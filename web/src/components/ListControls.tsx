import { Button, Collapse, Group, Select, SimpleGrid, TextInput } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useTranslation } from 'react-i18next';
import './i18n';
import { GroupPicker, OwnerPicker, TagPicker } from './Pickers';

/** The filters every record list of the API takes (dates as YYYY-MM-DD). */
export interface ListFilters {
  ownerId?: string | undefined;
  ownerGroupId?: string | undefined;
  tag?: string | undefined;
  createdFrom?: string | undefined;
  createdTo?: string | undefined;
  updatedFrom?: string | undefined;
  updatedTo?: string | undefined;
}

export const FILTER_KEYS = ['ownerId', 'ownerGroupId', 'tag', 'createdFrom', 'createdTo', 'updatedFrom', 'updatedTo'] as const;

/** Only the filters that are set, e.g. for a query string or an API query. */
export function activeFilters(filters: ListFilters): ListFilters {
  const active: ListFilters = {};
  for (const key of FILTER_KEYS) if (filters[key]) active[key] = filters[key];
  return active;
}

/** Reads the filters from a route's search params (unknown values are dropped). */
export function filtersFromSearch(search: Record<string, unknown>): ListFilters {
  const filters: ListFilters = {};
  for (const key of FILTER_KEYS) {
    const value = search[key];
    if (typeof value === 'string' && value !== '') filters[key] = value;
  }
  return filters;
}

/** A sort order chosen from the API's sort keys (a leading - sorts descending). */
export function SortSelect<S extends string>({
  value,
  options,
  onChange,
}: {
  value: S;
  options: { value: S; label: string }[];
  onChange: (value: S) => void;
}) {
  const { t } = useTranslation();
  return (
    <Select
      label={t('components.sort.label')}
      data={options}
      value={value}
      onChange={(next) => next && onChange(next as S)}
      allowDeselect={false}
      w={{ base: '100%', xs: 220 }}
    />
  );
}

const DATE_FIELDS = ['createdFrom', 'createdTo', 'updatedFrom', 'updatedTo'] as const;

/** Owner, group, tag and date filters behind a "Filters" button, so a phone's screen stays for the list. */
export function RecordFilters({
  value,
  onChange,
  show = { owner: true, group: true, tag: true, dates: true },
}: {
  value: ListFilters;
  onChange: (filters: ListFilters) => void;
  show?: { owner?: boolean; group?: boolean; tag?: boolean; dates?: boolean };
}) {
  const { t } = useTranslation();
  const active = Object.keys(activeFilters(value)).length;
  const [opened, { toggle }] = useDisclosure(active > 0);
  const set = (key: keyof ListFilters, next: string | null) => onChange({ ...value, [key]: next || undefined });
  return (
    <div>
      <Group gap="xs">
        <Button variant="default" onClick={toggle} aria-expanded={opened} aria-controls="record-filters">
          {opened ? t('components.filters.hide') : t('components.filters.show')}
          {active > 0 ? ` (${active})` : ''}
        </Button>
        {active > 0 && (
          <Button variant="subtle" onClick={() => onChange({})}>
            {t('components.filters.clear')}
          </Button>
        )}
      </Group>
      <Collapse expanded={opened}>
        <SimpleGrid id="record-filters" cols={{ base: 1, xs: 2, md: 4 }} mt="sm" role="group" aria-label={t('components.filters.title')}>
          {show.owner !== false && (
            <OwnerPicker
              value={value.ownerId ?? null}
              onChange={(next) => set('ownerId', next)}
              placeholder={t('components.filters.any')}
            />
          )}
          {show.group !== false && (
            <GroupPicker
              value={value.ownerGroupId ?? null}
              onChange={(next) => set('ownerGroupId', next)}
              placeholder={t('components.filters.any')}
            />
          )}
          {show.tag !== false && (
            <TagPicker value={value.tag ?? null} onChange={(next) => set('tag', next)} placeholder={t('components.filters.any')} />
          )}
          {show.dates !== false &&
            DATE_FIELDS.map((key) => (
              <TextInput
                key={key}
                type="date"
                label={t(`components.filters.${key}`)}
                value={value[key] ?? ''}
                onChange={(event) => set(key, event.currentTarget.value)}
              />
            ))}
        </SimpleGrid>
      </Collapse>
    </div>
  );
}
