import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import { startPeriodicJob, type JobLog, type PeriodicJob } from '../../shared/periodic-job.js';
import { purgePublicRequestLinks } from './public-requests.service.js';

/**
 * Deletes public request links 30 days after they were made, used or not: a
 * minute after start, then every hour. Idempotent, so every app node runs it.
 */
export function startRequestLinkPurger(deps: { db: Kysely<Database>; log: JobLog; everyMs?: number }): PeriodicJob {
  return startPeriodicJob({
    name: 'request link purge',
    log: deps.log,
    everyMs: deps.everyMs ?? 60 * 60 * 1000,
    work: async () => {
      const links = await purgePublicRequestLinks(deps.db);
      if (links > 0) deps.log.info({ links }, 'purged public request links');
    },
  });
}
