import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { fileTypeFromBuffer } from 'file-type';
import { FileError } from './files.errors.js';

/**
 * What the server learns of an upload's bytes as they stream past, without
 * holding them: size (refused past the limit), SHA-256, and the content type
 * from the bytes themselves — file-type's signatures on the first bytes, else
 * text/plain for valid UTF-8, else application/octet-stream. The client's
 * declared type is never believed.
 */

const SNIFF_BYTES = 4100;

export interface Measured {
  size: number;
  sha256: Buffer;
  contentType: string;
}

export class ContentMeter extends Transform {
  private size = 0;
  private readonly hash = createHash('sha256');
  private head: Buffer[] = [];
  private headBytes = 0;
  private readonly utf8 = new TextDecoder('utf-8', { fatal: true });
  private validUtf8 = true;
  private result: Measured | undefined;

  constructor(private readonly maxBytes: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.size += chunk.length;
    if (this.size > this.maxBytes) {
      done(new FileError('file_too_large', `a file is at most ${this.maxBytes} bytes`));
      return;
    }
    this.hash.update(chunk);
    if (this.headBytes < SNIFF_BYTES) {
      this.head.push(chunk);
      this.headBytes += chunk.length;
    }
    if (this.validUtf8) {
      try {
        this.utf8.decode(chunk, { stream: true });
      } catch {
        this.validUtf8 = false;
      }
    }
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    if (this.validUtf8) {
      try {
        this.utf8.decode();
      } catch {
        this.validUtf8 = false;
      }
    }
    const head = Buffer.concat(this.head).subarray(0, SNIFF_BYTES);
    this.head = [];
    fileTypeFromBuffer(head)
      .then((type) => {
        const contentType = type?.mime ?? (this.validUtf8 ? 'text/plain' : 'application/octet-stream');
        this.result = { size: this.size, sha256: this.hash.digest(), contentType };
        done();
      })
      .catch((error: unknown) => done(error as Error));
  }

  /** Size, checksum and type; only once the stream has ended. */
  measured(): Measured {
    if (!this.result) throw new Error('the upload has not ended');
    return this.result;
  }
}

const SERVED_INLINE = /^(image\/(png|jpeg|gif|webp|avif|bmp)|application\/pdf|text\/plain)$/;

/**
 * The type a download is served as: images, PDF and plain text as what they
 * are (the web app previews them), anything else as opaque bytes, so no
 * browser renders an uploaded page or script as the application's own.
 */
export function servedType(contentType: string): { type: string; inline: boolean } {
  if (SERVED_INLINE.test(contentType))
    return { type: contentType === 'text/plain' ? 'text/plain; charset=utf-8' : contentType, inline: true };
  return { type: 'application/octet-stream', inline: false };
}

/** C0 and C1 controls, line/paragraph separators and bidirectional overrides: none belongs in a file name. */
function isUnwanted(code: number): boolean {
  return (
    code < 0x20 ||
    (code >= 0x7f && code <= 0x9f) ||
    code === 0x2028 ||
    code === 0x2029 ||
    (code >= 0x202a && code <= 0x202e) ||
    (code >= 0x2066 && code <= 0x2069)
  );
}

/** A file name as it may be stored and shown: no path, no control or bidi characters, at most 200 characters. */
export function sanitizeName(raw: string | undefined): string {
  const base = (raw ?? '').split(/[\\/]/).pop() ?? '';
  let name = [...base]
    .filter((c) => !isUnwanted(c.codePointAt(0)!))
    .join('')
    .normalize('NFC')
    .trim();
  if (name === '.' || name === '..') name = '';
  name = name.replace(/^\.+/, (dots) => (dots.length === name.length ? '' : dots));
  if (name.length > 200) {
    const dot = name.lastIndexOf('.');
    const ext = dot > 0 && name.length - dot <= 16 ? name.slice(dot) : '';
    name = name.slice(0, 200 - ext.length) + ext;
  }
  return name.length > 0 ? name : 'file';
}

/** Content-Disposition for a download (RFC 6266 / 5987): an ASCII fallback and the UTF-8 name. */
export function contentDisposition(kind: 'attachment' | 'inline', name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

/** A single `bytes=` range of a `size`-byte content, undefined without one; throws range_not_satisfiable on a bad one. */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | undefined {
  if (header === undefined) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  const bad = () => new FileError('range_not_satisfiable', 'one range of bytes within the file, e.g. bytes=0-1023', { size });
  if (!match || (match[1] === '' && match[2] === '')) throw bad();
  let start: number;
  let end: number;
  if (match[1] === '') {
    const suffix = Number(match[2]);
    if (suffix === 0) throw bad();
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(match[1]);
    end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  }
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start > end || start >= size) throw bad();
  return { start, end };
}
