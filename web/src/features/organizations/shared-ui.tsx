import { Alert, Button, Group, Stack, Text } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { formErrorsOf, isVersionConflict, problemDetail } from '../../components/problems';

// Small pieces the sales screens (organizations, deals, activities, notes) share on top of web/src/components.

export { ConflictAlert } from '../../components/ConflictAlert';

/** What a failed save means for a form: field errors next to their fields, a version conflict, or one message. */
export interface SaveFailure {
  fieldErrors: Record<string, string>;
  conflict: boolean;
  message: string | null;
}

export function saveFailureOf(error: unknown, fields: readonly string[], detailOf: (detail: string) => string): SaveFailure {
  if (isVersionConflict(error)) return { fieldErrors: {}, conflict: true, message: null };
  const fieldErrors = formErrorsOf(error, fields);
  return { fieldErrors, conflict: false, message: Object.keys(fieldErrors).length > 0 ? null : detailOf(problemDetail(error)) };
}

/** A delete button that asks first; the record goes to the recycle bin for 30 days. */
export function DeleteButton({ what, onConfirm }: { what: string; onConfirm: () => Promise<void> }) {
  const { t } = useTranslation();
  const [opened, { open, close }] = useDisclosure(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const confirm = async () => {
    setBusy(true);
    setError(null);
    try {
      await onConfirm();
      close();
    } catch (caught) {
      setError(problemDetail(caught));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <Button color="red" variant="light" onClick={open}>
        {t('organizations.shared.delete')}
      </Button>
      <ConfirmDialog
        opened={opened}
        title={t('organizations.shared.deleteTitle', { what })}
        message={t('organizations.shared.deleteText')}
        confirmLabel={t('organizations.shared.confirmDelete')}
        danger
        busy={busy}
        onConfirm={() => void confirm()}
        onClose={close}
      />
      {error && (
        <Alert color="red" role="alert">
          {t('app.error', { detail: error })}
        </Alert>
      )}
    </>
  );
}

/** A "load more" button for keyset-paged lists inside a detail page. */
export function LoadMore({ hasMore, loading, onLoad }: { hasMore: boolean; loading: boolean; onLoad: () => void }) {
  const { t } = useTranslation();
  if (!hasMore) return null;
  return (
    <Group justify="center">
      <Button variant="default" loading={loading} onClick={onLoad}>
        {t('organizations.shared.loadMore')}
      </Button>
    </Group>
  );
}

/** One labelled fact on a record page; a dash when it is empty. */
export function Field({ label, children }: { label: string; children: ReactNode }) {
  return (
    <Stack gap={0}>
      <Text size="xs" c="dimmed">
        {label}
      </Text>
      <Text component="div">{children || '—'}</Text>
    </Stack>
  );
}
