import { domainErrorClass, type ErrorKind } from '../shared/domain-error.js';

/** Every error of creating, checking and restoring backups. */
export type BackupErrorCode =
  | 'backup_not_found'
  | 'backup_corrupt'
  | 'backup_master_key_mismatch'
  | 'backup_too_new'
  | 'backup_no_key_backup'
  | 'backup_target_not_empty'
  | 'backup_tenant_not_found'
  | 'backup_invalid';

const kinds: Record<BackupErrorCode, ErrorKind> = {
  backup_not_found: 'not_found',
  backup_corrupt: 'invalid',
  backup_master_key_mismatch: 'unavailable',
  backup_too_new: 'invalid',
  backup_no_key_backup: 'unavailable',
  backup_target_not_empty: 'conflict',
  backup_tenant_not_found: 'not_found',
  backup_invalid: 'invalid',
};

export const BackupError = domainErrorClass<BackupErrorCode>('BackupError', kinds);
export type BackupError = InstanceType<typeof BackupError>;
