import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { Keyring } from '../../keys/keyring.js';
import { startPeriodicJob, type JobLog, type PeriodicJob } from '../../shared/periodic-job.js';
import { purgeSignups } from './subscriptions.service.js';

/**
 * Deletes unconfirmed sign-ups after 30 days, used ones once their link has
 * expired, and stale throttle counts: a minute after start, then every hour.
 * Idempotent, so every app node runs it.
 */
export function startSignupPurger(deps: { db: Kysely<Database>; keyring: Keyring; log: JobLog; everyMs?: number }): PeriodicJob {
  return startPeriodicJob({
    name: 'sign-up purge',
    log: deps.log,
    everyMs: deps.everyMs ?? 60 * 60 * 1000,
    work: async () => {
      const purged = await purgeSignups(deps.db, deps.keyring);
      if (purged.unconfirmed + purged.used > 0) deps.log.info(purged, 'purged public sign-ups');
    },
  });
}
