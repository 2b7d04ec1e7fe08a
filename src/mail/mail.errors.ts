import { domainErrorClass, type ErrorKind } from '../shared/domain-error.js';

export type MailErrorCode = 'mail_recipient_invalid' | 'mail_template_unknown' | 'mail_locale_unknown' | 'mail_data_invalid';

const kinds: Record<MailErrorCode, ErrorKind> = {
  mail_recipient_invalid: 'invalid',
  mail_template_unknown: 'invalid',
  mail_locale_unknown: 'invalid',
  mail_data_invalid: 'invalid',
};

export const MailError = domainErrorClass<MailErrorCode>('MailError', kinds);
export type MailError = InstanceType<typeof MailError>;
