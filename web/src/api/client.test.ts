import { afterEach, describe, expect, it } from 'vitest';
import { api, ApiError, data, setCsrfToken } from './client';

// The real client with its middleware; only the network is replaced, per request.
const baseUrl = 'http://custodia.test';

function answering(status: number, body: unknown, headers: Record<string, string> = {}) {
  const seen: Request[] = [];
  const fetch = async (request: Request) => {
    seen.push(request);
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    return new Response(status === 204 ? null : text, {
      status,
      statusText: status === 503 ? 'Service Unavailable' : '',
      headers: { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/problem+json', ...headers },
    });
  };
  return { fetch, seen };
}

async function failure(call: Promise<unknown>): Promise<ApiError> {
  const error = await call.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ApiError);
  return error as ApiError;
}

afterEach(() => setCsrfToken(undefined));

describe('problem+json answers', () => {
  it('become an ApiError with status, code, detail and the fields its errors name', async () => {
    const { fetch } = answering(400, {
      type: 'about:blank',
      title: 'Bad Request',
      status: 400,
      code: 'validation_failed',
      detail: 'request does not match the schema',
      errors: [
        { path: 'body/emails/0', message: 'must match format "email"' },
        { path: 'body/emails/1', message: 'must match format "email" too' },
        { path: 'querystring/limit', message: 'must be <= 200' },
        { path: '/firstName', message: 'must NOT have more than 100 characters' },
      ],
    });
    const error = await failure(api.POST('/api/v1/contacts', { baseUrl, fetch, body: { firstName: 'Ada' } as never }));
    expect(error.status).toBe(400);
    expect(error.code).toBe('validation_failed');
    expect(error.detail).toBe('request does not match the schema');
    expect(error.message).toBe('request does not match the schema');
    expect(error.errors?.map((e) => [e.path, e.field])).toEqual([
      ['body/emails/0', 'emails'],
      ['body/emails/1', 'emails'],
      ['querystring/limit', 'limit'],
      ['/firstName', 'firstName'],
    ]);
    // The first message of a field wins.
    expect(error.fieldErrors()).toEqual({
      emails: 'must match format "email"',
      limit: 'must be <= 200',
      firstName: 'must NOT have more than 100 characters',
    });
  });

  it('keep a domain error without field errors', async () => {
    const { fetch } = answering(409, { status: 409, code: 'version_conflict', detail: 'the record was changed by someone else' });
    const error = await failure(api.GET('/api/v1/auth/session', { baseUrl, fetch }));
    expect([error.status, error.code, error.detail, error.errors]).toEqual([
      409,
      'version_conflict',
      'the record was changed by someone else',
      undefined,
    ]);
    expect(error.fieldErrors()).toEqual({});
  });

  it('tolerate malformed entries in errors', async () => {
    const { fetch } = answering(400, { code: 'validation_failed', detail: 'bad', errors: [{ path: 7, message: null }, {}] });
    const error = await failure(api.GET('/api/v1/auth/session', { baseUrl, fetch }));
    expect(error.errors).toEqual([
      { path: '', field: '', message: '' },
      { path: '', field: '', message: '' },
    ]);
  });

  it('carry Retry-After as seconds when the server asks to wait', async () => {
    const { fetch } = answering(429, { code: 'rate_limited', detail: 'too many attempts' }, { 'retry-after': '30' });
    expect((await failure(api.GET('/api/v1/auth/session', { baseUrl, fetch }))).retryAfterSeconds).toBe(30);
    const noWait = answering(429, { code: 'rate_limited', detail: 'too many attempts' }, { 'retry-after': 'soon' });
    expect((await failure(api.GET('/api/v1/auth/session', { baseUrl, fetch: noWait.fetch }))).retryAfterSeconds).toBeUndefined();
  });

  it('fall back to the HTTP status when the body is not JSON', async () => {
    const { fetch } = answering(503, 'upstream down');
    const error = await failure(api.GET('/api/v1/auth/session', { baseUrl, fetch }));
    expect([error.status, error.code, error.detail]).toEqual([503, 'http_503', 'Service Unavailable']);
  });
});

describe('successful answers', () => {
  it('are passed through, and data() unwraps them', async () => {
    const fetch = async () => Response.json({ items: [{ id: 'r1', name: 'Root', parentId: null }] });
    await expect(data(api.GET('/api/v1/roles', { baseUrl, fetch }))).resolves.toEqual({
      items: [{ id: 'r1', name: 'Root', parentId: null }],
    });
  });
});

describe('the CSRF token', () => {
  it('goes with every changing request once the session is known, never with a read', async () => {
    const { fetch, seen } = answering(200, {});
    await api.POST('/api/v1/auth/logout', { baseUrl, fetch });
    setCsrfToken('token-1');
    await api.GET('/api/v1/auth/session', { baseUrl, fetch });
    await api.POST('/api/v1/auth/logout', { baseUrl, fetch });
    await api.DELETE('/api/v1/contacts/{id}', {
      baseUrl,
      fetch,
      params: { path: { id: '00000000-0000-4000-8000-000000000001' } },
    } as never);
    setCsrfToken(undefined);
    await api.POST('/api/v1/auth/logout', { baseUrl, fetch });
    expect(seen.map((request) => [request.method, request.headers.get('x-csrf-token')])).toEqual([
      ['POST', null],
      ['GET', null],
      ['POST', 'token-1'],
      ['DELETE', 'token-1'],
      ['POST', null],
    ]);
  });
});
