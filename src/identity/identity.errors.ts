import { domainErrorClass, type ErrorKind } from '../shared/domain-error.js';

export type IdentityErrorCode =
  | 'invalid_credentials'
  | 'unauthenticated'
  | 'password_policy'
  | 'email_invalid'
  | 'email_taken'
  | 'name_invalid'
  | 'too_many_attempts'
  | 'mfa_challenge_invalid'
  | 'mfa_code_invalid'
  | 'mfa_already_enabled'
  | 'mfa_not_enabled'
  | 'mfa_no_enrolment'
  | 'mfa_required_by_tenant'
  | 'mfa_enrolment_required'
  | 'password_incorrect'
  | 'reset_token_invalid'
  | 'csrf_failed'
  | 'scope_missing'
  | 'session_required'
  | 'admin_required'
  | 'user_not_found'
  | 'session_not_found'
  | 'token_not_found'
  | 'last_admin';

const kinds: Record<IdentityErrorCode, ErrorKind> = {
  invalid_credentials: 'unauthenticated',
  unauthenticated: 'unauthenticated',
  password_policy: 'invalid',
  email_invalid: 'invalid',
  email_taken: 'conflict',
  name_invalid: 'invalid',
  too_many_attempts: 'too_many',
  mfa_challenge_invalid: 'unauthenticated',
  mfa_code_invalid: 'unauthenticated',
  mfa_already_enabled: 'conflict',
  mfa_not_enabled: 'conflict',
  mfa_no_enrolment: 'conflict',
  mfa_required_by_tenant: 'forbidden',
  mfa_enrolment_required: 'forbidden',
  password_incorrect: 'forbidden',
  reset_token_invalid: 'invalid',
  csrf_failed: 'forbidden',
  scope_missing: 'forbidden',
  session_required: 'forbidden',
  admin_required: 'forbidden',
  user_not_found: 'not_found',
  session_not_found: 'not_found',
  token_not_found: 'not_found',
  last_admin: 'conflict',
};

export const IdentityError = domainErrorClass<IdentityErrorCode>('IdentityError', kinds);
export type IdentityError = InstanceType<typeof IdentityError>;
