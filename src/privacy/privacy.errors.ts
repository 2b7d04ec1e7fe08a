import { domainErrorClass, type ErrorKind } from '../shared/domain-error.js';

/** Every error of the privacy area (purposes, notices, consent, public pages, campaigns, DPA). Add codes here. */
export type PrivacyErrorCode =
  | 'request_not_found'
  | 'invalid_transition'
  | 'request_person_invalid'
  | 'received_in_future'
  | 'extension_too_late'
  | 'extension_limit'
  | 'assignee_invalid'
  | 'breach_not_found'
  | 'breach_invalid'
  | 'reason_required'
  | 'purpose_not_found'
  | 'purpose_retired'
  | 'notice_not_found'
  | 'lia_required'
  | 'notice_required'
  | 'duplicate_name'
  | 'marketing_objection'
  | 'consent_invalid'
  | 'person_not_found'
  | 'privacy_forbidden'
  | 'signup_link_invalid'
  | 'signup_link_expired'
  | 'signup_already_confirmed'
  | 'signup_unavailable'
  | 'withdrawal_link_invalid'
  | 'signup_form_not_found'
  | 'campaign_not_found'
  | 'campaign_sent'
  | 'campaign_invalid'
  | 'audience_too_large'
  | 'purpose_invalid'
  | 'version_conflict'
  | 'dpa_invalid'
  | 'dpa_not_found'
  | 'dpa_exists'
  | 'dpa_not_current'
  | 'restriction_unchanged'
  | 'readmit_invalid';

const kinds: Record<PrivacyErrorCode, ErrorKind> = {
  request_not_found: 'not_found',
  invalid_transition: 'conflict',
  request_person_invalid: 'invalid',
  received_in_future: 'invalid',
  extension_too_late: 'conflict',
  extension_limit: 'conflict',
  assignee_invalid: 'invalid',
  breach_not_found: 'not_found',
  breach_invalid: 'invalid',
  reason_required: 'invalid',
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
  signup_link_invalid: 'not_found',
  signup_link_expired: 'not_found',
  signup_already_confirmed: 'conflict',
  signup_unavailable: 'conflict',
  withdrawal_link_invalid: 'not_found',
  signup_form_not_found: 'not_found',
  campaign_not_found: 'not_found',
  campaign_sent: 'conflict',
  campaign_invalid: 'invalid',
  audience_too_large: 'invalid',
  purpose_invalid: 'invalid',
  version_conflict: 'conflict',
  dpa_invalid: 'invalid',
  dpa_not_found: 'not_found',
  dpa_exists: 'conflict',
  dpa_not_current: 'conflict',
  restriction_unchanged: 'conflict',
  readmit_invalid: 'invalid',
};

export const PrivacyError = domainErrorClass<PrivacyErrorCode>('PrivacyError', kinds);
export type PrivacyError = InstanceType<typeof PrivacyError>;
