import { Alert, Badge, Button, Card, Group, Select, SimpleGrid, Stack, Text, Textarea, Timeline, Title } from '@mantine/core';
import { CaseActions } from '../person-privacy/CaseActions';
import { DownloadPackage } from '../privacy-export/DownloadPackage';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Loading, LoadError } from '../../app/RouteStates';
import { usePermissions } from '../../components/permissions';
import { usersQuery, useUserNames } from '../../components/Pickers';
import { notify } from '../../components/notify';
import { problemDetail } from '../../components/problems';
import { useFormat } from '../../i18n/format';
import { DueDate } from './DueBadge';
import { PersonLink } from './PersonLink';
import {
  addRequestNote,
  assignRequest,
  requestKeys,
  requestQuery,
  startRequest,
  STATUS_COLORS,
  type PrivacyRequestDetail,
  type RequestStep,
} from './queries';
import { requestRoute } from './routes';
import { StepDialog, type DialogStep } from './StepDialog';

/** One case: its facts and clock, the steps it allows now, its assignee, internal notes and history. */
export default function RequestPage() {
  const { t } = useTranslation();
  const format = useFormat();
  const { requestId } = requestRoute.useParams();
  const queryClient = useQueryClient();
  const { can } = usePermissions();
  const request = useQuery(requestQuery(requestId));
  const [dialog, setDialog] = useState<DialogStep | null>(null);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<string | null>(null);

  if (request.isPending) return <Loading />;
  if (request.isError) return <LoadError error={request.error} />;
  const r = request.data;
  const mayEdit = can('privacy', 'edit');
  const open = r.status === 'received' || r.status === 'verified' || r.status === 'in_progress';

  const refresh = async () => {
    await queryClient.invalidateQueries({ queryKey: requestKeys.all });
  };
  const stepDone = async (step: RequestStep) => {
    notify(t(`privacyRequests.done.${step}`));
    setDialog(null);
    await refresh();
  };
  const run = async (action: () => Promise<unknown>, done: string) => {
    setBusy(true);
    setMessage(null);
    try {
      await action();
      notify(done);
      await refresh();
    } catch (error) {
      setMessage(problemDetail(error));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Stack maw={1000}>
      <Group justify="space-between" wrap="wrap">
        <Title order={1}>{t('privacyRequests.page.title', { type: t(`privacyRequests.types.${r.type}`), reference: r.reference })}</Title>
        <Badge size="lg" color={STATUS_COLORS[r.status]}>
          {t(`privacyRequests.statuses.${r.status}`)}
        </Badge>
      </Group>
      {message && (
        <Alert
          color="red"
          role="alert"
          withCloseButton
          onClose={() => setMessage(null)}
          closeButtonLabel={t('privacyRequests.dialogs.close')}
        >
          {message}
        </Alert>
      )}
      {r.informPersonOfExtensionBy && open && (
        <Alert variant="outline" color="red.9" title={t('privacyRequests.fields.extension')}>
          {t('privacyRequests.page.informPerson', { date: format.date(r.informPersonOfExtensionBy) })}
        </Alert>
      )}
      <Card withBorder>
        <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
          <Fact label={t('privacyRequests.fields.dueAt')}>{open ? <DueDate request={r} /> : format.date(r.dueAt)}</Fact>
          <Fact label={t('privacyRequests.fields.receivedAt')}>{format.dateTime(r.receivedAt)}</Fact>
          <Fact label={t('privacyRequests.fields.person')}>
            <PersonLink request={r} />
          </Fact>
          <Fact label={t('privacyRequests.fields.email')}>{r.email ?? (r.hasEmail ? t('privacyRequests.page.unreadable') : '—')}</Fact>
          <Fact label={t('privacyRequests.fields.channel')}>{t(`privacyRequests.channels.${r.channel}`)}</Fact>
          <Fact label={t('privacyRequests.fields.originalDueAt')}>{format.date(r.originalDueAt)}</Fact>
          <Fact label={t('privacyRequests.fields.extension')}>
            {r.extensionMonths > 0 ? t('privacyRequests.months', { count: r.extensionMonths }) : t('privacyRequests.noExtension')}
          </Fact>
          <Fact label={t('privacyRequests.fields.verification')}>
            {r.verification
              ? `${t(`privacyRequests.methods.${r.verification.method}`, r.verification.method)} (${format.dateTime(r.verification.at)})`
              : '—'}
          </Fact>
          {r.refusalLegalBasis && <Fact label={t('privacyRequests.fields.refusalLegalBasis')}>{r.refusalLegalBasis}</Fact>}
        </SimpleGrid>
      </Card>

      {mayEdit && <CaseActions request={r} />}
      <DownloadPackage request={r} />
      {mayEdit && (
        <section aria-labelledby="request-steps">
          <Title order={2} size="h3" id="request-steps" mb="xs">
            {t('privacyRequests.page.steps')}
          </Title>
          {r.nextSteps.length === 0 ? (
            <Text size="sm">{t('privacyRequests.page.noSteps')}</Text>
          ) : (
            <Group gap="xs">
              {r.nextSteps.map((step) =>
                step === 'start' ? (
                  <Button key={step} loading={busy} onClick={() => void run(() => startRequest(r.id), t('privacyRequests.done.start'))}>
                    {t('privacyRequests.actions.start')}
                  </Button>
                ) : (
                  <Button
                    key={step}
                    variant={step === 'refuse' ? 'outline' : step === 'extend' ? 'default' : 'filled'}
                    color={step === 'refuse' ? 'red.8' : undefined}
                    onClick={() => setDialog(step)}
                  >
                    {t(`privacyRequests.actions.${step}`)}
                  </Button>
                ),
              )}
            </Group>
          )}
        </section>
      )}
      {dialog && <StepDialog request={r} step={dialog} onDone={() => stepDone(dialog)} onClose={() => setDialog(null)} />}

      <Assignee request={r} mayEdit={mayEdit && open} onSaved={refresh} />
      {mayEdit && <NoteForm requestId={r.id} onSaved={refresh} />}
      <History request={r} />
    </Stack>
  );
}

function Fact({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div>
      <Text size="xs" c="dimmed" fw={600}>
        {label}
      </Text>
      <div>{children}</div>
    </div>
  );
}

function Assignee({ request, mayEdit, onSaved }: { request: PrivacyRequestDetail; mayEdit: boolean; onSaved: () => Promise<void> }) {
  const { t } = useTranslation();
  const { me, isAdmin } = usePermissions();
  const userName = useUserNames();
  const users = useQuery({ ...usersQuery, enabled: isAdmin && mayEdit });
  const [error, setError] = useState<string | null>(null);
  if (!mayEdit) {
    return (
      <Fact label={t('privacyRequests.fields.assignee')}>
        {request.assigneeId ? userName(request.assigneeId) : t('privacyRequests.unassigned')}
      </Fact>
    );
  }
  const options = isAdmin
    ? (users.data ?? []).filter((user) => user.status === 'active').map((user) => ({ value: user.id, label: userName(user.id) }))
    : me
      ? [{ value: me.id, label: userName(me.id) }]
      : [];
  if (request.assigneeId && !options.some((option) => option.value === request.assigneeId))
    options.push({ value: request.assigneeId, label: userName(request.assigneeId) });
  return (
    <Select
      maw={400}
      label={t('privacyRequests.fields.assignee')}
      placeholder={t('privacyRequests.unassigned')}
      data={options}
      value={request.assigneeId}
      clearable
      error={error}
      onChange={(value) => {
        setError(null);
        void assignRequest(request.id, value, request.version)
          .then(async () => {
            notify(t('privacyRequests.page.assigned'));
            await onSaved();
          })
          .catch((problem: unknown) => setError(problemDetail(problem)));
      }}
    />
  );
}

function NoteForm({ requestId, onSaved }: { requestId: string; onSaved: () => Promise<void> }) {
  const { t } = useTranslation();
  const [text, setText] = useState('');
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);
  return (
    <section aria-labelledby="request-notes">
      <Title order={2} size="h3" id="request-notes" mb="xs">
        {t('privacyRequests.page.notes')}
      </Title>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          if (!text.trim()) return;
          setSaving(true);
          setError(null);
          addRequestNote(requestId, text.trim())
            .then(async () => {
              setText('');
              notify(t('privacyRequests.page.noteAdded'));
              await onSaved();
            })
            .catch((problem: unknown) => setError(problemDetail(problem)))
            .finally(() => setSaving(false));
        }}
      >
        <Stack gap="xs" maw={700}>
          <Textarea
            label={t('privacyRequests.page.noteLabel')}
            value={text}
            onChange={(event) => setText(event.currentTarget.value)}
            autosize
            minRows={2}
            maxLength={10_000}
            error={error}
          />
          <Group>
            <Button type="submit" variant="default" loading={saving} disabled={!text.trim()}>
              {t('privacyRequests.page.addNote')}
            </Button>
          </Group>
        </Stack>
      </form>
    </section>
  );
}

function History({ request }: { request: PrivacyRequestDetail }) {
  const { t } = useTranslation();
  const format = useFormat();
  const userName = useUserNames();
  const facts = (details: Record<string, unknown>): string[] => {
    const out: string[] = [];
    if (typeof details.method === 'string') out.push(t(`privacyRequests.methods.${details.method}`, details.method));
    if (typeof details.months === 'number') out.push(t('privacyRequests.months', { count: details.months }));
    if (typeof details.dueDate === 'string') out.push(`${t('privacyRequests.fields.dueAt')}: ${format.date(details.dueDate)}`);
    if (typeof details.legalBasis === 'string') out.push(details.legalBasis);
    if (typeof details.assigneeId === 'string') out.push(userName(details.assigneeId));
    return out;
  };
  return (
    <section aria-labelledby="request-history">
      <Title order={2} size="h3" id="request-history" mb="sm">
        {t('privacyRequests.page.history')}
      </Title>
      <Timeline bulletSize={14} lineWidth={2}>
        {request.steps.map((step) => (
          <Timeline.Item key={step.id} title={t(`privacyRequests.history.${step.action}`, step.action)}>
            <Text size="xs" c="dimmed">
              <time dateTime={step.at}>{format.dateTime(step.at)}</time>{' '}
              {t('privacyRequests.page.by', { name: step.actorUserId ? userName(step.actorUserId) : t('privacyRequests.page.system') })}
            </Text>
            {facts(step.details).length > 0 && <Text size="sm">{facts(step.details).join(' · ')}</Text>}
            {step.text && (
              <Text size="sm" style={{ whiteSpace: 'pre-wrap' }}>
                {step.text}
              </Text>
            )}
          </Timeline.Item>
        ))}
      </Timeline>
    </section>
  );
}
