import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalS3, type LocalS3 } from '../../test/s3.js';
import { DirectoryStore } from './dir-store.js';
import { ObjectNotFoundError, readObject, type ObjectStore } from './object-store.js';
import { S3Store } from './s3-store.js';

// One suite, both stores: what files and backups rely on must hold on each.
let s3: LocalS3;
let dir: string;
const stores: Record<string, () => ObjectStore> = {};

beforeAll(async () => {
  s3 = await startLocalS3();
  dir = await mkdtemp(path.join(tmpdir(), 'custodia-store-'));
  stores.directory = () => new DirectoryStore(dir);
  stores.s3 = () => new S3Store(s3.settings, s3.bucket, 'some/prefix');
});

afterAll(async () => {
  await s3?.close();
  await rm(dir, { recursive: true, force: true });
});

async function* slowly(parts: Buffer[]): AsyncGenerator<Buffer> {
  for (const part of parts) yield part;
}

describe.each(['directory', 's3'])('%s object store', (kind) => {
  it('puts a streamed object (multipart on S3), reads it whole and by range, lists, heads and deletes it', async () => {
    const store = stores[kind]!();
    // 20 MiB in 1 MiB pieces: three multipart parts on S3.
    const parts = Array.from({ length: 20 }, () => randomBytes(1024 * 1024));
    const whole = Buffer.concat(parts);
    const { size } = await store.put('a/b/object.bin', Readable.from(slowly(parts)));
    expect(size).toBe(whole.length);
    expect((await readObject(store, 'a/b/object.bin')).equals(whole)).toBe(true);

    const chunks: Buffer[] = [];
    for await (const chunk of await store.get('a/b/object.bin', { start: 5, end: 1_000_004 })) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).equals(whole.subarray(5, 1_000_005))).toBe(true);

    await store.put('a/c.bin', Readable.from([Buffer.from('x')]));
    await store.put('other.bin', Readable.from([Buffer.from('y')]));
    const listed = [];
    for await (const item of store.list('a/')) listed.push([item.key, item.size]);
    expect(listed).toEqual([
      ['a/b/object.bin', whole.length],
      ['a/c.bin', 1],
    ]);
    expect((await store.head('a/c.bin'))?.size).toBe(1);
    expect(await store.head('a/missing.bin')).toBeUndefined();

    await store.delete('a/c.bin');
    await store.delete('a/c.bin');
    expect(await store.head('a/c.bin')).toBeUndefined();
    await expect(store.get('a/c.bin')).rejects.toBeInstanceOf(ObjectNotFoundError);
  });

  it('refuses keys that could leave the store', async () => {
    const store = stores[kind]!();
    for (const key of ['../x', 'a/../../x', '/abs', 'a//b', 'a/b c', '']) {
      await expect(store.put(key, Readable.from([Buffer.from('x')]))).rejects.toThrow(/invalid object key/);
    }
  });

  it('leaves nothing under the key when the body fails halfway', async () => {
    const store = stores[kind]!();
    async function* failing(): AsyncGenerator<Buffer> {
      yield randomBytes(1024);
      throw new Error('the source broke');
    }
    await expect(store.put('broken/object.bin', Readable.from(failing()))).rejects.toThrow();
    expect(await store.head('broken/object.bin')).toBeUndefined();
    if (kind === 'directory') {
      const left = await readdir(path.join(dir, 'broken')).catch(() => []);
      expect(left).toEqual([]);
    }
  });
});
