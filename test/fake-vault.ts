import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A real HTTP server on loopback that speaks the part of Vault's Transit API
 * Custodia uses (encrypt/decrypt with associated data), for tests. Ciphertexts
 * look like Vault's: `vault:v1:<base64(nonce | ciphertext | tag)>`.
 */
export interface FakeVault {
  address: string;
  token: string;
  requests: number;
  /** The next request answers this status (e.g. 503) once. */
  failNext(status: number): void;
  close(): Promise<void>;
}

export async function startFakeVault(): Promise<FakeVault> {
  const token = `hvs.${randomBytes(12).toString('hex')}`;
  const keys = new Map<string, Buffer>();
  let failWith: number | null = null;
  const state = { requests: 0 };

  const server = http.createServer((req, res) => {
    state.requests++;
    const answer = (status: number, body: unknown) =>
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (failWith !== null) {
        const status = failWith;
        failWith = null;
        return answer(status, { errors: ['injected failure'] });
      }
      if (req.headers['x-vault-token'] !== token) return answer(403, { errors: ['permission denied'] });
      const match = /^\/v1\/transit\/(encrypt|decrypt)\/([\w.-]+)$/.exec(req.url ?? '');
      if (!match) return answer(404, { errors: ['no handler for route'] });
      const [, operation, name] = match as unknown as [string, 'encrypt' | 'decrypt', string];
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, string>;
      const aad = Buffer.from(body.associated_data ?? '', 'base64');
      if (operation === 'encrypt') {
        if (!keys.has(name)) keys.set(name, randomBytes(32));
        const nonce = randomBytes(12);
        const cipher = createCipheriv('aes-256-gcm', keys.get(name)!, nonce);
        cipher.setAAD(aad);
        const ct = Buffer.concat([cipher.update(Buffer.from(body.plaintext ?? '', 'base64')), cipher.final()]);
        return answer(200, { data: { ciphertext: `vault:v1:${Buffer.concat([nonce, ct, cipher.getAuthTag()]).toString('base64')}` } });
      }
      const key = keys.get(name);
      if (!key) return answer(400, { errors: ['encryption key not found'] });
      try {
        const raw = Buffer.from(String(body.ciphertext).replace(/^vault:v1:/, ''), 'base64');
        const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
        decipher.setAAD(aad);
        decipher.setAuthTag(raw.subarray(raw.length - 16));
        const pt = Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]);
        return answer(200, { data: { plaintext: pt.toString('base64') } });
      } catch {
        return answer(400, { errors: ['cipher: message authentication failed'] });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    address: `http://127.0.0.1:${port}`,
    token,
    get requests() {
      return state.requests;
    },
    failNext(status: number) {
      failWith = status;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
