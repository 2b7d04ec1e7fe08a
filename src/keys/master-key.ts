import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config.js';
import { KeyError } from './keys.errors.js';
import { Keyring } from './keyring.js';
import { LocalMasterKey, type MasterKeyProvider } from './master-key-provider.js';

/**
 * Builds the process's keyring from the configured master key provider:
 * `env` (CUSTODIA_MASTER_KEY), `file` (generated on first start with mode
 * 0600 — back it up apart from the data) or `vault` (Vault transit).
 */

export interface LoadedKeyring {
  keyring: Keyring;
  /** The key file, when this start created it. */
  createdFile?: string;
}

type KeyConfig = Pick<Config, 'masterKey' | 'masterKeyProvider' | 'masterKeyFile' | 'previousMasterKey' | 'vault' | 'keyCacheSize'>;

export async function loadKeyring(config: KeyConfig, options: { createFile?: boolean } = {}): Promise<LoadedKeyring> {
  let master: MasterKeyProvider;
  let createdFile: string | undefined;
  if (config.masterKeyProvider === 'env') {
    master = new LocalMasterKey(config.masterKey!, 'CUSTODIA_MASTER_KEY');
  } else if (config.masterKeyProvider === 'vault') {
    const { VaultTransitMasterKey } = await import('./vault-transit.js');
    const vault = config.vault!;
    master = new VaultTransitMasterKey({
      address: vault.address,
      token: vault.token,
      keyName: vault.keyName,
      mount: vault.mount,
      ...(vault.namespace ? { namespace: vault.namespace } : {}),
    });
  } else {
    const { key, created } = await readOrCreateKeyFile(config.masterKeyFile, options.createFile ?? true);
    master = new LocalMasterKey(key, `key file ${config.masterKeyFile}`);
    if (created) createdFile = config.masterKeyFile;
  }
  const previous = config.previousMasterKey ? [new LocalMasterKey(config.previousMasterKey, 'CUSTODIA_PREVIOUS_MASTER_KEY')] : [];
  return { keyring: new Keyring(master, previous, config.keyCacheSize), ...(createdFile ? { createdFile } : {}) };
}

async function readOrCreateKeyFile(file: string, create: boolean): Promise<{ key: Buffer; created: boolean }> {
  try {
    return { key: parseKeyFile(await readFile(file, 'utf8'), file), created: false };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (!create) {
    throw new KeyError(
      'master_key_mismatch',
      `the master key file ${file} is missing, but this database was encrypted with one: restore it from your key backup`,
    );
  }
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const key = randomBytes(32);
  try {
    // 'wx': of two processes starting at once, one creates and the other reads.
    await writeFile(file, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return { key: parseKeyFile(await readFile(file, 'utf8'), file), created: false };
  }
  return { key, created: true };
}

function parseKeyFile(text: string, file: string): Buffer {
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length !== 32) throw new Error(`master key file ${file} does not hold 32 bytes in base64`);
  return key;
}
