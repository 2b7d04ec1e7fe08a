import { SMTPServer, type SMTPServerError } from 'smtp-server';

/**
 * A real SMTP server for tests, on 127.0.0.1 and a free port, with no TLS and
 * no authentication. It keeps every message it accepts.
 *
 *   const smtp = await startTestSmtpServer();
 *   const config = testConfig({ SMTP_URL: smtp.url });
 *   … enqueue and send …
 *   const [mail] = await smtp.waitFor(1);
 *   expect(mail.to).toEqual(['ann@example.test']);
 *   expect(mail.text).toContain('/reset?token=');
 *   await smtp.close();
 *
 * `rejectRecipients(550)` makes it refuse every RCPT TO with that reply code
 * until `rejectRecipients(null)`, to exercise retries.
 */

export interface ReceivedMail {
  /** Envelope sender (MAIL FROM). */
  from: string;
  /** Envelope recipients (RCPT TO). */
  to: string[];
  /** The message exactly as it came over the wire: headers, blank line, MIME body. */
  raw: string;
  /** The Subject header, decoded. */
  subject: string;
  /** The text/plain part, decoded, with \n line ends; '' if there is none. */
  text: string;
  /** The text/html part, decoded, with \n line ends; '' if there is none. */
  html: string;
}

export interface TestSmtpServer {
  /** smtp://127.0.0.1:<port>, ready for SMTP_URL. */
  url: string;
  /** Every accepted message, in order of arrival. */
  messages: ReceivedMail[];
  /** Resolves with `messages` once at least `count` have arrived; rejects after `timeoutMs`. */
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedMail[]>;
  /** While a code is set, every RCPT TO is refused with it (e.g. 450 or 550). */
  rejectRecipients(code: number | null): void;
  close(): Promise<void>;
}

export async function startTestSmtpServer(): Promise<TestSmtpServer> {
  const messages: ReceivedMail[] = [];
  const waiters = new Set<() => void>();
  let rejectWith: number | null = null;

  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onRcptTo(address, _session, callback) {
      if (rejectWith === null) return callback();
      const error: SMTPServerError = new Error(`<${address.address}>: recipient refused by the test server`);
      error.responseCode = rejectWith;
      callback(error);
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        messages.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw,
          ...readMessage(raw),
        });
        for (const wake of waiters) wake();
        callback();
      });
    },
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.server.address();
  if (address === null || typeof address === 'string') throw new Error('the test SMTP server has no TCP port');

  return {
    url: `smtp://127.0.0.1:${address.port}`,
    messages,
    rejectRecipients(code) {
      rejectWith = code;
    },
    waitFor(count, timeoutMs = 10_000) {
      if (messages.length >= count) return Promise.resolve(messages);
      return new Promise((resolve, reject) => {
        const wake = () => {
          if (messages.length < count) return;
          waiters.delete(wake);
          clearTimeout(timer);
          resolve(messages);
        };
        const timer = setTimeout(() => {
          waiters.delete(wake);
          reject(new Error(`the test SMTP server received ${messages.length} of ${count} messages`));
        }, timeoutMs);
        waiters.add(wake);
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

// Just enough MIME to read what nodemailer writes (single part or
// multipart/alternative; 7bit, quoted-printable or base64): not a general parser.

interface Part {
  headers: Map<string, string>;
  body: string;
}

function splitPart(raw: string): Part {
  const end = raw.indexOf('\r\n\r\n');
  const head = end === -1 ? raw : raw.slice(0, end);
  const body = end === -1 ? '' : raw.slice(end + 4);
  const headers = new Map<string, string>();
  for (const line of head.replace(/\r\n[ \t]+/g, ' ').split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return { headers, body };
}

function decodeBody(part: Part): string {
  const encoding = (part.headers.get('content-transfer-encoding') ?? '7bit').toLowerCase();
  if (encoding === 'base64') return Buffer.from(part.body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (encoding === 'quoted-printable') return decodeQuotedPrintable(part.body);
  return part.body;
}

function decodeQuotedPrintable(value: string): string {
  const text = value.replace(/=\r?\n/g, '');
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const hex = text.slice(i + 1, i + 3);
    if (text[i] === '=' && /^[0-9A-F]{2}$/i.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(text[i] ?? '', 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

function decodeHeader(value: string): string {
  return value.replace(/=\?([^?]+)\?([QB])\?([^?]*)\?=\s*/gi, (_m, _charset: string, kind: string, text: string) =>
    kind.toUpperCase() === 'B' ? Buffer.from(text, 'base64').toString('utf8') : decodeQuotedPrintable(text.replace(/_/g, ' ')),
  );
}

function leaves(part: Part): Part[] {
  const type = part.headers.get('content-type') ?? 'text/plain';
  const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
  if (!type.toLowerCase().startsWith('multipart/') || !boundary) return [part];
  const sections = part.body.split(`--${boundary}`).slice(1);
  return sections.filter((s) => !s.startsWith('--')).flatMap((s) => leaves(splitPart(s.replace(/^\r\n/, ''))));
}

function readMessage(raw: string): Pick<ReceivedMail, 'subject' | 'text' | 'html'> {
  const message = splitPart(raw);
  const parts = leaves(message);
  const ofType = (mime: string) => {
    const part = parts.find((p) => (p.headers.get('content-type') ?? 'text/plain').toLowerCase().startsWith(mime));
    // The last CRLF belongs to the boundary that follows; lines end in \n like the text that was sent.
    return part ? decodeBody(part).replace(/\r\n$/, '').replace(/\r\n/g, '\n') : '';
  };
  return { subject: decodeHeader(message.headers.get('subject') ?? ''), text: ofType('text/plain'), html: ofType('text/html') };
}
