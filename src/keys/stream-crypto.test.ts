import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { decryptRange, decryptStream, encryptedSize, encryptStream, StreamDecryptionError, STREAM_HEADER_BYTES } from './stream-crypto.js';

const key = randomBytes(32);

async function collect(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

async function encrypt(plain: Buffer, context = 'file|t|f|1', chunk = 1024, pieces = 7): Promise<Buffer> {
  const slices = [];
  for (let i = 0; i < plain.length; i += Math.ceil(plain.length / pieces) || 1)
    slices.push(plain.subarray(i, i + Math.ceil(plain.length / pieces)));
  return collect(Readable.from(slices).pipe(encryptStream(key, context, chunk)));
}

async function decrypt(sealed: Buffer, context = 'file|t|f|1', pieces = 5): Promise<Buffer> {
  const step = Math.max(1, Math.ceil(sealed.length / pieces));
  const slices = [];
  for (let i = 0; i < sealed.length; i += step) slices.push(sealed.subarray(i, i + step));
  return collect(Readable.from(slices).pipe(decryptStream(key, context)));
}

describe('chunked stream encryption', () => {
  it('round-trips streams of every awkward length, with the size it promises', async () => {
    for (const length of [0, 1, 1023, 1024, 1025, 4096, 10_000]) {
      const plain = randomBytes(length);
      const sealed = await encrypt(plain);
      expect(sealed.length).toBe(encryptedSize(length, 1024));
      expect((await decrypt(sealed)).equals(plain)).toBe(true);
    }
  });

  it('shows no plaintext and differs every time the same bytes are encrypted', async () => {
    const plain = Buffer.from('MARKER-of-a-person '.repeat(200));
    const a = await encrypt(plain);
    const b = await encrypt(plain);
    expect(a.includes(Buffer.from('MARKER'))).toBe(false);
    expect(a.equals(b)).toBe(false);
  });

  it('refuses a flipped byte, a swapped chunk, a truncated stream, a cut at a chunk boundary, another context and another key', async () => {
    const plain = randomBytes(5000);
    const sealed = await encrypt(plain);
    const record = 1024 + 16;

    const flipped = Buffer.from(sealed);
    flipped[STREAM_HEADER_BYTES + 100]! ^= 1;
    await expect(decrypt(flipped)).rejects.toBeInstanceOf(StreamDecryptionError);

    const swapped = Buffer.from(sealed);
    sealed.copy(swapped, STREAM_HEADER_BYTES, STREAM_HEADER_BYTES + record, STREAM_HEADER_BYTES + 2 * record);
    sealed.copy(swapped, STREAM_HEADER_BYTES + record, STREAM_HEADER_BYTES, STREAM_HEADER_BYTES + record);
    await expect(decrypt(swapped)).rejects.toBeInstanceOf(StreamDecryptionError);

    await expect(decrypt(sealed.subarray(0, sealed.length - 10))).rejects.toBeInstanceOf(StreamDecryptionError);
    await expect(decrypt(sealed.subarray(0, STREAM_HEADER_BYTES + 2 * record))).rejects.toBeInstanceOf(StreamDecryptionError);
    await expect(decrypt(sealed.subarray(0, 10))).rejects.toBeInstanceOf(StreamDecryptionError);
    await expect(decrypt(sealed, 'file|t|f|2')).rejects.toBeInstanceOf(StreamDecryptionError);
    await expect(collect(Readable.from([sealed]).pipe(decryptStream(randomBytes(32), 'file|t|f|1')))).rejects.toBeInstanceOf(
      StreamDecryptionError,
    );
  });

  it('decrypts any byte range by reading only its chunks', async () => {
    const plain = randomBytes(5000);
    const sealed = await encrypt(plain);
    const reads: Array<[number, number]> = [];
    const read = async (start: number, end: number) => {
      reads.push([start, end]);
      return Readable.from([sealed.subarray(start, end + 1)]);
    };
    for (const [start, end] of [
      [0, 0],
      [0, 4999],
      [1023, 1024],
      [4096, 4999],
      [2000, 2100],
    ] as const) {
      reads.length = 0;
      const got = await collect(await decryptRange(key, 'file|t|f|1', read, plain.length, start, end));
      expect(got.equals(plain.subarray(start, end + 1))).toBe(true);
      const chunksRead = reads.length - 1;
      expect(chunksRead).toBe(Math.floor(end / 1024) - Math.floor(start / 1024) + 1);
    }
    // The last chunk is authenticated as the last: a stream cut short is caught by a range read too.
    const cut = sealed.subarray(0, sealed.length - 20);
    const readCut = async (start: number, end: number) => Readable.from([cut.subarray(start, end + 1)]);
    await expect(collect(await decryptRange(key, 'file|t|f|1', readCut, plain.length, 4096, 4999))).rejects.toBeInstanceOf(
      StreamDecryptionError,
    );
  });
});
