import type { Config } from '../config.js';
import { openPglite, openPostgres, type DatabaseHandle } from './database.js';
import { acquireDataDirLock, adminSocketPath, type DataDirLock } from './data-dir-lock.js';

/**
 * Opens the database the configuration names. For the embedded database the
 * data dir lock is taken first, so a second process can never open it.
 */
export async function openConfiguredDatabase(
  config: Config,
  role: 'server' | 'cli',
): Promise<{ database: DatabaseHandle; lock?: DataDirLock }> {
  if (config.databaseUrl) return { database: await openPostgres(config.databaseUrl, config.databasePoolMax) };
  const lock = acquireDataDirLock(config.dataDir, {
    role,
    ...(role === 'server' ? { socket: adminSocketPath(config.dataDir) } : {}),
  });
  try {
    return { database: await openPglite({ dataDir: config.dataDir }), lock };
  } catch (error) {
    lock.release();
    throw error;
  }
}
