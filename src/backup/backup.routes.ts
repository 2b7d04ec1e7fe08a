import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type, type TSchema } from 'typebox';
import type { Config } from '../config.js';
import type { DatabaseHandle } from '../db/database.js';
import { actorOf, type SignInHooks } from '../http/request-context.js';
import { DateTime, ProblemSchema } from '../http/schemas.js';
import type { Keyring } from '../keys/keyring.js';
import { openObjectStore } from '../storage/open-store.js';
import { backupOverview, startTenantBackup } from './backup-overview.js';
import { backupOperations, newLeaseHolder, type BackupOperations } from './backup-runs.service.js';
import type { BackupContext } from './backup.service.js';

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const Problems = { 401: ProblemSchema, 403: ProblemSchema, 503: ProblemSchema };

const ItemSchema = Type.Object({
  id: Type.String({ description: 'The backup’s id in the target, or, while it runs, the run’s id (POST /backups answers it)' }),
  scope: Type.Enum(['instance', 'tenant'] as const, {
    description: 'instance: a backup of the whole instance (it holds this tenant too); tenant: of this tenant only',
  }),
  createdAt: DateTime({ description: 'When the backup was taken (for a running one: when it started)' }),
  bytes: Nullable(Type.Integer({ description: 'Bytes stored, encrypted and compressed; null while running' })),
  rows: Nullable(Type.Integer({ description: 'Rows it holds; null while running' })),
  verifiedAt: Nullable(DateTime({ description: 'When a full verification last passed (the nightly run verifies its backup)' })),
  status: Type.Enum(['running', 'ok'] as const, { description: 'running: being made; ok: complete in the target' }),
});

const OverviewSchema = Type.Object({
  items: Type.Array(ItemSchema, { description: 'Running backups first, then the stored ones, newest first' }),
  lastFailure: Nullable(
    Type.Object(
      {
        at: DateTime(),
        code: Type.String({
          description: 'e.g. backup_failed, backup_missed, backup_verify_failed, key_backup_failed, backup_interrupted',
        }),
        message: Type.String({ description: 'What went wrong, in Custodia’s words (never data)' }),
      },
      { description: 'The newest failed or missed backup of this tenant or of the instance' },
    ),
  ),
  schedule: Type.Object({
    enabled: Type.Boolean({ description: 'false when CUSTODIA_BACKUP_SCHEDULE and CUSTODIA_BACKUP_NIGHTLY are both off' }),
    expressions: Type.Array(Type.String(), { description: 'Cron expressions of the daytime backups (server time)' }),
    nightly: Nullable(
      Type.String({ description: 'Cron expression of the nightly backup, which is also verified and backs up the key store' }),
    ),
    nextAt: Nullable(DateTime({ description: 'When the next scheduled backup is due' })),
  }),
  target: Type.Object({ kind: Type.Enum(['dir', 's3'] as const, { description: 'A directory or S3-compatible object storage' }) }),
});

const tags = ['backups'];

/** What the routes need besides the request: the backup context and how a backup is made (stand-ins in tests). */
export interface BackupRouteOptions {
  ops?: BackupOperations;
  now?: () => Date;
}

/**
 * Backups in the web app, for a tenant's administrators: see them, start one
 * of the tenant. Restores stay in the CLI (`custodia backup restore`).
 */
export function registerBackupRoutes(
  server: FastifyInstance,
  database: DatabaseHandle,
  keyring: Keyring,
  signIn: SignInHooks,
  config: Config,
  options: BackupRouteOptions = {},
): void {
  const ctx: BackupContext = {
    config,
    database,
    keyring,
    store: openObjectStore(config.backups.target, config.s3),
    filesStore: openObjectStore(config.files.store, config.s3),
    ...(options.now ? { now: options.now } : {}),
  };
  const ops = options.ops ?? backupOperations;
  const holder = newLeaseHolder();
  // Backups started here run after the answer; the server's close waits for them.
  const inFlight = new Set<Promise<void>>();
  const background = (work: () => Promise<void>) => {
    const run = work()
      .catch((error: unknown) => server.log.error({ code: (error as { code?: string }).code ?? 'unknown' }, 'tenant backup failed'))
      .finally(() => inFlight.delete(run));
    inFlight.add(run);
  };
  server.addHook('onClose', async () => {
    await Promise.allSettled([...inFlight]);
  });

  void server.register(async (scope) => {
    scope.addHook('onRequest', signIn.admin);
    const app = scope.withTypeProvider<TypeBoxTypeProvider>();
    const deps = () => ({ ctx, ops, log: app.log });

    app.get(
      '/api/v1/backups',
      {
        schema: {
          tags,
          summary: 'Backups of this tenant and of the instance (admins)',
          description:
            'The backups an administrator of this tenant may see: the tenant’s own and the instance’s (which hold the tenant too), never ' +
            'another tenant’s; the last failure, the schedule and the kind of target (never its address or credentials). ' +
            'Restores are made with `custodia backup restore <id> [--tenant <slug>]` on the server.',
          response: { 200: OverviewSchema, ...Problems },
        },
      },
      async (request) => backupOverview(deps(), actorOf(request)),
    );

    app.post(
      '/api/v1/backups',
      {
        schema: {
          tags,
          summary: 'Start a backup of this tenant (admins)',
          description:
            'Answers 202 at once with the run; the backup goes on in the server and appears in GET /backups when done. One at a time ' +
            'per tenant (409 backup_running), at most 6 an hour (429 backup_rate_limited, with Retry-After).',
          response: {
            202: Type.Object({ id: Type.String({ description: 'The run’s id, listed while it runs' }), status: Type.Literal('running') }),
            409: ProblemSchema,
            429: ProblemSchema,
            ...Problems,
          },
        },
      },
      async (request, reply) => reply.status(202).send(await startTenantBackup({ ...deps(), holder }, actorOf(request), background)),
    );
  });
}
