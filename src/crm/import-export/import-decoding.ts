import { TextDecoder } from 'node:util';
import { CrmError } from '../common/crm.errors.js';

/**
 * The text of an uploaded contact file, decoded as it streams. Exports come
 * as UTF-8 (with or without a BOM), as Windows-1252 (Outlook classic, Excel's
 * "CSV" in western European locales) or as UTF-16 with a BOM (Excel's
 * "Unicode text"). A BOM decides; else a declared charset; else the bytes:
 * ASCII reads the same in all of them, and the first chunk holding other bytes
 * decides between UTF-8 (if it is valid UTF-8) and Windows-1252 — without
 * holding more of the file than one chunk and up to three bytes.
 */

export type ImportCharset = 'utf-8' | 'windows-1252' | 'utf-16le' | 'utf-16be';

/** The charset named by a content-type (`text/csv; charset=...`), as TextDecoder knows it; undefined when none is named. */
export function declaredCharset(contentType: string | undefined): string | undefined {
  const match = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType ?? '');
  if (!match) return undefined;
  try {
    return new TextDecoder(match[1]!.toLowerCase()).encoding;
  } catch {
    throw new CrmError(
      'unsupported_charset',
      'the charset of the content-type is not one this server can decode (use utf-8, windows-1252 or utf-16)',
    );
  }
}

/** Where a trailing, not yet complete UTF-8 sequence starts (the buffer's length when there is none). */
function completeUtf8(bytes: Buffer): number {
  for (let i = bytes.length - 1, back = 1; i >= 0 && back <= 4; i--, back++) {
    const b = bytes[i]!;
    if ((b & 0xc0) === 0x80) continue;
    if (b < 0xc0) return bytes.length;
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
    return back < need ? i : bytes.length;
  }
  return bytes.length;
}

function isAscii(bytes: Buffer): boolean {
  for (const b of bytes) if (b > 0x7f) return false;
  return true;
}

function bomCharset(head: Buffer): ImportCharset | undefined {
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return 'utf-8';
  if (head[0] === 0xff && head[1] === 0xfe) return 'utf-16le';
  if (head[0] === 0xfe && head[1] === 0xff) return 'utf-16be';
  // UTF-16 without a BOM still shows itself: text files do not start with NUL bytes.
  if (head.length >= 2 && head[0] !== 0 && head[1] === 0) return 'utf-16le';
  if (head.length >= 2 && head[0] === 0 && head[1] !== 0) return 'utf-16be';
  return undefined;
}

/** Decodes a byte stream into text chunks; `declared` is a charset from the content-type. */
export async function* decodeText(bytes: AsyncIterable<Buffer>, declared?: string): AsyncGenerator<string> {
  let decoder: TextDecoder | undefined;
  let held: Buffer = Buffer.alloc(0);
  let first = true;
  for await (const raw of bytes) {
    let chunk: Buffer = held.length > 0 ? Buffer.concat([held, raw]) : raw;
    held = Buffer.alloc(0);
    if (first) {
      if (chunk.length < 3 && chunk.length > 0) {
        held = chunk; // too few bytes to see a BOM yet
        continue;
      }
      first = false;
      const bom = bomCharset(chunk);
      const charset = bom ?? declared;
      if (charset) decoder = new TextDecoder(charset);
    }
    if (decoder) {
      const text = decoder.decode(chunk, { stream: true });
      if (text) yield text;
      continue;
    }
    // Not decided yet: everything so far was ASCII.
    const cut = completeUtf8(chunk);
    held = chunk.subarray(cut);
    chunk = chunk.subarray(0, cut);
    if (isAscii(chunk)) {
      if (chunk.length > 0) yield chunk.toString('latin1');
      continue;
    }
    try {
      const text = new TextDecoder('utf-8', { fatal: true }).decode(chunk);
      decoder = new TextDecoder('utf-8');
      yield text;
    } catch {
      decoder = new TextDecoder('windows-1252');
      yield decoder.decode(chunk, { stream: true });
    }
    if (held.length > 0) {
      const rest = held;
      held = Buffer.alloc(0);
      const text = decoder.decode(rest, { stream: true });
      if (text) yield text;
    }
  }
  if (held.length > 0) {
    const charset = decoder ? undefined : ((first ? bomCharset(held) : undefined) ?? declared);
    if (charset) decoder = new TextDecoder(charset);
    if (decoder) {
      yield decoder.decode(held, { stream: true });
    } else {
      try {
        yield new TextDecoder('utf-8', { fatal: true }).decode(held);
      } catch {
        yield new TextDecoder('windows-1252').decode(held);
      }
    }
  }
  const tail = decoder?.decode();
  if (tail) yield tail;
}
