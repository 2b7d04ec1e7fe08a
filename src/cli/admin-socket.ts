import { chmodSync, existsSync, unlinkSync } from 'node:fs';
import http from 'node:http';
import type { FastifyBaseLogger } from 'fastify';
import { adminSocketPath } from '../db/data-dir-lock.js';
import { DomainError } from '../shared/domain-error.js';
import { isCommandName, runOperatorCommand, type CommandArgs, type OperatorContext } from './commands.js';

/**
 * The local admin socket: while a server holds an embedded data dir, the CLI
 * sends its commands here and the server runs them on its own database.
 * A Unix socket with mode 0600 in a 0700 data dir: only the operator's own
 * account can reach it, and it never listens on the network.
 */

// A command's arguments, the largest a DPA text of up to 200,000 characters (custodia dpa publish): up to 4 bytes each in UTF-8, JSON-escaped.
const MAX_REQUEST_BYTES = 2 * 1024 * 1024;

export { adminSocketPath };

export interface CommandFailure {
  code: string;
  message: string;
}

export type CommandReply = { ok: true; result: unknown } | { ok: false; error: CommandFailure };

export async function commandReply(ctx: OperatorContext, name: string, args: CommandArgs, log: FastifyBaseLogger): Promise<CommandReply> {
  if (!isCommandName(name)) return { ok: false, error: { code: 'unknown_command', message: `unknown command ${name}` } };
  try {
    return { ok: true, result: await runOperatorCommand(ctx, name, args) };
  } catch (error) {
    if (error instanceof DomainError) return { ok: false, error: { code: error.code, message: error.message } };
    log.error({ err: error, command: name }, 'admin command failed');
    return { ok: false, error: { code: 'internal_error', message: 'the server could not run the command; see its log' } };
  }
}

export async function serveAdminSocket(
  socketPath: string,
  ctx: OperatorContext,
  log: FastifyBaseLogger,
): Promise<{ close(): Promise<void> }> {
  // We hold the data dir lock, so a socket file here is a crashed server's leftover.
  if (existsSync(socketPath)) unlinkSync(socketPath);
  const server = http.createServer((req, res) => {
    const answer = (status: number, body: CommandReply) => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    const match = /^\/commands\/([a-z.-]+)$/.exec(req.url ?? '');
    if (req.method !== 'POST' || !match?.[1]) {
      answer(404, { ok: false, error: { code: 'not_found', message: 'POST /commands/<name>' } });
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_REQUEST_BYTES) req.destroy();
      else chunks.push(chunk);
    });
    req.on('end', () => {
      let args: CommandArgs;
      try {
        args = JSON.parse(Buffer.concat(chunks).toString('utf8')) as CommandArgs;
      } catch {
        answer(400, { ok: false, error: { code: 'malformed_json', message: 'request body is not JSON' } });
        return;
      }
      void commandReply(ctx, match[1] as string, args, log).then((reply) => answer(reply.ok ? 200 : 422, reply));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve());
  });
  chmodSync(socketPath, 0o600);
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        if (existsSync(socketPath)) unlinkSync(socketPath);
      }),
  };
}

/** The CLI side: sends one command to the running server. */
export function callAdminSocket(socketPath: string, name: string, args: CommandArgs): Promise<CommandReply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { socketPath, method: 'POST', path: `/commands/${name}`, headers: { 'content-type': 'application/json' } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          try {
            resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as CommandReply);
          } catch {
            reject(new Error('the server answered the admin socket with something that is not JSON'));
          }
        });
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(args));
  });
}
