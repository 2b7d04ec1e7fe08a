import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { assertObjectKey, ObjectNotFoundError, type ObjectStore, type StoredObject } from './object-store.js';

/**
 * An object store in a directory. Objects are written to a temporary name
 * and renamed into place after fsync, so a crash never leaves half an object
 * under its real key. Directories are 0700, files 0600.
 */
export class DirectoryStore implements ObjectStore {
  readonly description: string;

  constructor(readonly root: string) {
    this.root = path.resolve(root);
    this.description = `dir:${this.root}`;
  }

  private pathOf(key: string): string {
    assertObjectKey(key);
    return path.join(this.root, ...key.split('/'));
  }

  async put(key: string, body: Readable): Promise<{ size: number }> {
    const target = this.pathOf(key);
    await mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
    const temporary = `${target}.${randomBytes(6).toString('hex')}.partial`;
    let size = 0;
    body.on('data', (chunk: Buffer) => {
      size += chunk.length;
    });
    try {
      const out = createWriteStream(temporary, { mode: 0o600, flush: true });
      await pipeline(body, out);
      await rename(temporary, target);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
    return { size };
  }

  async get(key: string, range?: { start: number; end: number }): Promise<Readable> {
    const file = this.pathOf(key);
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile()) throw new ObjectNotFoundError(key);
    return createReadStream(file, range ? { start: range.start, end: range.end } : {});
  }

  async head(key: string): Promise<StoredObject | undefined> {
    const info = await stat(this.pathOf(key)).catch(() => undefined);
    return info?.isFile() ? { key, size: info.size, modifiedAt: info.mtime } : undefined;
  }

  async *list(prefix: string): AsyncIterable<StoredObject> {
    const found: StoredObject[] = [];
    const walk = async (dir: string, relative: string): Promise<void> => {
      const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
      for (const entry of entries) {
        const key = relative ? `${relative}/${entry.name}` : entry.name;
        if (entry.isDirectory()) {
          // Only descend where the prefix can still match.
          if (prefix.startsWith(`${key}/`) || key.startsWith(prefix) || `${key}/`.startsWith(prefix))
            await walk(path.join(dir, entry.name), key);
        } else if (entry.isFile() && !entry.name.endsWith('.partial') && key.startsWith(prefix)) {
          const info = await stat(path.join(dir, entry.name)).catch(() => undefined);
          if (info) found.push({ key, size: info.size, modifiedAt: info.mtime });
        }
      }
    };
    await walk(this.root, '');
    found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    yield* found;
  }

  async delete(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }
}
