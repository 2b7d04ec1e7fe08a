import { Table, Text, Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { useFormat } from '../../i18n/format';

/** Every line the import refused, with the reason the API gave (the API lists the first 1,000 of `total`). */
export function RefusedLines({ errors, total }: { errors: Array<{ line: number; message: string }>; total: number }) {
  const { t } = useTranslation();
  const format = useFormat();
  if (total === 0) return <Text>{t('import.noRefused')}</Text>;
  return (
    <>
      <Title order={3} size="h4">
        {t('import.refusedTitle', { count: total, formatted: format.number(total) })}
      </Title>
      {errors.length < total && <Text size="sm">{t('import.refusedFirst', { shown: format.number(errors.length) })}</Text>}
      <Table.ScrollContainer minWidth={320}>
        <Table data-testid="refused-lines">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('import.line')}</Table.Th>
              <Table.Th>{t('import.reason')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {errors.map((error) => (
              <Table.Tr key={`${error.line}:${error.message}`}>
                <Table.Td>{format.number(error.line)}</Table.Td>
                <Table.Td>{error.message}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </>
  );
}

/** Created / updated / skipped / refused, as a small list of figures. */
export function Counts({ counts }: { counts: { rows: number; created: number; updated: number; skipped: number; refused: number } }) {
  const { t } = useTranslation();
  const format = useFormat();
  return (
    <Table variant="vertical" withTableBorder maw={360} data-testid="import-counts">
      <Table.Tbody>
        {(['rows', 'created', 'updated', 'skipped', 'refused'] as const).map((key) => (
          <Table.Tr key={key}>
            <Table.Th>{t(`import.count.${key}`)}</Table.Th>
            <Table.Td>{format.number(counts[key])}</Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}
