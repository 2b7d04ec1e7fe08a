import { Alert, Button, Group, Stack, Text, Textarea, Title } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useInfiniteQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, data } from '../../api/client';
import { usePermissions } from '../../components/permissions';
import { LoadMore, saveFailureOf } from '../organizations/shared-ui';
import { noteKeys, notesQuery, type NoteTarget } from './api';
import { NoteItem } from './NoteItem';

/** The notes of one record (contact, lead, organization or deal), newest first, with a form to add one. */
export function NotesPanel({ target }: { target: NoteTarget }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const list = useInfiniteQuery(notesQuery(target));
  const notes = list.data?.pages.flatMap((page) => page.items) ?? [];
  const [message, setMessage] = useState<string | null>(null);
  const { can } = usePermissions();
  const form = useForm({
    mode: 'uncontrolled',
    initialValues: { body: '' },
    validate: { body: (value) => (value.trim() ? null : t('notes.required')) },
  });

  const add = form.onSubmit(async ({ body }) => {
    setMessage(null);
    try {
      await data(api.POST('/api/v1/notes', { body: { body: body.trim(), ...target } }));
      form.reset();
      await queryClient.invalidateQueries({ queryKey: noteKeys.all });
    } catch (caught) {
      const failure = saveFailureOf(caught, ['body'], (detail) => t('app.error', { detail }));
      form.setErrors(failure.fieldErrors);
      setMessage(failure.message);
    }
  });

  return (
    <Stack component="section" aria-labelledby="notes-heading">
      <Title order={2} size="h3" id="notes-heading">
        {t('notes.title')}
      </Title>
      {can('notes', 'create') && (
        <form onSubmit={add} noValidate>
          <Stack gap="xs">
            {message && (
              <Alert color="red" role="alert">
                {message}
              </Alert>
            )}
            <Textarea label={t('notes.new')} autosize minRows={2} key={form.key('body')} {...form.getInputProps('body')} />
            <Group justify="flex-end">
              <Button type="submit" loading={form.submitting} disabled={form.submitting}>
                {t('notes.add')}
              </Button>
            </Group>
          </Stack>
        </form>
      )}
      {list.isSuccess && notes.length === 0 && <Text c="dimmed">{t('notes.empty')}</Text>}
      {notes.map((note) => (
        <NoteItem key={note.id} note={note} />
      ))}
      <LoadMore hasMore={list.hasNextPage} loading={list.isFetchingNextPage} onLoad={() => void list.fetchNextPage()} />
    </Stack>
  );
}
