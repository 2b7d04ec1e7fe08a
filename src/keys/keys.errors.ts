import { domainErrorClass, type ErrorKind } from '../shared/domain-error.js';

export type KeyErrorCode =
  | 'master_key_mismatch'
  | 'tenant_key_missing'
  | 'tenant_key_destroyed'
  | 'subject_erased'
  | 'subject_not_found'
  | 'rotation_needs_previous_key';

const kinds: Record<KeyErrorCode, ErrorKind> = {
  master_key_mismatch: 'unavailable',
  tenant_key_missing: 'unavailable',
  tenant_key_destroyed: 'not_found',
  subject_erased: 'not_found',
  subject_not_found: 'not_found',
  rotation_needs_previous_key: 'invalid',
};

export const KeyError = domainErrorClass<KeyErrorCode>('KeyError', kinds);
export type KeyError = InstanceType<typeof KeyError>;
