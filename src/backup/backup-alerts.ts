import type { Kysely } from 'kysely';
import type { Config } from '../config.js';
import type { Database } from '../db/schema.js';
import type { Keyring } from '../keys/keyring.js';
import { enqueueMail } from '../mail/mail.service.js';
import type { JobLog } from '../shared/periodic-job.js';
import type { RunRow } from './backup-runs.repository.js';

/**
 * A failed or missed backup is an alert (issue 18): a log line with codes
 * only, an e-mail to the operator (CUSTODIA_OPERATOR_EMAIL) through the
 * outbox when SMTP is set, and the metrics, which count the runs recorded in
 * backup_runs (src/http/metrics.ts reads them through backupMetrics).
 */

export interface AlertDeps {
  db: Kysely<Database>;
  keyring: Keyring;
  config: Pick<Config, 'backups' | 'mail' | 'publicUrl'>;
  log: JobLog;
}

/** Logs the failed or missed run and mails the operator; never throws (an alert that fails must not hide the failure). */
export async function alertBackupProblem(deps: AlertDeps, run: RunRow, tenantSlug?: string | null): Promise<void> {
  const problem = run.status === 'missed' ? 'missed' : 'failed';
  const scope = run.tenant_id === null ? 'instance' : 'tenant';
  deps.log.error(
    { code: run.error_code ?? 'backup_failed', run: run.id, kind: run.kind, scope, ...(run.tenant_id ? { tenantId: run.tenant_id } : {}) },
    problem === 'missed' ? 'scheduled backup missed' : 'backup failed',
  );
  const to = deps.config.backups.operatorEmail;
  if (!to || !deps.config.mail.smtpUrl) return;
  const at = (problem === 'missed' ? (run.due_at ?? run.started_at) : run.started_at).toISOString().replace(/\.\d{3}Z$/, 'Z');
  try {
    await enqueueMail(deps.db, {
      tenantId: null,
      to,
      template: 'backup_alert',
      locale: 'en',
      keyring: deps.keyring,
      data: {
        problem,
        what: run.tenant_id === null ? 'the instance' : `tenant ${tenantSlug ?? run.tenant_id}`,
        at,
        code: run.error_code ?? 'backup_failed',
        message: run.error_message ?? 'no details',
        instanceUrl: deps.config.publicUrl,
      },
    });
  } catch (error) {
    deps.log.error({ code: (error as { code?: string }).code ?? 'unknown' }, 'backup alert mail could not be queued');
  }
}
