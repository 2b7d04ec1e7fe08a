import { domainErrorClass, type ErrorKind } from '../shared/domain-error.js';

export type InvitationErrorCode = 'invitation_with_password' | 'invitation_not_pending';

const kinds: Record<InvitationErrorCode, ErrorKind> = {
  invitation_with_password: 'invalid',
  invitation_not_pending: 'conflict',
};

export const InvitationError = domainErrorClass<InvitationErrorCode>('InvitationError', kinds);
export type InvitationError = InstanceType<typeof InvitationError>;
