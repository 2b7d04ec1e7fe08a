import { problemOf } from '../../api/client';
import { contentUrl } from './files';

/** The file name a Content-Disposition header gives (RFC 6266: `filename*` in UTF-8 before `filename`). */
export function filenameFromDisposition(header: string | null): string | null {
  if (!header) return null;
  const extended = /filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)/.exec(header);
  if (extended?.[1]) {
    try {
      return decodeURIComponent(extended[1].trim());
    } catch {
      // a malformed escape: fall back to the plain name
    }
  }
  const plain = /filename\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]+))/.exec(header);
  const name = plain?.[1]?.replace(/\\(.)/g, '$1') ?? plain?.[2];
  return name ? name : null;
}

/**
 * Saves a version of a file. It is fetched first rather than linked to, so a
 * refusal (a restricted person: 423, a file gone: 404) is shown as a message
 * in the app instead of being saved as a file with the error in it.
 */
export async function downloadVersion(file: { id: string; name: string }, version?: number): Promise<void> {
  const response = await fetch(contentUrl(file.id, { version }), { credentials: 'same-origin' });
  if (!response.ok) throw await problemOf(response);
  const blob = await response.blob();
  const url = URL.createObjectURL(blob);
  try {
    const link = document.createElement('a');
    link.href = url;
    link.download = filenameFromDisposition(response.headers.get('content-disposition')) ?? file.name;
    document.body.append(link);
    link.click();
    link.remove();
  } finally {
    // The click has handed the blob to the browser's download; the URL itself is no longer needed.
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }
}
