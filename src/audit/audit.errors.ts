import { DomainError, type ErrorKind } from '../shared/domain-error.js';

export type AuditErrorCode = 'invalid_filter' | 'invalid_cursor' | 'invalid_checkpoint' | 'invalid_setting';

const kinds: Record<AuditErrorCode, ErrorKind> = {
  invalid_filter: 'invalid',
  invalid_cursor: 'invalid',
  invalid_checkpoint: 'invalid',
  invalid_setting: 'invalid',
};

export class AuditError extends DomainError<AuditErrorCode> {
  constructor(code: AuditErrorCode, message: string) {
    super(code, kinds[code], message);
    this.name = 'AuditError';
  }
}
