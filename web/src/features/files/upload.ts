import { ApiError, csrfHeaders, problemOf } from '../../api/client';

/**
 * POSTs a multipart body with progress: fetch cannot report an upload's
 * progress, XMLHttpRequest can. It goes out as the generated client's calls
 * do: the session cookie (same origin) and the CSRF header, and a non-2xx
 * answer becomes the same ApiError from its problem+json body.
 */
export function uploadWithProgress<T>(
  url: string,
  body: FormData,
  onProgress: (loaded: number, total: number) => void,
  signal?: AbortSignal,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open('POST', url);
    request.withCredentials = true;
    request.setRequestHeader('accept', 'application/json');
    for (const [name, value] of Object.entries(csrfHeaders())) request.setRequestHeader(name, value);
    request.upload.onprogress = (event) => onProgress(event.loaded, event.lengthComputable ? event.total : 0);
    request.onload = () => {
      if (request.status >= 200 && request.status < 300) {
        try {
          resolve(JSON.parse(request.responseText) as T);
        } catch {
          reject(new ApiError(request.status, 'invalid_response', 'the server answered with something other than JSON'));
        }
        return;
      }
      const headers = new Headers();
      for (const name of ['content-type', 'retry-after']) {
        const value = request.getResponseHeader(name);
        if (value) headers.set(name, value);
      }
      void problemOf(new Response(request.responseText, { status: request.status, statusText: request.statusText, headers })).then(reject);
    };
    request.onerror = () => reject(new ApiError(0, 'network_error', 'the upload did not reach the server'));
    request.onabort = () => reject(new DOMException('the upload was cancelled', 'AbortError'));
    signal?.addEventListener('abort', () => request.abort(), { once: true });
    request.send(body);
  });
}
