import { Alert, Button, Group, Modal, Stack, Text, Textarea } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, data } from '../../api/client';
import { notify } from '../../components/notify';
import { usePermissions } from '../../components/permissions';
import { problemDetail } from '../../components/problems';

export type PrivacyPerson = { kind: 'contacts' | 'leads'; id: string };

/** Shown on a restricted person: what restriction means for the user looking at it. */
export function RestrictionBanner({ restricted }: { restricted: boolean | undefined }) {
  const { t } = useTranslation();
  if (!restricted) return null;
  return (
    <Alert color="blue" variant="outline" title={t('personPrivacy.restrictedTitle')} role="status">
      {t('personPrivacy.restrictedText')}
    </Alert>
  );
}

/**
 * A privacy officer's actions on a person: restrict processing or lift it (a
 * recorded decision with a reason), and erase the person (final).
 */
export function PersonPrivacyActions({
  person,
  name,
  restricted,
  onErased,
  requestId,
  show = ['restrict', 'erase'],
}: {
  person: PrivacyPerson;
  name: string;
  restricted: boolean | undefined;
  onErased: () => void;
  /** The data-subject request this is done for: recorded with the erasure or restriction. */
  requestId?: string;
  show?: ReadonlyArray<'restrict' | 'erase'>;
}) {
  const { t } = useTranslation();
  const { can } = usePermissions();
  const queryClient = useQueryClient();
  const [dialog, setDialog] = useState<'restrict' | 'lift' | 'erase' | null>(null);
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const mayRestrict = can('privacy', 'edit') && show.includes('restrict');
  const mayErase = can('privacy', 'delete') && show.includes('erase');
  if (!mayRestrict && !mayErase) return null;

  const close = () => {
    setDialog(null);
    setReason('');
    setError(null);
  };
  const params = { params: { path: { id: person.id } } };
  const run = async () => {
    setBusy(true);
    setError(null);
    try {
      if (dialog === 'erase') {
        await data(
          person.kind === 'contacts'
            ? api.POST('/api/v1/contacts/{id}/erase', { ...params, body: requestId ? { requestId } : {} })
            : api.POST('/api/v1/leads/{id}/erase', { ...params, body: requestId ? { requestId } : {} }),
        );
        await queryClient.invalidateQueries({ queryKey: [person.kind] });
        notify(t('personPrivacy.erased'), 'green');
        close();
        onErased();
        return;
      }
      const body = { reason: reason.trim() };
      const restrictBody = requestId ? { ...body, requestId } : body;
      if (dialog === 'restrict')
        await data(
          person.kind === 'contacts'
            ? api.POST('/api/v1/contacts/{id}/restriction', { ...params, body: restrictBody })
            : api.POST('/api/v1/leads/{id}/restriction', { ...params, body: restrictBody }),
        );
      else
        await data(
          person.kind === 'contacts'
            ? api.POST('/api/v1/contacts/{id}/restriction/lift', { ...params, body })
            : api.POST('/api/v1/leads/{id}/restriction/lift', { ...params, body }),
        );
      await queryClient.invalidateQueries({ queryKey: [person.kind] });
      notify(t(dialog === 'restrict' ? 'personPrivacy.restrictedNow' : 'personPrivacy.liftedNow'), 'green');
      close();
    } catch (problem) {
      setError(problemDetail(problem));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      {mayRestrict &&
        (restricted ? (
          <Button variant="default" onClick={() => setDialog('lift')}>
            {t('personPrivacy.lift')}
          </Button>
        ) : (
          <Button variant="default" onClick={() => setDialog('restrict')}>
            {t('personPrivacy.restrict')}
          </Button>
        ))}
      {mayErase && (
        <Button color="red" onClick={() => setDialog('erase')}>
          {t('personPrivacy.erase')}
        </Button>
      )}
      <Modal
        opened={dialog !== null}
        onClose={close}
        centered
        title={dialog ? t(`personPrivacy.${dialog}Title`, { name }) : ''}
        closeButtonProps={{ 'aria-label': t('personPrivacy.close') }}
      >
        <Stack>
          {dialog && <Text>{t(`personPrivacy.${dialog}Text`, { name })}</Text>}
          {dialog !== 'erase' && (
            <Textarea
              label={t('personPrivacy.reason')}
              description={t('personPrivacy.reasonHelp')}
              required
              minLength={3}
              maxLength={2000}
              autosize
              minRows={2}
              value={reason}
              onChange={(event) => setReason(event.currentTarget.value)}
            />
          )}
          {error && (
            <Alert color="red" role="alert">
              {error}
            </Alert>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={close} disabled={busy}>
              {t('personPrivacy.cancel')}
            </Button>
            <Button
              color={dialog === 'erase' ? 'red' : undefined}
              loading={busy}
              disabled={dialog !== 'erase' && reason.trim().length < 3}
              onClick={() => void run()}
            >
              {dialog ? t(`personPrivacy.${dialog}Confirm`) : ''}
            </Button>
          </Group>
        </Stack>
      </Modal>
    </>
  );
}
