import type { FastifyBaseLogger } from 'fastify';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { Keyring } from '../../keys/keyring.js';
import { purgeSignups } from './subscriptions.service.js';

/**
 * Deletes unconfirmed sign-ups after 30 days, used ones once their link has
 * expired, and stale throttle counts: a minute after start, then every hour.
 * Idempotent, so every app node runs it.
 */
export function startSignupPurger(deps: { db: Kysely<Database>; keyring: Keyring; log: FastifyBaseLogger; everyMs?: number }): {
  stop(): Promise<void>;
} {
  const every = deps.everyMs ?? 60 * 60 * 1000;
  let running: Promise<void> | undefined;
  let stopped = false;
  const run = () => {
    if (running || stopped) return;
    running = purgeSignups(deps.db, deps.keyring)
      .then((purged) => {
        if (purged.unconfirmed + purged.used > 0) deps.log.info(purged, 'purged public sign-ups');
      })
      .catch((error: unknown) => {
        // Database errors may quote row values: log the code only.
        deps.log.error({ code: (error as { code?: string }).code ?? 'unknown' }, 'sign-up purge failed; will try again');
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
