import type { Kysely } from 'kysely';
import nodemailer from 'nodemailer';
import type { Config } from '../config.js';
import type { Database, MailStatus } from '../db/schema.js';
import { newId } from '../shared/ids.js';
import { MailError } from './mail.errors.js';
import type { Keyring } from '../keys/keyring.js';
import { deriveKey, open, seal } from '../keys/secret-box.js';
import * as repo from './mail.repository.js';
import { renderMail, type MailLocale, type MailTemplateName, type MailTemplates } from './mail.templates.js';

export type { MailLocale, MailTemplateName, MailTemplates } from './mail.templates.js';

/** A message in the outbox as operators see it; the HTML body is left out, the text carries the same words. */
export interface OutboxMessage {
  id: string;
  tenantId: string | null;
  template: string;
  locale: string;
  to: string;
  subject: string;
  /** Empty once sent: bodies are dropped after delivery. */
  text: string;
  /** Headers of its own (List-Unsubscribe …); dropped after delivery like the bodies. */
  headers: Record<string, string>;
  status: MailStatus;
  attempts: number;
  nextAttemptAt: Date;
  /** SMTP error code and reply class of the last failed attempt, never addresses or text. */
  lastError: string | null;
  createdAt: Date;
  sentAt: Date | null;
}

// Outbox rows carry addresses, names and reset links: with a keyring they are
// sealed (AES-256-GCM under a key derived from the instance key, bound to the
// message id and column) so the database holds no plaintext. Rows without
// the prefix are plaintext (queued without a keyring, or before sealing).
const SEALED = 'enc:v1:';

function outboxKey(keyring: Keyring): Buffer {
  return deriveKey(keyring.instanceKey, 'mail-outbox');
}

function sealOutbox(keyring: Keyring | undefined, id: string, column: string, value: string): string {
  if (!keyring || value === '') return value;
  return SEALED + seal(outboxKey(keyring), value, `mail|${id}|${column}`).toString('base64');
}

function openOutbox(keyring: Keyring | undefined, id: string, column: string, stored: string): string {
  if (!stored.startsWith(SEALED)) return stored;
  if (!keyring) throw new MailError('mail_data_invalid', 'this outbox message is sealed; reading it needs the keys');
  return open(outboxKey(keyring), Buffer.from(stored.slice(SEALED.length), 'base64'), `mail|${id}|${column}`).toString('utf8');
}

export function toOutboxMessage(row: repo.MailRow, keyring?: Keyring): OutboxMessage {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    template: row.template,
    locale: row.locale,
    to: openOutbox(keyring, row.id, 'recipient', row.recipient),
    subject: openOutbox(keyring, row.id, 'subject', row.subject),
    text: openOutbox(keyring, row.id, 'text_body', row.text_body),
    headers: openHeaders(keyring, row),
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    lastError: row.last_error,
    createdAt: row.created_at,
    sentAt: row.sent_at,
  };
}

/**
 * Headers a mail may carry besides those the sender writes: the ones RFC 2369
 * and RFC 8058 define for mail sent to a list of people, so that mail clients
 * can offer a one-click unsubscribe. Nothing else, so no caller can set From,
 * To or Subject this way.
 */
export interface MailHeaders {
  /** `<https://…/unsubscribe?token=…>`: an http(s) URL in angle brackets. */
  'List-Unsubscribe'?: string;
  /** `List-Unsubscribe=One-Click` (RFC 8058): a POST to the URL unsubscribes at once. */
  'List-Unsubscribe-Post'?: 'List-Unsubscribe=One-Click';
}

const HEADER_NAMES: ReadonlySet<string> = new Set(['List-Unsubscribe', 'List-Unsubscribe-Post']);

function checkedHeaders(headers: MailHeaders | undefined): Record<string, string> | undefined {
  if (!headers) return undefined;
  const entries = Object.entries(headers).filter((e): e is [string, string] => typeof e[1] === 'string');
  for (const [name, value] of entries) {
    if (!HEADER_NAMES.has(name)) throw new MailError('mail_data_invalid', `mail header "${name}" may not be set`);
    if (value.length > 2000 || /[\r\n\0]/.test(value)) throw new MailError('mail_data_invalid', `mail header "${name}" is not one line`);
  }
  const post = headers['List-Unsubscribe-Post'];
  if (post !== undefined && post !== 'List-Unsubscribe=One-Click')
    throw new MailError('mail_data_invalid', 'List-Unsubscribe-Post can only be List-Unsubscribe=One-Click');
  const unsubscribe = headers['List-Unsubscribe'];
  if (unsubscribe !== undefined && !/^<https?:\/\/[^\s<>]+>$/.test(unsubscribe))
    throw new MailError('mail_data_invalid', 'List-Unsubscribe must be one http(s) URL in angle brackets');
  return entries.length > 0 ? Object.fromEntries(entries) : undefined;
}

function openHeaders(keyring: Keyring | undefined, row: repo.MailRow): Record<string, string> {
  if (!row.headers) return {};
  return JSON.parse(openOutbox(keyring, row.id, 'headers', row.headers)) as Record<string, string>;
}

export interface MailRequest<K extends MailTemplateName> {
  /** The tenant the mail is sent for; null for operator mail that belongs to no tenant. */
  tenantId: string | null;
  to: string;
  template: K;
  locale: MailLocale;
  data: MailTemplates[K];
  /** Seals recipient, subject and bodies in the outbox; production callers always pass it. */
  keyring?: Keyring;
  headers?: MailHeaders;
  /** Not sent before this time (a campaign staggers its mail to keep to its rate); now by default. */
  notBefore?: Date;
}

// Deliverability is the SMTP server's call; this only keeps out what is
// clearly not one address (lists, display names, header line breaks).
const ADDRESS = /^[^\s@,;<>"]{1,64}@[^\s@,;<>"]+\.[^\s@,;<>"]{2,}$/;

/**
 * Renders the mail now and queues it. Pass the caller's transaction, so the
 * mail is only queued if the change it reports commits.
 */
export async function enqueueMail<K extends MailTemplateName>(db: Kysely<Database>, mail: MailRequest<K>): Promise<OutboxMessage> {
  const to = mail.to.trim();
  if (to.length > 254 || !ADDRESS.test(to)) throw new MailError('mail_recipient_invalid', 'mail recipient is not one e-mail address');
  const rendered = renderMail(mail.template, mail.locale, mail.data);
  const headers = checkedHeaders(mail.headers);
  const id = newId();
  const row = await repo.insertMail(db, {
    id,
    tenant_id: mail.tenantId,
    template: mail.template,
    locale: mail.locale,
    recipient: sealOutbox(mail.keyring, id, 'recipient', to),
    subject: sealOutbox(mail.keyring, id, 'subject', rendered.subject),
    text_body: sealOutbox(mail.keyring, id, 'text_body', rendered.text),
    html_body: sealOutbox(mail.keyring, id, 'html_body', rendered.html),
    headers: headers ? sealOutbox(mail.keyring, id, 'headers', JSON.stringify(headers)) : null,
    status: 'pending',
    ...(mail.notBefore ? { next_attempt_at: mail.notBefore } : {}),
  });
  return toOutboxMessage(row, mail.keyring);
}

export const OUTBOX_LIST_MAX = 1000;

/** The outbox across all tenants, newest first: for operators, through the CLI. */
export async function listOutbox(
  db: Kysely<Database>,
  filter: { status?: MailStatus; limit?: number; keyring?: Keyring } = {},
): Promise<OutboxMessage[]> {
  const limit = Math.min(Math.max(Math.trunc(filter.limit ?? 50), 1), OUTBOX_LIST_MAX);
  const rows = await repo.listMail(db, { limit, ...(filter.status ? { status: filter.status } : {}) });
  return rows.map((row) => toOutboxMessage(row, filter.keyring));
}

export async function findOutboxMessage(db: Kysely<Database>, id: string, keyring?: Keyring): Promise<OutboxMessage | undefined> {
  const row = await repo.findMailById(db, id);
  return row && toOutboxMessage(row, keyring);
}

// ---------------------------------------------------------------- sending

/** What the sender needs of a transport; a nodemailer transporter is one. */
export interface MailTransport {
  sendMail(message: {
    from: string;
    to: string;
    subject: string;
    text: string;
    html?: string;
    headers: Record<string, string>;
  }): Promise<unknown>;
  close?(): void;
}

/** Logging without personal data: callers only ever get ids, counts and error codes. */
export interface MailLog {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}

export const MAX_ATTEMPTS = 8;
// Waits after attempts 1…7: a brief SMTP hiccup is retried within seconds,
// an outage of the relay within the working day, and a message is given up
// on after about two days.
const RETRY_DELAYS_MS = [30_000, 120_000, 600_000, 3_600_000, 6 * 3_600_000, 12 * 3_600_000, 24 * 3_600_000];
// Longer than a send can take with the transport timeouts below, so a
// message is never claimed by a second node while the first still sends it.
export const LEASE_MS = 15 * 60_000;

/** How long to wait after the given failed attempt (1-based). */
export function retryDelayMs(attempt: number): number {
  return RETRY_DELAYS_MS[Math.min(Math.max(attempt, 1), RETRY_DELAYS_MS.length) - 1] ?? 0;
}

/**
 * What may be stored and logged about a failed send: nodemailer's error code,
 * the SMTP reply code and its enhanced status (e.g. "EENVELOPE 550 5.1.1").
 * The server's reply text is left out, as it often quotes the address.
 */
export function describeSendError(error: unknown): string {
  const e = (typeof error === 'object' && error !== null ? error : {}) as {
    code?: unknown;
    originalCode?: unknown;
    responseCode?: unknown;
    response?: unknown;
    name?: unknown;
  };
  const token = (v: unknown) => (typeof v === 'string' && /^[A-Z][A-Z0-9_]{1,31}$/.test(v) ? v : undefined);
  const parts: string[] = [];
  const code = token(e.code);
  if (code) parts.push(code);
  const original = token(e.originalCode);
  if (original && original !== code) parts.push(original);
  if (typeof e.responseCode === 'number' && Number.isInteger(e.responseCode)) parts.push(String(e.responseCode));
  const enhanced = typeof e.response === 'string' ? /^\d{3}[ -]([245]\.\d{1,3}\.\d{1,3})\b/.exec(e.response)?.[1] : undefined;
  if (enhanced) parts.push(enhanced);
  if (parts.length > 0) return parts.join(' ');
  return typeof e.name === 'string' && /^\w{1,64}$/.test(e.name) ? e.name : 'unknown error';
}

export interface SendOptions {
  /** The From header, e.g. config.mail.from. */
  from: string;
  /** The time to send at; tests pass it to step through the retry schedule. */
  now?: Date;
  /** At most this many messages in this run. */
  batchSize?: number;
  /** Stops the run between two messages (the sender loop's stop()). */
  signal?: AbortSignal;
  log?: MailLog;
  /** Opens sealed outbox rows. */
  keyring?: Keyring;
}

export interface SendResult {
  sent: number;
  retried: number;
  failed: number;
}

/**
 * Sends what is due, once. Messages are claimed one at a time just before
 * they are sent, so a claim's lease only ever covers one SMTP conversation.
 * Delivery is at least once: a node that dies after the SMTP server accepted
 * a message but before recording it will have it sent again.
 */
export async function sendDueMail(db: Kysely<Database>, transport: MailTransport, options: SendOptions): Promise<SendResult> {
  const result: SendResult = { sent: 0, retried: 0, failed: 0 };
  const batchSize = options.batchSize ?? 10;
  const clock = () => options.now ?? new Date();
  for (let i = 0; i < batchSize && !options.signal?.aborted; i++) {
    const now = clock();
    const [row] = await repo.claimDueMail(db, { now, leaseUntil: new Date(now.getTime() + LEASE_MS), limit: 1 });
    if (!row) break;
    const claim = { id: row.id, attempts: row.attempts };
    try {
      await transport.sendMail({
        from: options.from,
        to: openOutbox(options.keyring, row.id, 'recipient', row.recipient),
        subject: openOutbox(options.keyring, row.id, 'subject', row.subject),
        text: openOutbox(options.keyring, row.id, 'text_body', row.text_body),
        ...(row.html_body ? { html: openOutbox(options.keyring, row.id, 'html_body', row.html_body) } : {}),
        // RFC 3834: keeps out-of-office replies away from the sender address.
        headers: { ...openHeaders(options.keyring, row), 'Auto-Submitted': 'auto-generated' },
      });
    } catch (error) {
      const lastError = describeSendError(error);
      const details = { mailId: row.id, template: row.template, attempts: row.attempts, error: lastError };
      if (row.attempts >= MAX_ATTEMPTS) {
        await repo.markMailFailed(db, claim, lastError);
        result.failed++;
        options.log?.error(details, 'mail could not be delivered; giving up');
      } else {
        const nextAttemptAt = new Date(clock().getTime() + retryDelayMs(row.attempts));
        await repo.scheduleMailRetry(db, claim, nextAttemptAt, lastError);
        result.retried++;
        options.log?.warn({ ...details, nextAttemptAt }, 'mail delivery failed; will retry');
      }
      continue;
    }
    await repo.markMailSent(db, row.id, clock());
    result.sent++;
    options.log?.info({ mailId: row.id, template: row.template, attempts: row.attempts }, 'mail sent');
  }
  return result;
}

/** An SMTP transport for SMTP_URL, with timeouts well inside the claim lease. */
export function createSmtpTransport(smtpUrl: string, log?: MailLog): MailTransport {
  // Settings in the URL's query string (e.g. ?pool=true) win over these.
  const transporter = nodemailer.createTransport({
    url: smtpUrl,
    connectionTimeout: 30_000,
    greetingTimeout: 30_000,
    socketTimeout: 120_000,
    // Our messages carry no attachments; nothing should make nodemailer read files or fetch URLs.
    disableFileAccess: true,
    disableUrlAccess: true,
  });
  // A pooled connection can fail between sends; unheard, that 'error' event would end the process.
  transporter.on('error', (error: unknown) => log?.error({ error: describeSendError(error) }, 'SMTP transport error'));
  return transporter;
}

export interface MailSender {
  /** Stops polling and waits for a batch in flight, so the database can close after it. */
  stop(): Promise<void>;
}

export interface MailSenderDeps {
  db: Kysely<Database>;
  config: Pick<Config, 'mail'>;
  log: MailLog;
  /** Replaces the SMTP transport made from config.mail.smtpUrl (tests). */
  transport?: MailTransport;
  /** Opens sealed outbox rows. */
  keyring?: Keyring;
}

/**
 * Polls the outbox every config.mail.pollMs and sends what is due. Without
 * SMTP_URL it does nothing: mail stays in the outbox, readable with
 * `custodia mail outbox`. The loop never throws; failures are logged by code.
 */
export function startMailSender({ db, config, log, transport, keyring }: MailSenderDeps): MailSender {
  const smtpUrl = config.mail.smtpUrl;
  if (!transport && !smtpUrl) {
    log.info({}, 'SMTP_URL is not set: mail stays in the outbox; read it with `custodia mail outbox`');
    return { stop: () => Promise.resolve() };
  }
  const mailer = transport ?? createSmtpTransport(smtpUrl as string, log);
  const batchSize = 10;
  const stopping = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> | undefined;

  const runBatch = async (): Promise<boolean> => {
    try {
      const { sent, retried, failed } = await sendDueMail(db, mailer, {
        from: config.mail.from,
        batchSize,
        signal: stopping.signal,
        log,
        ...(keyring ? { keyring } : {}),
      });
      // A full batch means more may be waiting: go again at once.
      return sent + retried + failed >= batchSize;
    } catch (error) {
      // Typically the database: its error may quote row values, so log the code only.
      log.error({ error: describeSendError(error) }, 'mail sender could not run; will try again');
      return false;
    }
  };

  const schedule = (delayMs: number) => {
    if (stopping.signal.aborted) return;
    timer = setTimeout(() => {
      timer = undefined;
      inFlight = runBatch().then((more) => {
        inFlight = undefined;
        schedule(more ? 0 : config.mail.pollMs);
      });
    }, delayMs);
    // The HTTP server keeps the process alive, not this timer.
    timer.unref();
  };

  log.info({ pollMs: config.mail.pollMs }, 'mail sender started');
  schedule(0);
  return {
    async stop() {
      stopping.abort();
      if (timer) clearTimeout(timer);
      await inFlight;
      mailer.close?.();
    },
  };
}
