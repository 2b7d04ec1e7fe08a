import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiError, setCsrfToken } from '../../api/client';
import { uploadWithProgress } from './upload';

/** Just enough of XMLHttpRequest to see what an upload sends and to answer it as the server would. */
class FakeRequest {
  static last: FakeRequest | undefined;
  method = '';
  url = '';
  withCredentials = false;
  headers: Record<string, string> = {};
  body: unknown;
  status = 0;
  statusText = '';
  responseText = '';
  responseHeaders: Record<string, string> = {};
  upload: { onprogress: ((event: { loaded: number; total: number; lengthComputable: boolean }) => void) | null } = { onprogress: null };
  onload: (() => void) | null = null;
  onerror: (() => void) | null = null;
  onabort: (() => void) | null = null;
  aborted = false;

  constructor() {
    FakeRequest.last = this;
  }
  open(method: string, url: string) {
    this.method = method;
    this.url = url;
  }
  setRequestHeader(name: string, value: string) {
    this.headers[name.toLowerCase()] = value;
  }
  getResponseHeader(name: string) {
    return this.responseHeaders[name.toLowerCase()] ?? null;
  }
  send(body: unknown) {
    this.body = body;
  }
  abort() {
    this.aborted = true;
    this.onabort?.();
  }
  answer(status: number, body: string, headers: Record<string, string> = {}) {
    this.status = status;
    this.responseText = body;
    this.responseHeaders = headers;
    this.onload?.();
  }
}

describe('uploadWithProgress', () => {
  const original = globalThis.XMLHttpRequest;
  beforeEach(() => {
    (globalThis as { XMLHttpRequest: unknown }).XMLHttpRequest = FakeRequest;
  });
  afterEach(() => {
    (globalThis as { XMLHttpRequest: unknown }).XMLHttpRequest = original;
    setCsrfToken(undefined);
  });

  it('POSTs the body with the session’s CSRF header, reports progress, and answers the created file', async () => {
    setCsrfToken('csrf-123');
    const seen: Array<[number, number]> = [];
    const body = new FormData();
    const done = uploadWithProgress<{ id: string; version: number }>('/api/v1/files', body, (loaded, total) => seen.push([loaded, total]));
    const request = FakeRequest.last!;
    expect(request.method).toBe('POST');
    expect(request.url).toBe('/api/v1/files');
    expect(request.headers['x-csrf-token']).toBe('csrf-123');
    expect(request.body).toBe(body);
    request.upload.onprogress!({ loaded: 50, total: 200, lengthComputable: true });
    request.upload.onprogress!({ loaded: 80, total: 0, lengthComputable: false });
    request.answer(201, JSON.stringify({ id: 'f1', version: 1 }), { 'content-type': 'application/json' });
    await expect(done).resolves.toEqual({ id: 'f1', version: 1 });
    expect(seen).toEqual([
      [50, 200],
      [80, 0],
    ]);
  });

  it('sends no CSRF header when there is no browser session (the server then refuses a cookie-less unsafe request)', async () => {
    const done = uploadWithProgress('/api/v1/files', new FormData(), () => {});
    expect(FakeRequest.last!.headers['x-csrf-token']).toBeUndefined();
    FakeRequest.last!.answer(201, '{}');
    await done;
  });

  it('turns a problem+json refusal into the same ApiError the generated client throws', async () => {
    const done = uploadWithProgress('/api/v1/files', new FormData(), () => {});
    FakeRequest.last!.answer(413, JSON.stringify({ status: 413, code: 'file_too_large', detail: 'the file is larger than allowed' }), {
      'content-type': 'application/problem+json',
    });
    const error = await done.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 413, code: 'file_too_large', detail: 'the file is larger than allowed' });
  });

  it('reports a connection that failed as network_error, and an abort as an AbortError', async () => {
    const failed = uploadWithProgress('/api/v1/files', new FormData(), () => {});
    FakeRequest.last!.onerror!();
    await expect(failed).rejects.toMatchObject({ status: 0, code: 'network_error' });

    const controller = new AbortController();
    const cancelled = uploadWithProgress('/api/v1/files', new FormData(), () => {}, controller.signal);
    controller.abort();
    expect(FakeRequest.last!.aborted).toBe(true);
    await expect(cancelled).rejects.toMatchObject({ name: 'AbortError' });
  });
});
