import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { deriveKey } from './secret-box.js';

/**
 * Encryption of streams of any size (files, backups): AES-256-GCM in chunks,
 * so neither side ever holds more than one chunk. Each stream gets its own key
 * (HKDF of the caller's key, a random salt and the stream's identity), and
 * each chunk's associated data binds the header, the chunk's index and
 * whether it is the last one: chunks cannot be swapped, reordered, dropped,
 * duplicated, moved to another stream or cut off at a chunk boundary without
 * decryption failing.
 *
 * Format:
 *   header (28 bytes): magic "CSTR" | version 1 | 3 reserved zero bytes |
 *                      chunk size uint32 BE | salt (16)
 *   chunks:            ciphertext of up to `chunk size` bytes | tag (16)
 * Every chunk but the last holds exactly `chunk size` plaintext bytes; the
 * last may be shorter (an empty stream has one empty last chunk).
 */

const MAGIC = Buffer.from('CSTR', 'ascii');
const VERSION = 1;
export const STREAM_HEADER_BYTES = 28;
const TAG = 16;
export const DEFAULT_CHUNK_BYTES = 64 * 1024;
const MAX_CHUNK_BYTES = 16 * 1024 * 1024;

export class StreamDecryptionError extends Error {
  constructor(reason: string) {
    super(`encrypted stream cannot be decrypted: ${reason}`);
    this.name = 'StreamDecryptionError';
  }
}

interface Header {
  chunkBytes: number;
  salt: Buffer;
  raw: Buffer;
}

function makeHeader(chunkBytes: number): Header {
  const raw = Buffer.alloc(STREAM_HEADER_BYTES);
  MAGIC.copy(raw, 0);
  raw[4] = VERSION;
  raw.writeUInt32BE(chunkBytes, 8);
  const salt = randomBytes(16);
  salt.copy(raw, 12);
  return { chunkBytes, salt, raw };
}

function parseHeader(raw: Buffer): Header {
  if (raw.length < STREAM_HEADER_BYTES || !raw.subarray(0, 4).equals(MAGIC)) throw new StreamDecryptionError('not an encrypted stream');
  if (raw[4] !== VERSION) throw new StreamDecryptionError(`unknown format version ${raw[4]}`);
  const chunkBytes = raw.readUInt32BE(8);
  if (chunkBytes < 1 || chunkBytes > MAX_CHUNK_BYTES) throw new StreamDecryptionError('bad chunk size');
  return { chunkBytes, salt: Buffer.from(raw.subarray(12, 28)), raw: Buffer.from(raw.subarray(0, STREAM_HEADER_BYTES)) };
}

function streamKey(key: Buffer, context: string, salt: Buffer): Buffer {
  return deriveKey(key, `stream|${salt.toString('hex')}|${context}`);
}

function nonceFor(index: number): Buffer {
  const nonce = Buffer.alloc(12);
  nonce.writeUIntBE(index, 6, 6);
  return nonce;
}

function aadFor(header: Header, index: number, last: boolean): Buffer {
  const tail = Buffer.alloc(7);
  tail.writeUIntBE(index, 0, 6);
  tail[6] = last ? 1 : 0;
  return Buffer.concat([header.raw, tail]);
}

function sealChunk(key: Buffer, header: Header, index: number, last: boolean, plain: Buffer): Buffer {
  const cipher = createCipheriv('aes-256-gcm', key, nonceFor(index));
  cipher.setAAD(aadFor(header, index, last));
  return Buffer.concat([cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
}

function openChunk(key: Buffer, header: Header, index: number, last: boolean, sealed: Buffer): Buffer {
  if (sealed.length < TAG) throw new StreamDecryptionError('truncated');
  const decipher = createDecipheriv('aes-256-gcm', key, nonceFor(index));
  decipher.setAAD(aadFor(header, index, last));
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG));
  try {
    return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - TAG)), decipher.final()]);
  } catch {
    throw new StreamDecryptionError(`chunk ${index} fails authentication (wrong key, wrong stream, tampered or truncated)`);
  }
}

/** Size of the encrypted form of `plainBytes` bytes. */
export function encryptedSize(plainBytes: number, chunkBytes = DEFAULT_CHUNK_BYTES): number {
  const chunks = Math.max(1, Math.ceil(plainBytes / chunkBytes));
  return STREAM_HEADER_BYTES + plainBytes + chunks * TAG;
}

/**
 * A Transform that encrypts what is written to it. `context` names the
 * stream (e.g. `file|<tenant>|<file>|<version>`): decryption needs the same.
 */
export function encryptStream(key: Buffer, context: string, chunkBytes = DEFAULT_CHUNK_BYTES): Transform {
  if (chunkBytes < 1 || chunkBytes > MAX_CHUNK_BYTES) throw new Error('bad chunk size');
  const header = makeHeader(chunkBytes);
  const k = streamKey(key, context, header.salt);
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let index = 0;
  let started = false;
  return new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      if (!started) {
        this.push(header.raw);
        started = true;
      }
      pending.push(chunk);
      pendingBytes += chunk.length;
      // Keep at least one byte back: the last chunk must be known to be last when sealed.
      if (pendingBytes > chunkBytes) {
        let all = Buffer.concat(pending);
        while (all.length > chunkBytes) {
          this.push(sealChunk(k, header, index++, false, all.subarray(0, chunkBytes)));
          all = all.subarray(chunkBytes);
        }
        pending = [all];
        pendingBytes = all.length;
      }
      done();
    },
    flush(done: TransformCallback) {
      if (!started) this.push(header.raw);
      this.push(sealChunk(k, header, index, true, Buffer.concat(pending)));
      pending = [];
      done();
    },
  });
}

/** A Transform that decrypts a whole stream made by `encryptStream`; it errors with StreamDecryptionError on any tampering. */
export function decryptStream(key: Buffer, context: string): Transform {
  let header: Header | undefined;
  let k: Buffer | undefined;
  let buffered: Buffer = Buffer.alloc(0);
  let index = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      try {
        if (!header) {
          if (buffered.length < STREAM_HEADER_BYTES) return done();
          header = parseHeader(buffered);
          k = streamKey(key, context, header.salt);
          buffered = buffered.subarray(STREAM_HEADER_BYTES);
        }
        const record = header.chunkBytes + TAG;
        // A full record is only known not to be the last when more bytes follow it.
        while (buffered.length > record) {
          this.push(openChunk(k!, header, index++, false, buffered.subarray(0, record)));
          buffered = buffered.subarray(record);
        }
        done();
      } catch (error) {
        done(error as Error);
      }
    },
    flush(done: TransformCallback) {
      try {
        if (!header) throw new StreamDecryptionError('truncated header');
        this.push(openChunk(k!, header, index, true, buffered));
        done();
      } catch (error) {
        done(error as Error);
      }
    },
  });
}

/** Reads bytes [start, end] (inclusive) of the stored ciphertext. */
export type ReadCiphertext = (start: number, end: number) => Promise<Readable>;

async function readAll(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

/**
 * Plaintext bytes [start, end] (inclusive) of an encrypted stream of
 * `plainBytes` bytes, decrypting only the chunks that hold them: HTTP range
 * requests of large files. Each chunk is still authenticated, the last one
 * as the last.
 */
export async function decryptRange(
  key: Buffer,
  context: string,
  read: ReadCiphertext,
  plainBytes: number,
  start: number,
  end: number,
): Promise<Readable> {
  if (start < 0 || end < start || end >= Math.max(plainBytes, 1)) throw new RangeError('range outside the stream');
  const header = parseHeader(await readAll(await read(0, STREAM_HEADER_BYTES - 1)));
  const k = streamKey(key, context, header.salt);
  const record = header.chunkBytes + TAG;
  const lastIndex = Math.max(0, Math.ceil(plainBytes / header.chunkBytes) - 1);
  const first = Math.floor(start / header.chunkBytes);
  const last = Math.floor(end / header.chunkBytes);
  async function* chunks(): AsyncGenerator<Buffer> {
    for (let i = first; i <= last; i++) {
      const from = STREAM_HEADER_BYTES + i * record;
      const plainLength = i === lastIndex ? plainBytes - i * header.chunkBytes : header.chunkBytes;
      const sealed = await readAll(await read(from, from + plainLength + TAG - 1));
      if (sealed.length !== plainLength + TAG) throw new StreamDecryptionError('truncated');
      const plain = openChunk(k, header, i, i === lastIndex, sealed);
      const lo = i === first ? start - i * header.chunkBytes : 0;
      const hi = i === last ? end - i * header.chunkBytes + 1 : plain.length;
      yield plain.subarray(lo, hi);
    }
  }
  return Readable.from(chunks(), { objectMode: false });
}
