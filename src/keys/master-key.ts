import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config.js';

/**
 * The master key until the key-hierarchy work gives it providers and a key
 * check value: CUSTODIA_MASTER_KEY when set, otherwise a key file generated
 * on first start in the data dir (mode 0600). Whoever has the database but
 * not this key cannot read what it protects, so it must be backed up
 * separately from the data.
 */

export interface MasterKey {
  key: Buffer;
  source: 'env' | 'file';
  /** The key file, when the key came from one. */
  file?: string;
  /** True when the key file was created by this call. */
  created: boolean;
}

export function masterKeyFile(dataDir: string): string {
  return path.join(dataDir, 'master.key');
}

export async function loadMasterKey(config: Pick<Config, 'masterKey' | 'dataDir'>): Promise<MasterKey> {
  if (config.masterKey) return { key: config.masterKey, source: 'env', created: false };
  const file = masterKeyFile(config.dataDir);
  try {
    return { key: parseKeyFile(await readFile(file, 'utf8'), file), source: 'file', file, created: false };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  const key = randomBytes(32);
  try {
    // 'wx': of two processes starting at once, one creates and the other reads.
    await writeFile(file, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return { key: parseKeyFile(await readFile(file, 'utf8'), file), source: 'file', file, created: false };
  }
  return { key, source: 'file', file, created: true };
}

function parseKeyFile(text: string, file: string): Buffer {
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length !== 32) throw new Error(`master key file ${file} does not hold 32 bytes in base64`);
  return key;
}
