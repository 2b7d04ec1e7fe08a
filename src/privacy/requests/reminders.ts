import type { Kysely } from 'kysely';
import { startPeriodicJob, type PeriodicJob } from '../../shared/periodic-job.js';
import { systemActor } from '../../audit/recorder.js';
import type { Database } from '../../db/schema.js';
import { loadUser } from '../../identity/user-crypto.js';
import type { Keyring } from '../../keys/keyring.js';
import { enqueueMail } from '../../mail/mail.service.js';
import { listTenants } from '../../tenants/tenants.service.js';
import { addDays, utcDate } from './due-date.js';
import * as repo from './requests.repository.js';
import { recordStep, requestReference } from './requests.service.js';

/**
 * Reminds the assignee of an open case twice at most: once when it comes
 * within `daysBefore` days of its due date, once when it is overdue. Each is
 * marked on the case in the transaction that queues the mail, so it is sent
 * once even with several app nodes. A new assignee or a later due date
 * (extension) re-arms both. The mail names the case, its type and its date,
 * never the person it is about.
 */

export interface ReminderOptions {
  daysBefore: number;
  /** Base URL of the web app, for the link to the case. */
  publicUrl: string;
  now?: Date;
  /** At most this many cases per run; the next run takes the rest. */
  batch?: number;
}

export interface ReminderLog {
  info(details: object, message: string): void;
  error(details: object, message: string): void;
}

export async function sendRequestReminders(
  db: Kysely<Database>,
  keyring: Keyring,
  options: ReminderOptions,
  log?: ReminderLog,
): Promise<{ soon: number; overdue: number }> {
  const now = options.now ?? new Date();
  const today = utcDate(now);
  const rows = await repo.casesOwingReminders(db, { soonUntil: addDays(today, options.daysBefore), today, limit: options.batch ?? 200 });
  const sent = { soon: 0, overdue: 0 };
  const tenantNames = new Map<string, string>();
  for (const row of rows) {
    const overdue = row.due_date < today;
    try {
      const queued = await db.transaction().execute(async (trx) => {
        // An overdue case owes no "due soon" mail any more: both are marked.
        const marked = await repo.markReminded(trx, row.tenant_id, row.id, overdue ? 'reminded_overdue_at' : 'reminded_soon_at', now);
        if (!marked) return false;
        if (overdue) await repo.markReminded(trx, row.tenant_id, row.id, 'reminded_soon_at', now);
        const assignee = row.assignee_id ? await loadUser(trx, keyring, row.tenant_id, row.assignee_id) : undefined;
        if (!assignee || assignee.status !== 'active') return false;
        if (tenantNames.size === 0) for (const t of await listTenants(trx)) tenantNames.set(t.id, t.name);
        await enqueueMail(trx, {
          tenantId: row.tenant_id,
          to: assignee.email,
          template: 'privacy_request_due',
          locale: assignee.language,
          keyring,
          data: {
            name: assignee.name,
            tenantName: tenantNames.get(row.tenant_id) ?? 'Custodia',
            reference: requestReference(row.id),
            type: row.type,
            dueDate: row.due_date,
            overdue,
            caseUrl: `${options.publicUrl}/privacy/requests/${row.id}`,
          },
        });
        await recordStep(trx, keyring, row, systemActor('request-reminders'), {
          action: 'reminded',
          details: { reminder: overdue ? 'overdue' : 'due_soon', assigneeId: assignee.id, dueDate: row.due_date },
        });
        return true;
      });
      if (queued) sent[overdue ? 'overdue' : 'soon']++;
    } catch (error) {
      // Database errors may quote row values: the code only.
      log?.error({ requestId: row.id, code: (error as { code?: string }).code ?? 'unknown' }, 'request reminder failed; will try again');
    }
  }
  return sent;
}

/**
 * Runs sendRequestReminders a minute after start and then every `everyMs`,
 * like the recycle-bin purger; stop() waits for a run in flight.
 */
export function startRequestReminders(deps: {
  db: Kysely<Database>;
  keyring: Keyring;
  log: ReminderLog;
  everyMs: number;
  daysBefore: number;
  publicUrl: string;
  firstAfterMs?: number;
}): PeriodicJob {
  return startPeriodicJob({
    name: 'request reminders',
    log: deps.log,
    everyMs: deps.everyMs,
    ...(deps.firstAfterMs !== undefined ? { firstAfterMs: deps.firstAfterMs } : {}),
    work: async () => {
      const { soon, overdue } = await sendRequestReminders(
        deps.db,
        deps.keyring,
        { daysBefore: deps.daysBefore, publicUrl: deps.publicUrl },
        deps.log,
      );
      if (soon + overdue > 0) deps.log.info({ soon, overdue }, 'reminded assignees of data-subject requests due soon or overdue');
    },
  });
}
