import { DomainError, type ErrorKind } from '../shared/domain-error.js';

export type IdentityErrorCode =
  | 'invalid_credentials'
  | 'unauthenticated'
  | 'password_policy'
  | 'email_invalid'
  | 'email_taken'
  | 'name_invalid';

const kinds: Record<IdentityErrorCode, ErrorKind> = {
  invalid_credentials: 'unauthenticated',
  unauthenticated: 'unauthenticated',
  password_policy: 'invalid',
  email_invalid: 'invalid',
  email_taken: 'conflict',
  name_invalid: 'invalid',
};

export class IdentityError extends DomainError<IdentityErrorCode> {
  constructor(code: IdentityErrorCode, message: string) {
    super(code, kinds[code], message);
    this.name = 'IdentityError';
  }
}
