import { domainErrorClass, type ErrorKind } from '../shared/domain-error.js';

export type TenantErrorCode =
  'tenant_slug_invalid' | 'tenant_slug_taken' | 'tenant_name_invalid' | 'tenant_not_found' | 'tenant_invalid_transition' | 'admin_required';

const kinds: Record<TenantErrorCode, ErrorKind> = {
  tenant_slug_invalid: 'invalid',
  tenant_slug_taken: 'conflict',
  tenant_name_invalid: 'invalid',
  tenant_not_found: 'not_found',
  tenant_invalid_transition: 'conflict',
  admin_required: 'forbidden',
};

export const TenantError = domainErrorClass<TenantErrorCode>('TenantError', kinds);
export type TenantError = InstanceType<typeof TenantError>;
