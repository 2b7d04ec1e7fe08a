/**
 * The base of every domain's error class. Each domain narrows `code` to its
 * own string-literal union; the HTTP error handler maps `kind` to a status,
 * and the CLI prints `message` as its one-line reason.
 */
export type ErrorKind =
  | 'invalid' // 400/422: the request is wrong
  | 'unauthenticated' // 401
  | 'forbidden' // 403
  | 'not_found' // 404
  | 'conflict' // 409
  | 'too_large' // 413
  | 'locked' // 423: the resource is restricted
  | 'too_many' // 429
  | 'unavailable'; // 503

export class DomainError<Code extends string = string> extends Error {
  constructor(
    readonly code: Code,
    readonly kind: ErrorKind,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

/**
 * A domain's error class from its table of codes: each code names the kind
 * of failure, which the HTTP layer turns into a status (src/http/problem.ts).
 * `instanceof` works as with a hand-written subclass.
 */
export function domainErrorClass<Code extends string>(name: string, kinds: Record<Code, ErrorKind>) {
  return class extends DomainError<Code> {
    constructor(code: Code, message: string, details?: Record<string, unknown>) {
      super(code, kinds[code], message, details);
      this.name = name;
    }
  };
}

/** PostgreSQL unique_violation, as raised by both pg and PGlite. */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { code?: unknown; constraint?: unknown; message?: unknown };
  if (e.code !== '23505') return false;
  if (constraint === undefined) return true;
  return e.constraint === constraint || (typeof e.message === 'string' && e.message.includes(constraint));
}
