import { Anchor, Badge, Group, SimpleGrid, Stack, Text } from '@mantine/core';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { useFormat } from '../i18n/format';
import './i18n';
import type { PersonRecord } from './PersonForm';
import { useUserNames } from './Pickers';

function Item({ label, children }: { label: string; children: ReactNode }) {
  return (
    <Stack gap={0}>
      <Text size="sm" c="dimmed">
        {label}
      </Text>
      <div>{children}</div>
    </Stack>
  );
}

/** The fields of a contact or a lead; a field the API left out (hidden by the profile) is not shown. */
export function PersonSummary({
  person,
  extra,
}: {
  person: PersonRecord & { createdAt: string; updatedAt: string };
  extra?: { label: string; value: ReactNode }[];
}) {
  const { t } = useTranslation();
  const format = useFormat();
  const userName = useUserNames();
  return (
    <SimpleGrid cols={{ base: 1, sm: 2, md: 3 }} spacing="md">
      {person.emails !== undefined && (
        <Item label={t('components.person.emails')}>
          {person.emails.length === 0
            ? '—'
            : person.emails.map((email) => (
                <div key={email.value}>
                  <Anchor href={`mailto:${email.value}`}>{email.value}</Anchor>
                </div>
              ))}
        </Item>
      )}
      {person.phones !== undefined && (
        <Item label={t('components.person.phones')}>
          {person.phones.length === 0
            ? '—'
            : person.phones.map((phone) => (
                <div key={phone.value}>
                  <Anchor href={`tel:${phone.value}`}>{phone.value}</Anchor>
                </div>
              ))}
        </Item>
      )}
      {person.jobTitle !== undefined && <Item label={t('components.person.jobTitle')}>{person.jobTitle || '—'}</Item>}
      {person.birthday !== undefined && (
        <Item label={t('components.person.birthday')}>{person.birthday ? format.date(person.birthday) : '—'}</Item>
      )}
      {extra?.map((item) => (
        <Item key={item.label} label={item.label}>
          {item.value}
        </Item>
      ))}
      {person.tags !== undefined && (
        <Item label={t('components.person.tags')}>
          {person.tags.length === 0 ? (
            '—'
          ) : (
            <Group gap={4}>
              {person.tags.map((tag) => (
                <Badge key={tag} variant="light">
                  {tag}
                </Badge>
              ))}
            </Group>
          )}
        </Item>
      )}
      {person.lawfulBasis !== undefined && (
        <Item label={t('components.person.lawfulBasis')}>
          {person.lawfulBasis ? t(`components.person.lawfulBases.${person.lawfulBasis}`) : '—'}
        </Item>
      )}
      <Item label={t('components.person.owner')}>{userName(person.ownerId)}</Item>
      <Item label={t('components.person.createdAt')}>{format.dateTime(person.createdAt)}</Item>
      <Item label={t('components.person.updatedAt')}>{format.dateTime(person.updatedAt)}</Item>
    </SimpleGrid>
  );
}
