import type { Language } from '../db/schema.js';
import { MailError } from './mail.errors.js';

/** A mail is written in the language of its recipient (users.language). */
export type MailLocale = Language;
export const MAIL_LOCALES: readonly MailLocale[] = ['en', 'nl'];

/** Every mail Custodia sends, with the data each one needs. */
export interface MailTemplates {
  password_reset: { name: string; resetUrl: string; expiresMinutes: number };
  password_changed: { name: string };
  /** An administrator made an account; the link (a password-reset token that lives longer) lets its user choose a password. */
  invitation: { name: string; inviterName: string; tenantName: string; inviteUrl: string; expiresDays: number };
  /**
   * A data-subject request case assigned to the recipient is due soon or overdue. Only the case's
   * reference, type and date: nothing of the person it is about.
   */
  privacy_request_due: {
    name: string;
    tenantName: string;
    reference: string;
    type: 'access' | 'rectification' | 'erasure' | 'restriction' | 'objection' | 'portability';
    dueDate: string;
    overdue: boolean;
    caseUrl: string;
  };
  /** A request filed on the public request form (privacy/public-requests): the link proves control of the address; its page's button opens the case. */
  privacy_request_verify: {
    tenantName: string;
    type: 'access' | 'rectification' | 'erasure' | 'restriction' | 'objection' | 'portability';
    confirmUrl: string;
    expiresDays: number;
  };
  /** The receipt of a request opened from the public form: its reference and the date it is due by. */
  privacy_request_receipt: {
    tenantName: string;
    type: 'access' | 'rectification' | 'erasure' | 'restriction' | 'objection' | 'portability';
    reference: string;
    receivedDate: string;
    dueDate: string;
  };
  /** A public sign-up's double opt-in (privacy/public): the link opens a page whose button confirms; nothing happens without it. */
  consent_confirmation: {
    name: string | null;
    tenantName: string;
    purposeName: string;
    /** The privacy notice shown at sign-up, or its beginning. */
    notice: string;
    confirmUrl: string;
    expiresDays: number;
  };
  /**
   * A campaign for a purpose: subject and paragraphs written by staff, with
   * {{firstName}} and {{lastName}} filled per person, and a footer with the
   * person's own withdrawal link.
   */
  campaign: {
    subject: string;
    paragraphs: string[];
    firstName: string | null;
    lastName: string | null;
    tenantName: string;
    purposeName: string;
    withdrawalUrl: string;
  };
  /**
   * To the operator (CUSTODIA_OPERATOR_EMAIL): a backup failed or a scheduled one was missed. Codes and
   * times only, never personal data; `what` names the scope ("the instance" or a tenant's slug).
   */
  backup_alert: { problem: 'failed' | 'missed'; what: string; at: string; code: string; message: string; instanceUrl: string };
}

export type MailTemplateName = keyof MailTemplates;

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

// Templates write plain strings only; render() alone turns them into text and
// HTML, so every interpolated value is escaped in exactly one place and a
// template cannot forget to.
type Block = string | { link: string };

interface Content {
  subject: string;
  body: Block[];
}

type Template<Data> = Record<MailLocale, (data: Data) => Content>;

function positiveWhole(n: number): number {
  if (!Number.isSafeInteger(n) || n < 1) throw new MailError('mail_data_invalid', 'a duration must be a whole number ≥ 1');
  return n;
}

const minutes = {
  en: (n: number) => `${positiveWhole(n)} ${n === 1 ? 'minute' : 'minutes'}`,
  nl: (n: number) => `${positiveWhole(n)} ${n === 1 ? 'minuut' : 'minuten'}`,
};

/** What a data-subject request asks for, as a mail names it. */
const REQUEST_NAMES: Record<Language, Record<MailTemplates['privacy_request_verify']['type'], string>> = {
  en: {
    access: 'access to your personal data',
    rectification: 'correction of your personal data',
    erasure: 'erasure of your personal data',
    restriction: 'restriction of the processing of your personal data',
    objection: 'an end to processing your personal data (objection)',
    portability: 'a copy of your personal data to take elsewhere',
  },
  nl: {
    access: 'inzage in je persoonsgegevens',
    rectification: 'correctie van je persoonsgegevens',
    erasure: 'verwijdering van je persoonsgegevens',
    restriction: 'beperking van de verwerking van je persoonsgegevens',
    objection: 'stopzetting van de verwerking van je persoonsgegevens (bezwaar)',
    portability: 'een kopie van je persoonsgegevens om mee te nemen',
  },
};

const days = {
  en: (n: number) => `${positiveWhole(n)} ${n === 1 ? 'day' : 'days'}`,
  nl: (n: number) => `${positiveWhole(n)} ${n === 1 ? 'dag' : 'dagen'}`,
};

const PLACEHOLDER = /( ?)\{\{\s*(firstName|lastName)\s*\}\}/g;

/** Staff text with the person's names put in; a name that is not known goes with the space before it ("Hello {{firstName}}," → "Hello,"). */
function personalized(text: string, d: MailTemplates['campaign']): string {
  const names = { firstName: oneLine(d.firstName ?? ''), lastName: oneLine(d.lastName ?? '') };
  return oneLine(text.replace(PLACEHOLDER, (_m, space: string, key: 'firstName' | 'lastName') => (names[key] ? space + names[key] : '')));
}

function campaign(d: MailTemplates['campaign'], footer: string): Content {
  return {
    subject: personalized(d.subject, d) || d.tenantName,
    body: [...d.paragraphs.map((p) => personalized(p, d)).filter((p) => p !== ''), footer, { link: d.withdrawalUrl }],
  };
}

// Request types as the reminder names them (never anything of the person).
const REQUEST_TYPE_NAMES: Record<MailLocale, Record<MailTemplates['privacy_request_due']['type'], string>> = {
  en: {
    access: 'access',
    rectification: 'rectification',
    erasure: 'erasure',
    restriction: 'restriction',
    objection: 'objection',
    portability: 'portability',
  },
  nl: {
    access: 'inzageverzoek',
    rectification: 'rectificatieverzoek',
    erasure: 'verwijderingsverzoek',
    restriction: 'beperkingsverzoek',
    objection: 'bezwaar',
    portability: 'overdraagbaarheidsverzoek',
  },
};

const templates: { [K in MailTemplateName]: Template<MailTemplates[K]> } = {
  backup_alert: {
    en: (d) => ({
      subject: d.problem === 'missed' ? `Custodia: a scheduled backup of ${d.what} was missed` : `Custodia: a backup of ${d.what} failed`,
      body: [
        d.problem === 'missed'
          ? `The backup of ${d.what} due at ${d.at} was not made: no Custodia server was running the schedule then. A backup was started at once.`
          : `The backup of ${d.what} started at ${d.at} failed: ${d.message} (${d.code}).`,
        'Check the server log and the backup target, then make a backup with `custodia backup create` and check it with `custodia backup verify`.',
        { link: d.instanceUrl },
      ],
    }),
    nl: (d) => ({
      subject:
        d.problem === 'missed'
          ? `Custodia: een geplande back-up van ${d.what} is overgeslagen`
          : `Custodia: een back-up van ${d.what} is mislukt`,
      body: [
        d.problem === 'missed'
          ? `De back-up van ${d.what} die om ${d.at} gepland stond, is niet gemaakt: er draaide toen geen Custodia-server die het schema uitvoerde. Er is meteen een back-up gestart.`
          : `De back-up van ${d.what} die om ${d.at} begon, is mislukt: ${d.message} (${d.code}).`,
        'Kijk in het serverlog en bij het back-updoel, maak daarna een back-up met `custodia backup create` en controleer die met `custodia backup verify`.',
        { link: d.instanceUrl },
      ],
    }),
  },
  privacy_request_due: {
    en: (d) => ({
      subject: d.overdue
        ? `Overdue: ${REQUEST_TYPE_NAMES.en[d.type]} request ${d.reference} was due on ${d.dueDate}`
        : `Due on ${d.dueDate}: ${REQUEST_TYPE_NAMES.en[d.type]} request ${d.reference}`,
      body: [
        `Hello ${d.name},`,
        d.overdue
          ? `The ${REQUEST_TYPE_NAMES.en[d.type]} request ${d.reference} of ${d.tenantName}, assigned to you, was due on ${d.dueDate} and is still open.`
          : `The ${REQUEST_TYPE_NAMES.en[d.type]} request ${d.reference} of ${d.tenantName}, assigned to you, is due on ${d.dueDate}.`,
        'The GDPR gives the person an answer within this time. Open the case in Custodia:',
        { link: d.caseUrl },
        'If the request needs longer, it can be extended once with a reason, which the person must be told before the first month ends.',
      ],
    }),
    nl: (d) => ({
      subject: d.overdue
        ? `Verlopen: ${REQUEST_TYPE_NAMES.nl[d.type]} ${d.reference} moest uiterlijk ${d.dueDate} af zijn`
        : `Uiterlijk ${d.dueDate}: ${REQUEST_TYPE_NAMES.nl[d.type]} ${d.reference}`,
      body: [
        `Hallo ${d.name},`,
        d.overdue
          ? `Het ${REQUEST_TYPE_NAMES.nl[d.type]} ${d.reference} van ${d.tenantName}, aan jou toegewezen, moest uiterlijk ${d.dueDate} af zijn en staat nog open.`
          : `Het ${REQUEST_TYPE_NAMES.nl[d.type]} ${d.reference} van ${d.tenantName}, aan jou toegewezen, moet uiterlijk ${d.dueDate} af zijn.`,
        'De AVG geeft de betrokkene binnen deze termijn recht op een antwoord. Open het dossier in Custodia:',
        { link: d.caseUrl },
        'Heeft het verzoek meer tijd nodig? Dan kan de termijn met een reden worden verlengd; de betrokkene moet dat binnen de eerste maand horen.',
      ],
    }),
  },
  password_reset: {
    en: (d) => ({
      subject: 'Reset your Custodia password',
      body: [
        `Hello ${d.name},`,
        'Someone asked to reset the password of your Custodia account. If that was you, choose a new password with this link:',
        { link: d.resetUrl },
        `The link works once and expires in ${minutes.en(d.expiresMinutes)}.`,
        'If you did not ask for this, you can ignore this e-mail: your password stays as it is.',
      ],
    }),
    nl: (d) => ({
      subject: 'Je Custodia-wachtwoord opnieuw instellen',
      body: [
        `Hallo ${d.name},`,
        'Iemand heeft gevraagd om het wachtwoord van je Custodia-account opnieuw in te stellen. Was jij dat? Kies dan via deze link een nieuw wachtwoord:',
        { link: d.resetUrl },
        `De link werkt één keer en verloopt over ${minutes.nl(d.expiresMinutes)}.`,
        'Heb je dit niet zelf aangevraagd? Dan kun je deze e-mail negeren: je wachtwoord blijft ongewijzigd.',
      ],
    }),
  },
  password_changed: {
    en: (d) => ({
      subject: 'Your Custodia password was changed',
      body: [
        `Hello ${d.name},`,
        'The password of your Custodia account was changed.',
        'If you did this yourself, there is nothing else to do.',
        'If it was not you, contact your administrator right away.',
      ],
    }),
    nl: (d) => ({
      subject: 'Je Custodia-wachtwoord is gewijzigd',
      body: [
        `Hallo ${d.name},`,
        'Het wachtwoord van je Custodia-account is gewijzigd.',
        'Heb je dit zelf gedaan? Dan hoef je verder niets te doen.',
        'Was jij het niet? Neem dan meteen contact op met je beheerder.',
      ],
    }),
  },
  invitation: {
    en: (d) => ({
      subject: `${d.inviterName} invited you to ${d.tenantName} on Custodia`,
      body: [
        `Hello ${d.name},`,
        `${d.inviterName} made you an account for ${d.tenantName} on Custodia. Choose your password with this link, then sign in:`,
        { link: d.inviteUrl },
        `The link works once and expires in ${days.en(d.expiresDays)}. If it has expired, ask ${d.inviterName} to send a new invitation.`,
        'If you did not expect this invitation, you can ignore this e-mail: nobody can sign in to the account until a password is chosen.',
      ],
    }),
    nl: (d) => ({
      subject: `${d.inviterName} heeft je uitgenodigd voor ${d.tenantName} in Custodia`,
      body: [
        `Hallo ${d.name},`,
        `${d.inviterName} heeft een account voor je aangemaakt bij ${d.tenantName} in Custodia. Kies via deze link je wachtwoord en meld je daarna aan:`,
        { link: d.inviteUrl },
        `De link werkt één keer en verloopt over ${days.nl(d.expiresDays)}. Is hij verlopen? Vraag ${d.inviterName} dan om een nieuwe uitnodiging.`,
        'Verwachtte je deze uitnodiging niet? Dan kun je deze e-mail negeren: niemand kan zich bij het account aanmelden zolang er geen wachtwoord is gekozen.',
      ],
    }),
  },
  privacy_request_verify: {
    en: (d) => ({
      subject: `Please confirm your request to ${d.tenantName}`,
      body: [
        'Hello,',
        `Someone, hopefully you, asked ${d.tenantName} for ${REQUEST_NAMES.en[d.type]} with this e-mail address. To make sure the request comes from you, open this link and press the Confirm button:`,
        { link: d.confirmUrl },
        `The link works once and expires in ${days.en(d.expiresDays)}. Only when you confirm is your request filed; you then get a receipt with the date by which we answer.`,
        'If you did not ask for this, ignore this e-mail: nothing happens without your confirmation.',
      ],
    }),
    nl: (d) => ({
      subject: `Graag je verzoek aan ${d.tenantName} bevestigen`,
      body: [
        'Hallo,',
        `Iemand, hopelijk jij, heeft ${d.tenantName} met dit e-mailadres gevraagd om ${REQUEST_NAMES.nl[d.type]}. Om zeker te weten dat het verzoek van jou komt: open deze link en druk op de knop Bevestigen:`,
        { link: d.confirmUrl },
        `De link werkt één keer en verloopt over ${days.nl(d.expiresDays)}. Pas als je bevestigt, is je verzoek ingediend; je krijgt dan een ontvangstbevestiging met de datum waarop we uiterlijk antwoorden.`,
        'Heb je hier niet om gevraagd? Dan kun je deze e-mail negeren: zonder jouw bevestiging gebeurt er niets.',
      ],
    }),
  },
  privacy_request_receipt: {
    en: (d) => ({
      subject: `We received your request (${d.reference})`,
      body: [
        'Hello,',
        `${d.tenantName} received your request for ${REQUEST_NAMES.en[d.type]} on ${d.receivedDate}. Its reference is ${d.reference}; please mention it if you write to us about it.`,
        `We answer by ${d.dueDate} at the latest. If we need more time because the request is complex, we tell you before that date, with our reasons.`,
      ],
    }),
    nl: (d) => ({
      subject: `We hebben je verzoek ontvangen (${d.reference})`,
      body: [
        'Hallo,',
        `${d.tenantName} heeft op ${d.receivedDate} je verzoek om ${REQUEST_NAMES.nl[d.type]} ontvangen. Het kenmerk is ${d.reference}; noem dat als je ons erover schrijft.`,
        `We antwoorden uiterlijk op ${d.dueDate}. Hebben we meer tijd nodig omdat het verzoek ingewikkeld is, dan laten we je dat vóór die datum weten, met de redenen.`,
      ],
    }),
  },
  consent_confirmation: {
    en: (d) => ({
      subject: `Please confirm: ${d.purposeName} from ${d.tenantName}`,
      body: [
        d.name ? `Hello ${d.name},` : 'Hello,',
        `Someone, hopefully you, asked ${d.tenantName} to add this address for "${d.purposeName}". What you agree to:`,
        d.notice,
        'Open this link and press the Confirm button to agree:',
        { link: d.confirmUrl },
        `The link works once and expires in ${days.en(d.expiresDays)}. If you did not ask for this, ignore this e-mail: nothing happens without your confirmation, and the sign-up is deleted.`,
      ],
    }),
    nl: (d) => ({
      subject: `Graag bevestigen: ${d.purposeName} van ${d.tenantName}`,
      body: [
        d.name ? `Hallo ${d.name},` : 'Hallo,',
        `Iemand, hopelijk jij, heeft ${d.tenantName} gevraagd dit adres toe te voegen voor "${d.purposeName}". Waarmee je instemt:`,
        d.notice,
        'Open deze link en druk op de knop Bevestigen om in te stemmen:',
        { link: d.confirmUrl },
        `De link werkt één keer en verloopt over ${days.nl(d.expiresDays)}. Heb je hier niet om gevraagd? Dan kun je deze e-mail negeren: zonder jouw bevestiging gebeurt er niets en wordt de aanmelding verwijderd.`,
      ],
    }),
  },
  campaign: {
    en: (d) =>
      campaign(
        d,
        `You receive this e-mail from ${d.tenantName} for “${d.purposeName}”. To stop receiving these e-mails, open this link: one click is enough.`,
      ),
    nl: (d) =>
      campaign(
        d,
        `Je ontvangt deze e-mail van ${d.tenantName} voor “${d.purposeName}”. Wil je deze e-mails niet meer ontvangen? Open dan deze link: één klik is genoeg.`,
      ),
  },
};

export function isMailTemplateName(name: string): name is MailTemplateName {
  return Object.hasOwn(templates, name);
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}

// A name with line breaks could otherwise add paragraphs of its own to a
// mail that carries Custodia's sender address.
function oneLine(value: string): string {
  return value.replace(/\s+/g, ' ').trim();
}

function cleanData<Data extends object>(data: Data): Data {
  const entries = Object.entries(data).map(([key, value]) => {
    if (typeof value !== 'string') return [key, value];
    const cleaned = oneLine(value);
    if (cleaned === '') throw new MailError('mail_data_invalid', `mail data "${key}" is empty`);
    return [key, cleaned];
  });
  return Object.fromEntries(entries) as Data;
}

// Escaping keeps a URL inside its attribute, but a javascript: URL would
// still run: links in mail are web addresses only.
function webUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new MailError('mail_data_invalid', 'a link in a mail must be an absolute URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new MailError('mail_data_invalid', 'a link in a mail must be an http(s) URL');
  }
  return value;
}

/** Renders a template in one locale to the subject, plain text and HTML that are queued. */
export function renderMail<K extends MailTemplateName>(template: K, locale: MailLocale, data: MailTemplates[K]): RenderedMail {
  if (!isMailTemplateName(template)) throw new MailError('mail_template_unknown', `no mail template "${String(template)}"`);
  if (!MAIL_LOCALES.includes(locale)) throw new MailError('mail_locale_unknown', `no mail locale "${String(locale)}"`);
  const { subject, body } = templates[template][locale](cleanData(data));
  const text = body.map((block) => (typeof block === 'string' ? block : webUrl(block.link))).join('\n\n');
  const paragraphs = body.map((block) => {
    if (typeof block === 'string') return `<p>${escapeHtml(block)}</p>`;
    const href = escapeHtml(webUrl(block.link));
    return `<p><a href="${href}">${href}</a></p>`;
  });
  const html = [
    '<!doctype html>',
    `<html lang="${locale}">`,
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(subject)}</title>`,
    '</head>',
    '<body style="font-family: system-ui, -apple-system, sans-serif; font-size: 16px; line-height: 1.5; color: #1a1a1a;">',
    ...paragraphs,
    '</body>',
    '</html>',
  ].join('\n');
  return { subject, text: `${text}\n`, html: `${html}\n` };
}
