import { describe, expect, it } from 'vitest';
import { ApiError } from '../../api/client';
import { filenameFromDisposition } from './download';
import { contentUrl, fileProblemKey, percentOf, previewKind, typeLabel, uploadBody } from './files';

describe('previewKind', () => {
  it('previews PDFs and the raster images a browser shows, whatever the parameters or case', () => {
    expect(previewKind('application/pdf')).toBe('pdf');
    expect(previewKind('Application/PDF; name=x')).toBe('pdf');
    expect(previewKind('image/png')).toBe('image');
    expect(previewKind('image/jpeg')).toBe('image');
    expect(previewKind('image/webp')).toBe('image');
  });

  it('never shows SVG (it can carry script), HTML or anything else inline', () => {
    expect(previewKind('image/svg+xml')).toBeNull();
    expect(previewKind('text/html')).toBeNull();
    expect(previewKind('application/octet-stream')).toBeNull();
    expect(previewKind('')).toBeNull();
  });
});

describe('typeLabel', () => {
  it('names common types in words and leaves the rest as the media type', () => {
    expect(typeLabel('application/pdf')).toEqual({ key: 'files.types.pdf' });
    expect(typeLabel('image/png')).toEqual({ key: 'files.types.image', values: { format: 'PNG' } });
    expect(typeLabel('text/plain; charset=utf-8')).toEqual({ key: 'files.types.text' });
    expect(typeLabel('application/octet-stream')).toEqual({ key: 'files.types.unknown' });
    expect(typeLabel('application/zip')).toEqual({ key: 'files.types.other', values: { type: 'application/zip' } });
  });
});

describe('contentUrl', () => {
  it('reads the newest version without a version, and a given one or an inline preview with it', () => {
    expect(contentUrl('f1')).toBe('/api/v1/files/f1/content');
    expect(contentUrl('f1', { version: 2 })).toBe('/api/v1/files/f1/content?version=2');
    expect(contentUrl('f1', { version: 1, inline: true })).toBe('/api/v1/files/f1/content?version=1&inline=1');
  });

  it('keeps an id inside its path segment', () => {
    expect(contentUrl('../auth/session?x')).toBe('/api/v1/files/..%2Fauth%2Fsession%3Fx/content');
  });
});

describe('fileProblemKey', () => {
  it('explains the refusals of the files API by their code', () => {
    expect(fileProblemKey(new ApiError(413, 'file_too_large', 'x'))).toBe('files.errors.tooLarge');
    expect(fileProblemKey(new ApiError(409, 'quota_exceeded', 'x'))).toBe('files.errors.quota');
    expect(fileProblemKey(new ApiError(423, 'processing_restricted', 'x'))).toBe('files.errors.restricted');
    expect(fileProblemKey(new ApiError(409, 'version_expired', 'x'))).toBe('files.errors.expired');
    expect(fileProblemKey(new ApiError(0, 'network_error', 'x'))).toBe('files.errors.network');
  });

  it('falls back on the status, and leaves other problems to their own detail', () => {
    expect(fileProblemKey(new ApiError(413, 'http_413', 'x'))).toBe('files.errors.tooLarge');
    expect(fileProblemKey(new ApiError(404, 'file_not_found', 'x'))).toBe('files.errors.notFound');
    expect(fileProblemKey(new ApiError(403, 'permission_denied', 'x'))).toBe('files.errors.forbidden');
    expect(fileProblemKey(new ApiError(409, 'version_conflict', 'x'))).toBeNull();
    expect(fileProblemKey(new ApiError(400, 'invalid_field', 'x'))).toBeNull();
    expect(fileProblemKey(new TypeError('Failed to fetch'))).toBe('files.errors.network');
  });
});

describe('uploadBody', () => {
  it('puts the record before the file, so a streaming server knows where the bytes go', () => {
    const body = uploadBody(new File(['%PDF-1.4'], 'quote.pdf', { type: 'application/pdf' }), { contactId: 'c1' });
    expect([...body.keys()]).toEqual(['contactId', 'file']);
    expect(body.get('contactId')).toBe('c1');
    expect((body.get('file') as File).name).toBe('quote.pdf');
  });

  it('sends only the file for a new version', () => {
    const body = uploadBody(new File(['x'], 'quote.pdf'));
    expect([...body.keys()]).toEqual(['file']);
  });
});

describe('percentOf', () => {
  it('is a whole percentage, 0 while the total is unknown and never over 100', () => {
    expect(percentOf(0, 0)).toBe(0);
    expect(percentOf(512, 1024)).toBe(50);
    expect(percentOf(1023, 1024)).toBe(99);
    expect(percentOf(2048, 1024)).toBe(100);
  });
});

describe('filenameFromDisposition', () => {
  it('prefers the UTF-8 name and falls back to the quoted one', () => {
    expect(filenameFromDisposition(`attachment; filename="offerte.pdf"; filename*=UTF-8''offerte%20%C3%A9t%C3%A9.pdf`)).toBe(
      'offerte été.pdf',
    );
    expect(filenameFromDisposition('attachment; filename="a \\"b\\".pdf"')).toBe('a "b".pdf');
    expect(filenameFromDisposition('attachment; filename=plain.txt')).toBe('plain.txt');
  });

  it('answers null when there is no name', () => {
    expect(filenameFromDisposition(null)).toBeNull();
    expect(filenameFromDisposition('attachment')).toBeNull();
    expect(filenameFromDisposition(`attachment; filename*=UTF-8''%E0%A4%A`)).toBeNull();
  });
});
