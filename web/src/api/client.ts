import createClient, { type Middleware } from 'openapi-fetch';
import type { paths } from './schema';

/** A field the API named in a problem+json answer, e.g. `email` for `body/email`. */
export interface FieldError {
  path: string;
  field: string;
  message: string;
}

/** An API answer that was not 2xx, from its problem+json body (RFC 9457). */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly detail: string;
  readonly errors: FieldError[] | undefined;
  readonly retryAfterSeconds: number | undefined;

  constructor(status: number, code: string, detail: string, errors?: FieldError[], retryAfterSeconds?: number) {
    super(detail);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.detail = detail;
    this.errors = errors;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  /** Field errors by field name, for a form's `setErrors`. */
  fieldErrors(): Record<string, string> {
    const byField: Record<string, string> = {};
    for (const error of this.errors ?? []) byField[error.field] ??= error.message;
    return byField;
  }
}

const CSRF_HEADER = 'x-csrf-token';
const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

// The session itself lives in the HttpOnly cookie; the CSRF token that goes
// with it is kept in memory only (never localStorage) and re-read from
// GET /api/v1/auth/session after a reload.
let csrfToken: string | undefined;

export function setCsrfToken(token: string | undefined): void {
  csrfToken = token;
}

/** The CSRF header a state-changing request outside `api` (an upload by XMLHttpRequest, for its progress) must send. */
export function csrfHeaders(): Record<string, string> {
  return csrfToken ? { [CSRF_HEADER]: csrfToken } : {};
}

/** `body/emails/0` → `emails`; `querystring/limit` → `limit`. */
function fieldOf(path: string): string {
  const parts = path.split('/').filter((part) => part !== '');
  const [first, second] = parts;
  if (first && ['body', 'querystring', 'params', 'headers'].includes(first)) return second ?? first;
  return first ?? path;
}

/** The ApiError of a non-2xx answer, from its problem+json body. */
export async function problemOf(response: Response): Promise<ApiError> {
  let body: Record<string, unknown> = {};
  try {
    body = (await response.clone().json()) as Record<string, unknown>;
  } catch {
    // not JSON: keep the status
  }
  const errors = Array.isArray(body.errors)
    ? (body.errors as Array<{ path?: unknown; message?: unknown }>).map((e) => {
        const path = typeof e.path === 'string' ? e.path : '';
        return { path, field: fieldOf(path), message: typeof e.message === 'string' ? e.message : '' };
      })
    : undefined;
  const retryAfter = Number(response.headers.get('retry-after'));
  return new ApiError(
    response.status,
    typeof body.code === 'string' ? body.code : `http_${response.status}`,
    typeof body.detail === 'string' ? body.detail : response.statusText,
    errors,
    Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined,
  );
}

const csrf: Middleware = {
  onRequest({ request }) {
    if (csrfToken && UNSAFE.has(request.method)) request.headers.set(CSRF_HEADER, csrfToken);
    return request;
  },
};

/** Every non-2xx answer becomes a thrown ApiError, so TanStack Query and forms see one error type. */
const problems: Middleware = {
  async onResponse({ response }) {
    if (!response.ok) throw await problemOf(response);
    return response;
  },
};

/** The only way from the web app to the server: typed by the generated schema. */
export const api = createClient<paths>({ baseUrl: '', credentials: 'same-origin' });
api.use(csrf, problems);

/** The data of a call whose errors were already thrown as ApiError. */
export async function data<T>(call: Promise<{ data?: T; error?: unknown }>): Promise<T> {
  const result = await call;
  return result.data as T;
}
