import { Alert, Button, Group, Paper, Stack, Text, Textarea } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useQueryClient } from '@tanstack/react-query';
import { useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { api, data } from '../../api/client';
import { useFormat } from '../../i18n/format';
import { usePermissions } from '../../components/permissions';
import { ConflictAlert, DeleteButton, saveFailureOf } from '../organizations/shared-ui';
import { noteKeys, type Note } from './api';

/** One note: its text and date, edited in place (with its version) or deleted. */
export function NoteItem({ note, context }: { note: Note; context?: ReactNode }) {
  const { t } = useTranslation();
  const format = useFormat();
  const queryClient = useQueryClient();
  const [editing, setEditing] = useState(false);
  const { can } = usePermissions();
  const [conflict, setConflict] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const form = useForm({
    mode: 'uncontrolled',
    initialValues: { body: note.body },
    validate: { body: (value) => (value.trim() ? null : t('notes.required')) },
  });

  const save = form.onSubmit(async ({ body }) => {
    setConflict(false);
    setMessage(null);
    try {
      await data(
        api.PATCH('/api/v1/notes/{id}', { params: { path: { id: note.id } }, body: { body: body.trim(), version: note.version } }),
      );
      await queryClient.invalidateQueries({ queryKey: noteKeys.all });
      setEditing(false);
    } catch (caught) {
      const failure = saveFailureOf(caught, ['body'], (detail) => t('app.error', { detail }));
      form.setErrors(failure.fieldErrors);
      setConflict(failure.conflict);
      setMessage(failure.message);
    }
  });

  const reload = async () => {
    await queryClient.invalidateQueries({ queryKey: noteKeys.all });
    setConflict(false);
    setEditing(false);
  };

  const remove = async () => {
    await api.DELETE('/api/v1/notes/{id}', { params: { path: { id: note.id } } });
    await queryClient.invalidateQueries({ queryKey: noteKeys.all });
  };

  return (
    <Paper withBorder p="sm" component="article">
      {editing ? (
        <form onSubmit={save} noValidate>
          <Stack gap="xs">
            {conflict && <ConflictAlert onReload={() => void reload()} />}
            {message && (
              <Alert color="red" role="alert">
                {message}
              </Alert>
            )}
            <Textarea label={t('notes.body')} autosize minRows={2} key={form.key('body')} {...form.getInputProps('body')} />
            <Group justify="flex-end">
              <Button variant="default" onClick={() => setEditing(false)}>
                {t('notes.cancel')}
              </Button>
              <Button type="submit" loading={form.submitting} disabled={form.submitting}>
                {t('notes.save')}
              </Button>
            </Group>
          </Stack>
        </form>
      ) : (
        <Stack gap="xs">
          <Text style={{ whiteSpace: 'pre-wrap' }}>{note.body}</Text>
          <Group justify="space-between" wrap="wrap">
            <Text size="xs" c="dimmed">
              {format.dateTime(note.createdAt)}
              {context}
            </Text>
            <Group gap="xs">
              {can('notes', 'edit') && (
                <Button
                  size="xs"
                  variant="default"
                  onClick={() => {
                    form.setValues({ body: note.body });
                    setEditing(true);
                  }}
                >
                  {t('notes.edit')}
                </Button>
              )}
              {can('notes', 'delete') && <DeleteButton what={t('notes.one')} onConfirm={remove} />}
            </Group>
          </Group>
        </Stack>
      )}
    </Paper>
  );
}
