import type { MasterKeyProvider } from './master-key-provider.js';

/**
 * The master key in HashiCorp Vault's Transit engine: the key never leaves
 * Vault; Custodia sends a key to wrap (encrypt) or a wrapped key to unwrap
 * (decrypt), with the context as associated data (aes256-gcm96 keys).
 * Plain fetch, no SDK: nothing to install, and a fake in tests speaks the
 * same HTTP API.
 */

export class MasterKeyUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MasterKeyUnavailableError';
  }
}

export interface VaultTransitOptions {
  address: string;
  token: string;
  keyName: string;
  mount?: string;
  namespace?: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export class VaultTransitMasterKey implements MasterKeyProvider {
  readonly keyId: string;
  readonly description: string;
  private readonly base: string;

  constructor(private readonly options: VaultTransitOptions) {
    const mount = options.mount ?? 'transit';
    this.keyId = `vault:${mount}/${options.keyName}`;
    this.description = `Vault transit key ${mount}/${options.keyName} at ${new URL(options.address).host}`;
    this.base = `${options.address.replace(/\/+$/, '')}/v1/${mount}`;
  }

  async wrap(key: Buffer, context: string): Promise<Buffer> {
    const data = await this.call('encrypt', { plaintext: key.toString('base64'), associated_data: b64(context) });
    if (typeof data.ciphertext !== 'string') throw new MasterKeyUnavailableError('Vault answered encrypt without a ciphertext');
    return Buffer.from(data.ciphertext, 'utf8');
  }

  async unwrap(wrapped: Buffer, context: string): Promise<Buffer> {
    const data = await this.call('decrypt', { ciphertext: wrapped.toString('utf8'), associated_data: b64(context) });
    const key = typeof data.plaintext === 'string' ? Buffer.from(data.plaintext, 'base64') : Buffer.alloc(0);
    if (key.length !== 32) throw new MasterKeyUnavailableError('Vault answered decrypt without a 32-byte key');
    return key;
  }

  private async call(operation: 'encrypt' | 'decrypt', body: Record<string, string>): Promise<Record<string, unknown>> {
    const doFetch = this.options.fetch ?? fetch;
    const url = `${this.base}/${operation}/${encodeURIComponent(this.options.keyName)}`;
    const headers: Record<string, string> = { 'content-type': 'application/json', 'x-vault-token': this.options.token };
    if (this.options.namespace) headers['x-vault-namespace'] = this.options.namespace;
    let lastProblem = '';
    // One retry for what may pass (5xx, network); 4xx is an answer, not an accident.
    for (let attempt = 0; attempt < 2; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 200));
      let response: Response;
      try {
        response = await doFetch(url, {
          method: 'POST',
          headers,
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
        });
      } catch (error) {
        lastProblem = `Vault at ${new URL(this.options.address).host} does not answer (${(error as Error).name})`;
        continue;
      }
      const json = (await response.json().catch(() => ({}))) as { data?: Record<string, unknown>; errors?: unknown };
      if (response.ok && json.data) return json.data;
      const errors = Array.isArray(json.errors) ? json.errors.filter((e) => typeof e === 'string').join('; ') : '';
      lastProblem = `Vault ${operation} failed with status ${response.status}${errors ? `: ${errors}` : ''}`;
      if (response.status < 500) break;
    }
    throw new MasterKeyUnavailableError(lastProblem);
  }
}

function b64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}
