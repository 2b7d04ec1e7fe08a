import { DomainError, type ErrorKind } from '../shared/domain-error.js';

export type CrmErrorCode = 'record_not_found' | 'version_conflict' | 'invalid_field' | 'invalid_cursor';

const kinds: Record<CrmErrorCode, ErrorKind> = {
  record_not_found: 'not_found',
  version_conflict: 'conflict',
  invalid_field: 'invalid',
  invalid_cursor: 'invalid',
};

export class CrmError extends DomainError<CrmErrorCode> {
  constructor(code: CrmErrorCode, message: string) {
    super(code, kinds[code], message);
    this.name = 'CrmError';
  }
}
