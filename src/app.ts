import type { FastifyInstance } from 'fastify';
import { serveAdminSocket } from './cli/admin-socket.js';
import type { Config } from './config.js';
import { migrateToLatest, type DatabaseHandle } from './db/database.js';
import { openConfiguredDatabase } from './db/open.js';
import { buildServer } from './server.js';
import { encryptLegacyUsers } from './identity/user-crypto.js';
import { openKeys } from './keys/keys.service.js';
import { startMailSender, type MailSender } from './mail/mail.service.js';
import { startRecycleBinPurger } from './crm/recycle-bin/purge-job.js';
import { startRequestReminders } from './privacy/requests/reminders.js';
import { startRetentionJob } from './privacy/retention/retention.service.js';
import { startTenantPurger } from './tenants/tenant-purge.js';
import { startSignupPurger } from './privacy/public/purge-job.js';
import { startRequestLinkPurger } from './privacy/public-requests/purge-job.js';
import { startAuditSealer, type AuditSealer } from './audit/sealer.js';
import { sealLegacyOrigins } from './audit/security-events.js';
import { sealLegacyPeople } from './crm/people/person-records.js';
import { listTenants } from './tenants/tenants.service.js';
import { startFileJobs } from './files/files.jobs.js';
import { scheduleOf, startBackupScheduler, startTombstoneShipper, type BackupScheduler } from './backup/backup-schedule.js';
import { openObjectStore } from './storage/open-store.js';

export interface RunningApp {
  app: FastifyInstance;
  database: DatabaseHandle;
  /** The address the HTTP server listens on. */
  url: string;
  /** The address of the listener that serves only /metrics, when CUSTODIA_METRICS_PORT is set. */
  metricsUrl: string | undefined;
  /** Stops accepting, finishes in-flight requests (bounded), closes the database. */
  stop(): Promise<void>;
}

export async function startApp(config: Config, options: { logger?: false } = {}) {
  scheduleOf(config.backups); // a bad cron expression stops the start before the database is opened
  const { database, lock } = await openConfiguredDatabase(config, 'server');
  let app: FastifyInstance | undefined;
  let adminSocket: { close(): Promise<void> } | undefined;
  let mailSender: MailSender | undefined;
  let purger: { stop(): Promise<void> } | undefined;
  let requestReminders: { stop(): Promise<void> } | undefined;
  let retentionJob: { stop(): Promise<void> } | undefined;
  let tenantPurger: { stop(): Promise<void> } | undefined;
  let signupPurger: { stop(): Promise<void> } | undefined;
  let requestLinkPurger: { stop(): Promise<void> } | undefined;
  let sealer: AuditSealer | undefined;
  let fileJobs: { stop(): Promise<void> } | undefined;
  let backupScheduler: BackupScheduler | undefined;
  let tombstoneShipper: { stop(): Promise<void> } | undefined;
  const cleanUp = async () => {
    await mailSender?.stop(); // before the database closes under a batch in flight
    await purger?.stop();
    await requestReminders?.stop();
    await retentionJob?.stop();
    await tenantPurger?.stop();
    await signupPurger?.stop();
    await requestLinkPurger?.stop();
    await fileJobs?.stop();
    await sealer?.stop(); // seals what the last requests recorded
    await backupScheduler?.stop(); // waits for a backup in flight
    await tombstoneShipper?.stop(); // ships the erasures of the last requests
    await adminSocket?.close();
    await database.close();
    lock?.release();
  };
  try {
    await migrateToLatest(database.db);
    const { keyring, createdFile } = await openKeys(database, config);
    app = await buildServer({
      config,
      database,
      keyring,
      ...(options.logger !== undefined ? { logger: options.logger } : {}),
    });
    const moved = await encryptLegacyUsers(database.db, keyring);
    if (moved > 0) app.log.info({ users: moved }, 'moved users written before encryption into ciphertext');
    const sealedOrigins = await sealLegacyOrigins(database.db, keyring);
    if (sealedOrigins > 0)
      app.log.info({ events: sealedOrigins }, 'sealed the IP addresses and user agents of security events written in clear');
    const sealedPeople = await sealLegacyPeople(database.db, keyring);
    if (sealedPeople > 0)
      app.log.info({ people: sealedPeople }, 'rewrote contacts and leads stored field by field as one sealed document each');
    if (createdFile) {
      app.log.warn({ file: createdFile }, 'generated a new master key file');
      if (config.logLevel !== 'silent') {
        process.stderr.write(
          `\nA new master key was generated in ${createdFile}.\n` +
            'Back it up separately from the data: without it, no personal data can ever be read again.\n',
        );
      }
    }
    const url = await app.listen({ host: config.host, port: config.port });
    const { metricsServer } = app;
    const metricsUrl =
      metricsServer && config.metrics.port !== undefined
        ? await metricsServer.listen({ host: config.metrics.host, port: config.metrics.port })
        : undefined;
    mailSender = startMailSender({ db: database.db, config, log: app.log, keyring });
    purger = startRecycleBinPurger({ db: database.db, keyring, log: app.log });
    requestReminders = startRequestReminders({
      db: database.db,
      keyring,
      log: app.log,
      publicUrl: config.publicUrl,
      ...config.requestReminders,
    });
    retentionJob = startRetentionJob({ db: database.db, keyring, log: app.log, ...config.retention });
    tenantPurger = startTenantPurger({ db: database.db, keyring, log: app.log });
    signupPurger = startSignupPurger({ db: database.db, keyring, log: app.log });
    requestLinkPurger = startRequestLinkPurger({ db: database.db, log: app.log });
    sealer = startAuditSealer({ db: database.db, keyring, log: app.log });
    fileJobs = startFileJobs({ db: database.db, keyring, log: app.log, config });
    const backupContext = {
      config,
      database,
      keyring,
      store: openObjectStore(config.backups.target, config.s3),
      filesStore: openObjectStore(config.files.store, config.s3),
    };
    backupScheduler = startBackupScheduler({ ctx: backupContext, log: app.log });
    tombstoneShipper = startTombstoneShipper({ ctx: backupContext, log: app.log });
    if (lock?.holder.socket) {
      adminSocket = await serveAdminSocket(lock.holder.socket, { config, database, keyring }, app.log);
    }
    const ready = app;
    const running: RunningApp = {
      app: ready,
      database,
      url,
      metricsUrl,
      async stop() {
        // close() waits for in-flight requests, but a keep-alive connection that
        // finishes its request afterwards would hold it open: close those as
        // soon as they fall idle.
        const sweep = setInterval(() => ready.server.closeIdleConnections(), 50);
        try {
          await ready.close();
        } finally {
          clearInterval(sweep);
        }
        await cleanUp();
      },
    };
    await announce(running, config);
    return running;
  } catch (error) {
    await app?.close();
    await cleanUp();
    throw error;
  }
}

/** Tells a new operator where the data is and, on an empty database, what to do first. */
async function announce({ app, database, url, metricsUrl }: RunningApp, config: Config): Promise<void> {
  app.log.info({ database: database.kind, location: database.location, url, ...(metricsUrl ? { metricsUrl } : {}) }, 'Custodia is ready');
  const port = new URL(url).port;
  const lines = [
    `Custodia is listening on ${url.replace('0.0.0.0', 'localhost')} (API docs: /api/docs)`,
    database.kind === 'pglite'
      ? `Data lives in ${database.location} (embedded PostgreSQL). Back this directory up.`
      : `Data lives in the PostgreSQL server at ${database.location}.`,
  ];
  if ((await listTenants(database.db)).length === 0) {
    lines.push(
      'No tenants yet. Create the first one with:',
      `  npx custodia tenant create --slug acme --name "Acme BV" --admin-email admin@acme.test --admin-password '<a long password>'`,
      `then sign in: curl -X POST localhost:${port}/api/v1/auth/login -H 'content-type: application/json' -d '{"tenant":"acme","email":"admin@acme.test","password":"…"}'`,
    );
  }
  if (config.logLevel !== 'silent') process.stderr.write(`\n${lines.join('\n')}\n\n`);
}
