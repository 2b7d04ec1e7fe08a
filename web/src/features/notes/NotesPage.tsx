import { Alert, Anchor, Button, Group, Paper, Select, Stack, Text, Textarea, Title } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useInfiniteQuery, useQueryClient } from '@tanstack/react-query';
import { Link } from '@tanstack/react-router';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, data } from '../../api/client';
import { usePermissions } from '../../components/permissions';
import { LoadMore, saveFailureOf } from '../organizations/shared-ui';
import { noteKeys, notesQuery, type Note, type NoteTarget } from './api';
import { NoteItem } from './NoteItem';
import { RECORD_KINDS, RecordPicker, type RecordKind } from './RecordPicker';

function targetOf(kind: RecordKind, id: string): NoteTarget {
  switch (kind) {
    case 'organization':
      return { organizationId: id };
    case 'deal':
      return { dealId: id };
    case 'contact':
      return { contactId: id };
    case 'lead':
      return { leadId: id };
  }
}

/** Where a note belongs, as a link to its record. */
function NoteContext({ note }: { note: Note }) {
  const { t } = useTranslation();
  const sep = ' · ';
  if (note.organizationId)
    return (
      <>
        {sep}
        <Anchor
          size="xs"
          underline="always"
          renderRoot={(props) => <Link {...props} to="/organizations/$organizationId" params={{ organizationId: note.organizationId }} />}
        >
          {t('notes.kinds.organization')}
        </Anchor>
      </>
    );
  if (note.dealId)
    return (
      <>
        {sep}
        <Anchor
          size="xs"
          underline="always"
          renderRoot={(props) => <Link {...props} to="/deals/$dealId" params={{ dealId: note.dealId }} />}
        >
          {t('notes.kinds.deal')}
        </Anchor>
      </>
    );
  if (note.contactId)
    return (
      <>
        {sep}
        <Anchor
          size="xs"
          underline="always"
          renderRoot={(props) => <Link {...props} to="/contacts/$contactId" params={{ contactId: note.contactId }} />}
        >
          {t('notes.kinds.contact')}
        </Anchor>
      </>
    );
  return (
    <>
      {sep}
      {t('notes.kinds.lead')}
    </>
  );
}

/** Every note the user may read, newest first, and a form to add one to any record. */
export default function NotesPage() {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const list = useInfiniteQuery(notesQuery({}));
  const notes = list.data?.pages.flatMap((page) => page.items) ?? [];
  const [message, setMessage] = useState<string | null>(null);
  const { can } = usePermissions();
  const form = useForm<{ kind: RecordKind; recordId: string | null; body: string }>({
    mode: 'controlled',
    initialValues: { kind: 'organization', recordId: null, body: '' },
    validate: {
      recordId: (value) => (value ? null : t('notes.required')),
      body: (value) => (value.trim() ? null : t('notes.required')),
    },
  });

  const add = form.onSubmit(async ({ kind, recordId, body }) => {
    if (!recordId) return;
    setMessage(null);
    try {
      await data(api.POST('/api/v1/notes', { body: { body: body.trim(), ...targetOf(kind, recordId) } }));
      form.setFieldValue('body', '');
      await queryClient.invalidateQueries({ queryKey: noteKeys.all });
    } catch (caught) {
      const failure = saveFailureOf(caught, ['body', 'recordId'], (detail) => t('app.error', { detail }));
      form.setErrors(failure.fieldErrors);
      setMessage(failure.message);
    }
  });

  return (
    <Stack>
      <Title order={1}>{t('notes.title')}</Title>
      {can('notes', 'create') && (
        <Paper withBorder p="md" component="section" aria-labelledby="new-note-heading">
          <form onSubmit={add} noValidate>
            <Stack gap="sm">
              <Title order={2} size="h4" id="new-note-heading">
                {t('notes.new')}
              </Title>
              {message && (
                <Alert color="red" role="alert">
                  {message}
                </Alert>
              )}
              <Group grow align="flex-start" wrap="wrap">
                <Select
                  label={t('notes.kind')}
                  data={RECORD_KINDS.map((kind) => ({ value: kind, label: t(`notes.kinds.${kind}`) }))}
                  value={form.values.kind}
                  onChange={(value) => {
                    if (!value) return;
                    form.setFieldValue('kind', value as RecordKind);
                    form.setFieldValue('recordId', null);
                  }}
                  allowDeselect={false}
                  miw={180}
                />
                <RecordPicker
                  key={form.values.kind}
                  kind={form.values.kind}
                  label={t('notes.record')}
                  value={form.values.recordId}
                  onChange={(id) => form.setFieldValue('recordId', id)}
                  error={form.errors.recordId as string | undefined}
                />
              </Group>
              <Textarea label={t('notes.body')} autosize minRows={2} {...form.getInputProps('body')} />
              <Group justify="flex-end">
                <Button type="submit" loading={form.submitting} disabled={form.submitting}>
                  {t('notes.add')}
                </Button>
              </Group>
            </Stack>
          </form>
        </Paper>
      )}
      <Title order={2} size="h3">
        {t('notes.all')}
      </Title>
      {list.isError && (
        <Alert color="red" role="alert">
          {t('app.error', { detail: list.error.message })}
        </Alert>
      )}
      {list.isSuccess && notes.length === 0 && <Text c="dimmed">{t('notes.empty')}</Text>}
      {notes.map((note) => (
        <NoteItem key={note.id} note={note} context={<NoteContext note={note} />} />
      ))}
      <LoadMore hasMore={list.hasNextPage} loading={list.isFetchingNextPage} onLoad={() => void list.fetchNextPage()} />
    </Stack>
  );
}
