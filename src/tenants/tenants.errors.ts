import { DomainError, type ErrorKind } from '../shared/domain-error.js';

export type TenantErrorCode =
  'tenant_slug_invalid' | 'tenant_slug_taken' | 'tenant_name_invalid' | 'tenant_not_found' | 'tenant_invalid_transition';

const kinds: Record<TenantErrorCode, ErrorKind> = {
  tenant_slug_invalid: 'invalid',
  tenant_slug_taken: 'conflict',
  tenant_name_invalid: 'invalid',
  tenant_not_found: 'not_found',
  tenant_invalid_transition: 'conflict',
};

export class TenantError extends DomainError<TenantErrorCode> {
  constructor(code: TenantErrorCode, message: string) {
    super(code, kinds[code], message);
    this.name = 'TenantError';
  }
}
