import { domainErrorClass, type ErrorKind } from '../shared/domain-error.js';

/** Every error of the privacy area (purposes, notices, consent, public pages, campaigns, DPA). Add codes here. */
export type PrivacyErrorCode =
  | 'purpose_not_found'
  | 'purpose_retired'
  | 'notice_not_found'
  | 'lia_required'
  | 'notice_required'
  | 'duplicate_name'
  | 'marketing_objection'
  | 'consent_invalid'
  | 'person_not_found'
  | 'privacy_forbidden';

const kinds: Record<PrivacyErrorCode, ErrorKind> = {
  purpose_not_found: 'not_found',
  purpose_retired: 'conflict',
  notice_not_found: 'not_found',
  lia_required: 'invalid',
  notice_required: 'invalid',
  duplicate_name: 'conflict',
  marketing_objection: 'conflict',
  consent_invalid: 'invalid',
  person_not_found: 'not_found',
  privacy_forbidden: 'forbidden',
};

export const PrivacyError = domainErrorClass<PrivacyErrorCode>('PrivacyError', kinds);
export type PrivacyError = InstanceType<typeof PrivacyError>;
