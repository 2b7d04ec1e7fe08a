import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { Keyring } from '../../keys/keyring.js';
import { startPeriodicJob, type JobLog, type PeriodicJob } from '../../shared/periodic-job.js';
import { purgeExpired } from './recycle-bin.service.js';

/**
 * Empties the recycle bin of what has been there longer than 30 days: a
 * minute after start and then every few hours. Purging is idempotent and
 * re-checks each row in its own transaction, so several app nodes may run it.
 */
export function startRecycleBinPurger(deps: { db: Kysely<Database>; keyring: Keyring; log: JobLog; everyMs?: number }): PeriodicJob {
  return startPeriodicJob({
    name: 'recycle bin purge',
    log: deps.log,
    everyMs: deps.everyMs ?? 6 * 60 * 60 * 1000,
    work: async () => {
      const purged = await purgeExpired(deps.db, deps.keyring);
      if (purged > 0) deps.log.info({ purged }, 'purged records deleted more than 30 days ago');
    },
  });
}
