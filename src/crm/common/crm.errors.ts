import { domainErrorClass, type ErrorKind } from '../../shared/domain-error.js';

export type CrmErrorCode =
  | 'record_not_found'
  | 'version_conflict'
  | 'invalid_field'
  | 'invalid_cursor'
  | 'admin_required'
  | 'duplicate_name'
  | 'lead_already_converted'
  | 'not_in_recycle_bin'
  | 'restore_expired'
  | 'lawful_basis_required'
  | 'invalid_csv'
  | 'invalid_vcard'
  | 'invalid_mapping'
  | 'unsupported_charset'
  | 'import_too_large'
  | 'invalid_stage'
  | 'stage_in_use'
  | 'pipeline_in_use'
  | 'default_pipeline'
  | 'suppressed'
  | 'processing_restricted';

const kinds: Record<CrmErrorCode, ErrorKind> = {
  record_not_found: 'not_found',
  version_conflict: 'conflict',
  invalid_field: 'invalid',
  invalid_cursor: 'invalid',
  admin_required: 'forbidden',
  duplicate_name: 'conflict',
  lead_already_converted: 'conflict',
  not_in_recycle_bin: 'not_found',
  restore_expired: 'conflict',
  lawful_basis_required: 'invalid',
  invalid_csv: 'invalid',
  invalid_vcard: 'invalid',
  invalid_mapping: 'invalid',
  unsupported_charset: 'invalid',
  import_too_large: 'too_large',
  invalid_stage: 'invalid',
  stage_in_use: 'conflict',
  pipeline_in_use: 'conflict',
  default_pipeline: 'conflict',
  suppressed: 'conflict',
  processing_restricted: 'locked',
};

export const CrmError = domainErrorClass<CrmErrorCode>('CrmError', kinds);
export type CrmError = InstanceType<typeof CrmError>;
