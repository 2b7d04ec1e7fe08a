import type { FastifyBaseLogger } from 'fastify';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import { purgePublicRequestLinks } from './public-requests.service.js';

/**
 * Deletes public request links 30 days after they were made, used or not: a
 * minute after start, then every hour. Idempotent, so every app node runs it.
 */
export function startRequestLinkPurger(deps: { db: Kysely<Database>; log: FastifyBaseLogger; everyMs?: number }): {
  stop(): Promise<void>;
} {
  const every = deps.everyMs ?? 60 * 60 * 1000;
  let running: Promise<void> | undefined;
  let stopped = false;
  const run = () => {
    if (running || stopped) return;
    running = purgePublicRequestLinks(deps.db)
      .then((links) => {
        if (links > 0) deps.log.info({ links }, 'purged public request links');
      })
      .catch((error: unknown) => {
        // Database errors may quote row values: log the code only.
        deps.log.error({ code: (error as { code?: string }).code ?? 'unknown' }, 'request link purge failed; will try again');
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
