import { DomainError, type ErrorKind } from '../shared/domain-error.js';

export type MailErrorCode = 'mail_recipient_invalid' | 'mail_template_unknown' | 'mail_locale_unknown' | 'mail_data_invalid';

const kinds: Record<MailErrorCode, ErrorKind> = {
  mail_recipient_invalid: 'invalid',
  mail_template_unknown: 'invalid',
  mail_locale_unknown: 'invalid',
  mail_data_invalid: 'invalid',
};

export class MailError extends DomainError<MailErrorCode> {
  constructor(code: MailErrorCode, message: string) {
    super(code, kinds[code], message);
    this.name = 'MailError';
  }
}
