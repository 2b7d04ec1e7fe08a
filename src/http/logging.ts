import type { FastifyServerOptions } from 'fastify';
import type { DestinationStream } from 'pino';
import type { LogLevel } from '../config.js';

/**
 * Logs must never contain personal data. Requests are logged as method,
 * path (no query string: `?email=` is personal) and request id; headers and
 * bodies are never logged; database errors lose their `detail`, which
 * PostgreSQL fills with the offending values.
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

export function serializeError(error: unknown): { type: string; message: string; stack: string; code?: string } {
  if (!(error instanceof Error)) return { type: typeof error, message: 'non-error thrown', stack: '' };
  const e = error as Error & { code?: unknown; detail?: unknown; where?: unknown };
  return {
    type: e.name,
    ...(typeof e.code === 'string' ? { code: e.code } : {}),
    // PostgreSQL messages name constraints, not values; the values are in `detail`, dropped here.
    message: e.message,
    stack: e.stack ?? '',
  };
}
