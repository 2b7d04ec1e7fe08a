import type { FastifyServerOptions } from 'fastify';
import type { DestinationStream } from 'pino';
import type { LogLevel } from '../config.js';

/**
 * Logs must never contain personal data. Requests are logged as method,
 * path (no query string: `?email=` is personal) and request id; headers and
 * bodies are never logged; errors are logged by kind and code, without the
 * messages that may repeat input (serializeError).
 */
export function loggerOptions(level: LogLevel, stream?: DestinationStream): NonNullable<FastifyServerOptions['logger']> {
  return {
    level,
    ...(stream ? { stream } : {}),
    redact: {
      paths: ['req.headers', 'req.body', 'body', 'password', '*.password', 'token', '*.token', 'email', '*.email'],
      censor: '[redacted]',
    },
    serializers: {
      req(request: { method: string; url: string; id: string }) {
        return { method: request.method, path: request.url.split('?')[0], requestId: request.id };
      },
      res(reply: { statusCode: number }) {
        return { statusCode: reply.statusCode };
      },
      err: serializeError,
    },
  };
}

/** What is logged of an error: its kind and where it came from, never text that may repeat input. */
// A type, not an interface, so it fits the index signature of pino's serializer type.
export type LoggedError = {
  type: string;
  /** Always WITHHELD: messages may repeat input. */
  message: typeof WITHHELD;
  /** SQLSTATE for database errors; Node's or Fastify's code (ECONNREFUSED, FST_ERR_…) otherwise. */
  code?: string;
  constraint?: string;
  table?: string;
  column?: string;
  routine?: string;
  /** The call sites only: the first line of a stack repeats the message. */
  stack: string;
};

const WITHHELD = '[withheld]';

// PostgreSQL names these after the schema, never after the values.
const DATABASE_FIELDS = ['constraint', 'table', 'column', 'routine'] as const;

/**
 * Serializes errors for the log without their message. Database errors (pg's
 * DatabaseError, PGlite's) repeat the offending input in `message`
 * (`invalid input syntax for type bigint: "…"`), `detail`, `where` and
 * `hint`, and PGlite attaches the query's `params`; other errors' messages can
 * quote input too (JSON.parse's does). Only the class, the code, the schema
 * names and the call sites are kept.
 */
export function serializeError(error: unknown): LoggedError {
  if (!(error instanceof Error)) return { type: typeof error, message: WITHHELD, stack: '' };
  const e = error as Error & Record<string, unknown>;
  const database = typeof e.severity === 'string' && typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code);
  const logged: LoggedError = { type: database ? 'DatabaseError' : e.name || e.constructor.name, message: WITHHELD, stack: callSites(e) };
  if (typeof e.code === 'string' && /^[A-Za-z0-9_]{1,64}$/.test(e.code)) logged.code = e.code;
  if (database) {
    for (const field of DATABASE_FIELDS) {
      if (typeof e[field] === 'string') logged[field] = e[field];
    }
  }
  if (e.cause !== undefined) logged.type = `${logged.type} (cause: ${serializeError(e.cause).type})`;
  return logged;
}

function callSites({ stack, message }: Error): string {
  if (!stack) return '';
  // Cut the message off first: it may span lines, and one of them could look like a call site.
  const end = message ? stack.indexOf(message) : -1;
  return (end >= 0 ? stack.slice(end + message.length) : stack)
    .split('\n')
    .filter((line) => /^\s+at /.test(line))
    .join('\n');
}
