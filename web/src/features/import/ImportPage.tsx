import { Alert, Anchor, Badge, Button, FileInput, Group, Progress, Radio, Select, Stack, Stepper, Table, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { Link } from '@tanstack/react-router';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, ApiError, data } from '../../api/client';
import { useFormat } from '../../i18n/format';
import { contentTypeOf, mappingParameter, previewOf, type FilePreview } from './preview';
import { Counts, RefusedLines } from './RefusedLines';

const LAWFUL_BASES = ['consent', 'contract', 'legal_obligation', 'vital_interests', 'public_task', 'legitimate_interests'] as const;
type LawfulBasis = (typeof LAWFUL_BASES)[number];
type Duplicates = 'skip' | 'update';

/** The fields a CSV column can be read as (the `mapping` parameter of POST /imports/contacts). */
const FIELDS = [
  'firstName',
  'middleName',
  'lastNamePrefix',
  'lastName',
  'name',
  'email',
  'email.work',
  'email.home',
  'phone',
  'phone.mobile',
  'phone.work',
  'phone.home',
  'organization',
  'jobTitle',
  'street',
  'postalCode',
  'city',
  'region',
  'country',
  'birthday',
  'language',
  'tags',
  'note',
  'ignore',
] as const;

type ImportResult = NonNullable<Awaited<ReturnType<typeof importContacts>>>;

/** A random (version 4) UUID; crypto.randomUUID exists only on https and localhost, getRandomValues everywhere. */
function newImportId(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function importContacts(
  file: File,
  preview: FilePreview,
  options: { lawfulBasis: LawfulBasis; duplicates: Duplicates; mapping: Record<string, string>; dryRun: boolean; importId: string },
) {
  const mapping = preview.format === 'csv' ? mappingParameter(options.mapping) : undefined;
  return data(
    api.POST('/api/v1/imports/contacts', {
      params: {
        query: {
          lawfulBasis: options.lawfulBasis,
          duplicates: options.duplicates,
          dryRun: options.dryRun,
          // Named up front, so its progress can be asked for while the file uploads.
          importId: options.importId,
          ...(mapping ? { mapping } : {}),
        },
      },
      // The file goes as it is: the server streams it and finds its encoding and separator.
      body: file as never,
      bodySerializer: (body: unknown) => body as File,
      headers: { 'content-type': contentTypeOf(preview.format) },
    }),
  );
}

/**
 * The import wizard: upload a CSV or vCard file, map the columns and choose the lawful basis and what to do
 * with known people, see a dry run with every refused line, then import.
 */
export default function ImportPage() {
  const { t } = useTranslation();
  const format = useFormat();
  const [step, setStep] = useState(0);
  const [file, setFile] = useState<File | null>(null);
  const [preview, setPreview] = useState<FilePreview | null>(null);
  const [mapping, setMapping] = useState<Record<string, string>>({});
  const [lawfulBasis, setLawfulBasis] = useState<LawfulBasis | null>(null);
  const [duplicates, setDuplicates] = useState<Duplicates>('skip');
  const [dryRun, setDryRun] = useState<ImportResult | null>(null);
  const [result, setResult] = useState<ImportResult | null>(null);
  const [busy, setBusy] = useState<'dry' | 'import' | null>(null);
  const [running, setRunning] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [basisError, setBasisError] = useState<string | null>(null);

  const choose = async (chosen: File | null) => {
    setFile(chosen);
    setPreview(null);
    setMapping({});
    setDryRun(null);
    setResult(null);
    setError(null);
    if (chosen) setPreview(await previewOf(chosen));
  };

  const run = async (dry: boolean) => {
    if (!file || !preview) return;
    if (!lawfulBasis) {
      setBasisError(t('import.basisRequired'));
      return;
    }
    setBusy(dry ? 'dry' : 'import');
    setError(null);
    const importId = newImportId();
    setRunning(importId);
    try {
      const answer = await importContacts(file, preview, { lawfulBasis, duplicates, mapping, dryRun: dry, importId });
      if (dry) {
        setDryRun(answer);
        setStep(2);
      } else {
        setResult(answer);
        setStep(3);
      }
    } catch (caught) {
      if (caught instanceof ApiError && caught.code === 'lawful_basis_required') setBasisError(t('import.basisRequired'));
      else if (caught instanceof ApiError && caught.status === 413) setError(t('import.tooLarge'));
      else if (caught instanceof ApiError && caught.status === 403) setError(t('import.forbidden'));
      else setError(t('app.error', { detail: caught instanceof Error ? caught.message : String(caught) }));
    } finally {
      setBusy(null);
      setRunning(null);
    }
  };

  const ignored = new Set((dryRun?.ignoredColumns ?? []).map((column) => column.toLowerCase()));
  const fieldOptions = [
    { value: '', label: t('import.automatic') },
    ...FIELDS.map((field) => ({ value: field, label: t(`import.field.${field}`) })),
  ];

  return (
    <Stack maw={1040}>
      <Title order={1}>{t('import.title')}</Title>
      {error && (
        <Alert color="red" role="alert">
          {error}
        </Alert>
      )}
      <Stepper active={step} onStepClick={(next) => next < step && step < 3 && setStep(next)} size="sm" allowNextStepsSelect={false}>
        <Stepper.Step label={t('import.stepUpload')}>
          <Stack mt="md" maw={520}>
            <Title order={2} size="h3">
              {t('import.stepUpload')}
            </Title>
            <Text size="sm">{t('import.uploadIntro')}</Text>
            <FileInput
              label={t('import.file')}
              description={t('import.fileHint')}
              accept=".csv,.txt,.vcf,.vcard,text/csv,text/vcard,text/plain"
              value={file}
              onChange={(chosen) => void choose(chosen)}
              clearable
              clearButtonProps={{ 'aria-label': t('import.clearFile') }}
            />
            {file && preview && (
              <Text size="sm" data-testid="file-summary">
                {preview.format === 'vcard'
                  ? t('import.vcardFile', { size: format.number(file.size) })
                  : t('import.csvFile', { columns: format.number(preview.columns.length), size: format.number(file.size) })}
              </Text>
            )}
            <Group>
              <Button onClick={() => setStep(1)} disabled={!preview}>
                {t('import.next')}
              </Button>
            </Group>
          </Stack>
        </Stepper.Step>

        <Stepper.Step label={t('import.stepSettings')}>
          <Stack mt="md">
            <Title order={2} size="h3">
              {t('import.stepSettings')}
            </Title>
            <Select
              label={t('import.lawfulBasis')}
              description={t('import.lawfulBasisHint')}
              placeholder={t('import.choose')}
              data={LAWFUL_BASES.map((basis) => ({ value: basis, label: t(`import.basis.${basis}`) }))}
              value={lawfulBasis}
              onChange={(value) => {
                setLawfulBasis(value as LawfulBasis | null);
                setBasisError(null);
              }}
              error={basisError}
              required
              maw={420}
            />
            <Radio.Group
              label={t('import.duplicates')}
              description={t('import.duplicatesHint')}
              value={duplicates}
              onChange={(value) => setDuplicates(value as Duplicates)}
            >
              <Stack mt="xs" gap="xs">
                <Radio value="skip" label={t('import.duplicatesSkip')} />
                <Radio value="update" label={t('import.duplicatesUpdate')} />
              </Stack>
            </Radio.Group>
            {preview?.format === 'csv' && (
              <>
                <Title order={3} size="h4">
                  {t('import.mappingTitle')}
                </Title>
                <Text size="sm">{t('import.mappingIntro')}</Text>
                <Table.ScrollContainer minWidth={560}>
                  <Table data-testid="column-mapping">
                    <Table.Thead>
                      <Table.Tr>
                        <Table.Th>{t('import.column')}</Table.Th>
                        <Table.Th>{t('import.example')}</Table.Th>
                        <Table.Th>{t('import.readAs')}</Table.Th>
                        <Table.Th>{t('import.used')}</Table.Th>
                      </Table.Tr>
                    </Table.Thead>
                    <Table.Tbody>
                      {preview.columns.map((column, index) => (
                        <Table.Tr key={`${index}:${column}`}>
                          <Table.Td>{column || t('import.unnamedColumn', { number: index + 1 })}</Table.Td>
                          <Table.Td>
                            <Text size="sm" lineClamp={1} maw={220}>
                              {preview.sample.map((row) => row[index] ?? '').find((value) => value.trim() !== '') ?? ''}
                            </Text>
                          </Table.Td>
                          <Table.Td>
                            <Select
                              aria-label={t('import.readAsColumn', { column })}
                              data={fieldOptions}
                              value={mapping[column] ?? ''}
                              onChange={(value) => setMapping((current) => ({ ...current, [column]: value ?? '' }))}
                              allowDeselect={false}
                              size="xs"
                              w={200}
                              disabled={!column}
                            />
                          </Table.Td>
                          <Table.Td>
                            {dryRun ? (
                              ignored.has(column.toLowerCase()) || mapping[column] === 'ignore' ? (
                                <Badge color="gray.8">{t('import.notUsed')}</Badge>
                              ) : (
                                <Badge color="teal.9">{t('import.isUsed')}</Badge>
                              )
                            ) : (
                              <Text size="sm" c="dimmed">
                                {t('import.afterDryRun')}
                              </Text>
                            )}
                          </Table.Td>
                        </Table.Tr>
                      ))}
                    </Table.Tbody>
                  </Table>
                </Table.ScrollContainer>
              </>
            )}
            <Group>
              <Button variant="default" onClick={() => setStep(0)}>
                {t('import.back')}
              </Button>
              <Button onClick={() => void run(true)} loading={busy === 'dry'} disabled={busy !== null}>
                {t('import.dryRun')}
              </Button>
            </Group>
            {busy === 'dry' && running && <RunningImport importId={running} />}
          </Stack>
        </Stepper.Step>

        <Stepper.Step label={t('import.stepDryRun')}>
          {dryRun && (
            <Stack mt="md">
              <Title order={2} size="h3">
                {t('import.dryRunTitle')}
              </Title>
              <Text size="sm">{t('import.dryRunIntro')}</Text>
              <Counts
                counts={{
                  rows: dryRun.rows,
                  created: dryRun.created,
                  updated: dryRun.updated,
                  skipped: dryRun.skipped,
                  refused: dryRun.errorCount,
                }}
              />
              <RefusedLines errors={dryRun.errors} total={dryRun.errorCount} />
              <Warnings result={dryRun} />
              {busy === 'import' && running && <RunningImport importId={running} total={dryRun.rows} />}
              <Group>
                <Button variant="default" onClick={() => setStep(1)} disabled={busy !== null}>
                  {t('import.changeSettings')}
                </Button>
                <Button
                  onClick={() => void run(false)}
                  loading={busy === 'import'}
                  disabled={busy !== null || dryRun.created + dryRun.updated === 0}
                >
                  {t('import.importNow')}
                </Button>
              </Group>
            </Stack>
          )}
        </Stepper.Step>

        <Stepper.Completed>
          {result && (
            <Stack mt="md">
              <Title order={2} size="h3">
                {t('import.resultTitle')}
              </Title>
              <Alert color={result.errorCount > 0 ? 'yellow' : 'green'} role="status">
                {t('import.resultSummary', {
                  created: format.number(result.created),
                  updated: format.number(result.updated),
                  refused: format.number(result.errorCount),
                })}
              </Alert>
              <Counts
                counts={{
                  rows: result.rows,
                  created: result.created,
                  updated: result.updated,
                  skipped: result.skipped,
                  refused: result.errorCount,
                }}
              />
              <RefusedLines errors={result.errors} total={result.errorCount} />
              <Warnings result={result} />
              <Group>
                <Anchor renderRoot={(props) => <Link {...props} to="/import/$importId" params={{ importId: result.id }} />}>
                  {t('import.keepLink')}
                </Anchor>
                <Button variant="default" onClick={() => void choose(null).then(() => setStep(0))}>
                  {t('import.another')}
                </Button>
              </Group>
            </Stack>
          )}
        </Stepper.Completed>
      </Stepper>
    </Stack>
  );
}

/**
 * The progress of the import in flight, asked for every second while its file uploads (GET /imports/{id}): the lines
 * done so far, of the dry run's count when there was one. Until the server has the import (its first moments) the bar
 * runs without a figure.
 */
function RunningImport({ importId, total }: { importId: string; total?: number }) {
  const { t } = useTranslation();
  const format = useFormat();
  const status = useQuery({
    queryKey: ['imports', importId, 'progress'],
    queryFn: () => data(api.GET('/api/v1/imports/{id}', { params: { path: { id: importId } } })),
    refetchInterval: 1000,
    retry: false,
    gcTime: 0,
  });
  const done = status.data?.rows ?? 0;
  const known = total !== undefined && total > 0;
  return (
    <Stack gap={4} data-testid="import-progress">
      <Progress
        value={known ? Math.min(100, (done / total) * 100) : 100}
        animated={!known || done === 0}
        striped={!known || done === 0}
        aria-label={t('import.running')}
      />
      <Text size="sm" role="status">
        {known
          ? t('import.progressOf', { done: format.number(Math.min(done, total)), total: format.number(total) })
          : t('import.progressRows', { done: format.number(done) })}
      </Text>
    </Stack>
  );
}

/** Values left out of people who went in without them, and columns that were not read. */
function Warnings({ result }: { result: ImportResult }) {
  const { t } = useTranslation();
  const format = useFormat();
  if (result.warningCount === 0 && result.ignoredColumns.length === 0) return null;
  return (
    <Stack gap="xs">
      {result.warningCount > 0 && (
        <>
          <Title order={3} size="h4">
            {t('import.warningsTitle', { count: result.warningCount, formatted: format.number(result.warningCount) })}
          </Title>
          <Table.ScrollContainer minWidth={320}>
            <Table>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t('import.line')}</Table.Th>
                  <Table.Th>{t('import.leftOut')}</Table.Th>
                  <Table.Th>{t('import.reason')}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {result.warnings.map((warning) => (
                  <Table.Tr key={`${warning.line}:${warning.field}:${warning.message}`}>
                    <Table.Td>{format.number(warning.line)}</Table.Td>
                    <Table.Td>{warning.field}</Table.Td>
                    <Table.Td>{warning.message}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        </>
      )}
      {result.ignoredColumns.length > 0 && (
        <Text size="sm">{t('import.ignoredColumns', { columns: result.ignoredColumns.join(', ') })}</Text>
      )}
    </Stack>
  );
}
