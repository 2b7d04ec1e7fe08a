import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import FindMyWay from 'find-my-way';
import { DomainError, type ErrorKind } from '../shared/domain-error.js';

/**
 * RFC 9457 problem details: every error the API answers, whatever raised it,
 * leaves through `sendProblem` with a stable machine-readable `code`.
 */

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  requestId?: string;
  errors?: Array<{ path: string; message: string }>;
}

const STATUS_OF_KIND: Record<ErrorKind, number> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  locked: 423,
  too_many: 429,
  unavailable: 503,
};

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  408: 'Request Timeout',
  409: 'Conflict',
  411: 'Length Required',
  413: 'Content Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  423: 'Locked',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function problemTypeFor(code: string): string {
  return `urn:custodia:problem:${code}`;
}

export function sendProblem(
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  code: string,
  detail: string,
  extra: Partial<Problem> = {},
): FastifyReply {
  const body: Problem = {
    type: problemTypeFor(code),
    title: TITLES[status] ?? 'Error',
    status,
    detail,
    code,
    requestId: request.id,
    ...extra,
  };
  // no-store here too: routing errors answer before the server's onSend hooks would add it.
  return reply
    .status(status)
    .header('content-type', 'application/problem+json; charset=utf-8')
    .header('cache-control', 'no-store')
    .send(body);
}

// Fastify's own errors whose messages are safe to show; everything else gets
// a fixed text so no body content (possibly personal) is ever echoed back.
const FASTIFY_ERRORS: Record<string, { status: number; code: string; detail: string }> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'malformed_json', detail: 'request body is not valid JSON' },
  FST_ERR_CTP_EMPTY_JSON_BODY: {
    status: 400,
    code: 'malformed_json',
    detail: 'request body is empty but content-type is application/json',
  },
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'body_too_large', detail: 'request body is larger than allowed' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    status: 415,
    code: 'unsupported_media_type',
    detail: 'content-type is not supported by this route',
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    status: 400,
    code: 'invalid_content_length',
    detail: 'content-length does not match the body',
  },
  FST_ERR_CTP_INVALID_TYPE: { status: 400, code: 'invalid_content_type', detail: 'content-type header is invalid' },
  FST_ERR_CTP_EMPTY_TYPE: { status: 400, code: 'invalid_content_type', detail: 'content-type header is empty' },
  FST_ERR_BAD_URL: { status: 400, code: 'bad_url', detail: 'request URL is malformed' },
  FST_ERR_MAX_PARAM_LENGTH: { status: 414, code: 'uri_too_long', detail: 'a segment of the request path is longer than any valid one' },
  FST_ERR_ASYNC_CONSTRAINT: { status: 400, code: 'bad_request', detail: 'request could not be routed' },
};

/** Fastify's `frameworkErrors`: errors met while routing, before any route's own handler. */
export function answerFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const known = FASTIFY_ERRORS[error.code] ?? { status: 400, code: 'bad_request', detail: 'request could not be routed' };
  return sendProblem(request, reply, known.status, known.code, known.detail);
}

export function installProblemHandlers(app: FastifyInstance, bodyLimitBytes: number): void {
  // A shadow router of every registered route, to tell 405 from 404.
  const routes = FindMyWay();
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      try {
        routes.on(method.toUpperCase() as 'GET', route.url, () => undefined);
      } catch {
        // already known (e.g. the HEAD twin of a GET route)
      }
    }
  });

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '/';
    const allowed = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'].filter(
      (method) => method !== request.method && routes.find(method as 'GET', path) !== null,
    );
    if (allowed.length > 0) {
      reply.header('allow', allowed.join(', '));
      return sendProblem(request, reply, 405, 'method_not_allowed', `${request.method} is not allowed here`);
    }
    return sendProblem(request, reply, 404, 'route_not_found', `no route ${request.method} ${path}`);
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof DomainError) {
      const retryAfter = error.details?.retryAfterSeconds;
      if (typeof retryAfter === 'number') reply.header('retry-after', String(retryAfter));
      return sendProblem(request, reply, STATUS_OF_KIND[error.kind], error.code, error.message);
    }
    if (error.validation) {
      return sendProblem(request, reply, 400, 'validation_failed', 'request does not match the schema', {
        errors: error.validation.map((v) => ({
          path: `${error.validationContext ?? 'body'}${v.instancePath}`,
          message: v.message ?? 'is invalid',
        })),
      });
    }
    const known = error.code ? FASTIFY_ERRORS[error.code] : undefined;
    if (known) {
      const detail = known.status === 413 ? `request body is larger than the limit of ${bodyLimitBytes} bytes` : known.detail;
      return sendProblem(request, reply, known.status, known.code, detail);
    }
    const status = typeof error.statusCode === 'number' ? error.statusCode : 500;
    if (status >= 400 && status < 500) {
      return sendProblem(request, reply, status, 'bad_request', TITLES[status] ?? 'request cannot be processed');
    }
    request.log.error({ err: error }, 'unexpected error');
    return sendProblem(request, reply, 500, 'internal_error', 'an unexpected error occurred; quote the request id');
  });
}
