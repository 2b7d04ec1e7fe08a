import { ApiError } from '../../api/client';

/** The one record a file is attached to. */
export type FileTarget =
  { contactId: string } | { leadId: string } | { organizationId: string } | { dealId: string } | { activityId: string };

export const fileKeys = {
  all: ['files'] as const,
  list: (target: FileTarget) => ['files', 'list', target] as const,
  versions: (id: string) => ['files', 'versions', id] as const,
};

// SVG is left out on purpose: an image that can carry script is downloaded, never shown inline.
const PREVIEWABLE_IMAGES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/avif', 'image/bmp']);

/** How a file can be previewed in the browser: as an image, as a PDF, or not at all. */
export function previewKind(contentType: string): 'image' | 'pdf' | null {
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  if (type === 'application/pdf') return 'pdf';
  return PREVIEWABLE_IMAGES.has(type) ? 'image' : null;
}

/** A short, translatable name for a content type: "PDF", "PNG image", else the type itself. */
export function typeLabel(contentType: string): { key: string; values?: Record<string, string> } {
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  if (type === 'application/pdf') return { key: 'files.types.pdf' };
  if (type.startsWith('image/')) return { key: 'files.types.image', values: { format: type.slice(6).toUpperCase() } };
  if (type.startsWith('text/')) return { key: 'files.types.text' };
  if (type === 'application/octet-stream' || type === '') return { key: 'files.types.unknown' };
  return { key: 'files.types.other', values: { type } };
}

/** Where a version of a file is read: the newest without `version`; `inline` for a preview. */
export function contentUrl(id: string, options: { version?: number | undefined; inline?: boolean | undefined } = {}): string {
  const query = new URLSearchParams();
  if (options.version !== undefined) query.set('version', String(options.version));
  if (options.inline) query.set('inline', '1');
  const search = query.toString();
  return `/api/v1/files/${encodeURIComponent(id)}/content${search ? `?${search}` : ''}`;
}

/** What the user is told when an upload, download or change of a file fails: a message key for the API's code. */
export function fileProblemKey(error: unknown): string | null {
  if (!(error instanceof ApiError)) return 'files.errors.network';
  switch (error.code) {
    case 'file_too_large':
      return 'files.errors.tooLarge';
    case 'quota_exceeded':
      return 'files.errors.quota';
    case 'processing_restricted':
      return 'files.errors.restricted';
    case 'version_expired':
      return 'files.errors.expired';
    case 'network_error':
      return 'files.errors.network';
    default:
      if (error.status === 413) return 'files.errors.tooLarge';
      if (error.status === 423) return 'files.errors.restricted';
      if (error.status === 404) return 'files.errors.notFound';
      if (error.status === 403) return 'files.errors.forbidden';
      return null;
  }
}

/** The multipart body of an upload: the record first, so a streaming server knows where the file goes before its bytes. */
export function uploadBody(file: Blob & { name: string }, target?: FileTarget): FormData {
  const body = new FormData();
  for (const [field, value] of Object.entries(target ?? {})) body.append(field, value as string);
  body.append('file', file, file.name);
  return body;
}

/** Progress of an upload as a whole percentage, 0 until the size is known. */
export function percentOf(loaded: number, total: number): number {
  if (!(total > 0)) return 0;
  return Math.min(100, Math.floor((loaded / total) * 100));
}
