import type { Kysely } from 'kysely';
import type { FastifyBaseLogger } from 'fastify';
import type { Database } from '../../db/schema.js';
import type { Keyring } from '../../keys/keyring.js';
import { purgeExpired } from './recycle-bin.service.js';

/**
 * Empties the recycle bin of what has been there longer than 30 days: a
 * minute after start and then every few hours. Purging is idempotent and
 * re-checks each row in its own transaction, so several app nodes may run it.
 */
export function startRecycleBinPurger(deps: { db: Kysely<Database>; keyring: Keyring; log: FastifyBaseLogger; everyMs?: number }): {
  stop(): Promise<void>;
} {
  const every = deps.everyMs ?? 6 * 60 * 60 * 1000;
  let running: Promise<void> | undefined;
  let stopped = false;
  const run = () => {
    if (running || stopped) return;
    running = purgeExpired(deps.db, deps.keyring)
      .then((purged) => {
        if (purged > 0) deps.log.info({ purged }, 'purged records deleted more than 30 days ago');
      })
      .catch((error: unknown) => {
        // Database errors may quote row values: log the code only.
        deps.log.error({ code: (error as { code?: string }).code ?? 'unknown' }, 'recycle bin purge failed; will try again');
      })
      .finally(() => {
        running = undefined;
      });
  };
  const first = setTimeout(run, 60_000);
  const timer = setInterval(run, every);
  first.unref();
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearTimeout(first);
      clearInterval(timer);
      await running;
    },
  };
}
