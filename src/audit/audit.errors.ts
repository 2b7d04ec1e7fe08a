import { domainErrorClass, type ErrorKind } from '../shared/domain-error.js';

export type AuditErrorCode = 'invalid_filter' | 'invalid_cursor' | 'invalid_checkpoint' | 'invalid_setting';

const kinds: Record<AuditErrorCode, ErrorKind> = {
  invalid_filter: 'invalid',
  invalid_cursor: 'invalid',
  invalid_checkpoint: 'invalid',
  invalid_setting: 'invalid',
};

export const AuditError = domainErrorClass<AuditErrorCode>('AuditError', kinds);
export type AuditError = InstanceType<typeof AuditError>;
