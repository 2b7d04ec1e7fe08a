import { domainErrorClass, type ErrorKind } from '../shared/domain-error.js';

export type AccessErrorCode =
  | 'permission_denied'
  | 'field_not_writable'
  | 'admin_required'
  | 'not_found'
  | 'invalid_access'
  | 'duplicate_name'
  | 'role_cycle'
  | 'in_use'
  | 'last_admin';

const kinds: Record<AccessErrorCode, ErrorKind> = {
  permission_denied: 'forbidden',
  field_not_writable: 'forbidden',
  admin_required: 'forbidden',
  not_found: 'not_found',
  invalid_access: 'invalid',
  duplicate_name: 'conflict',
  role_cycle: 'conflict',
  in_use: 'conflict',
  last_admin: 'conflict',
};

export const AccessError = domainErrorClass<AccessErrorCode>('AccessError', kinds);
export type AccessError = InstanceType<typeof AccessError>;
