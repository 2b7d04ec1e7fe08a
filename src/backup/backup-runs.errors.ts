import { domainErrorClass, type ErrorKind } from '../shared/domain-error.js';

/** Errors of starting and watching backup runs (the API and the scheduler); creating and restoring a backup have backup.errors.ts. */
export type BackupRunErrorCode =
  'admin_required' | 'backup_running' | 'backup_rate_limited' | 'backup_target_unavailable' | 'backup_schedule_invalid';

const kinds: Record<BackupRunErrorCode, ErrorKind> = {
  admin_required: 'forbidden',
  backup_running: 'conflict',
  backup_rate_limited: 'too_many',
  backup_target_unavailable: 'unavailable',
  backup_schedule_invalid: 'invalid',
};

export const BackupRunError = domainErrorClass<BackupRunErrorCode>('BackupRunError', kinds);
export type BackupRunError = InstanceType<typeof BackupRunError>;
