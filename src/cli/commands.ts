import type { Config } from '../config.js';
import type { Keyring } from '../keys/keyring.js';
import { migrateToLatest, type DatabaseHandle } from '../db/database.js';
import type { MailStatus, TenantStatus } from '../db/schema.js';
import * as mail from '../mail/mail.service.js';
import { DomainError } from '../shared/domain-error.js';
import { createTenant } from '../provisioning/provision.js';
import * as tenants from '../tenants/tenants.service.js';
import { purgeTenant } from '../tenants/tenant-purge.js';
import { reindexUsers } from '../identity/user-crypto.js';
import { keyStatus, rotateMasterKey, rotateTenantKey } from '../key-lifecycle/rotation.js';
import { currentCheckpoint, parseCheckpoint, verifyTenant } from '../audit/verify.js';
import { listDpa, publishDpa } from '../privacy/dpa/dpa.service.js';
import { runRetentionForSlug } from '../privacy/retention/retention.service.js';
import * as backups from '../backup/backup.service.js';
import { describeSchedule } from '../backup/backup-schedule.js';

/**
 * Operator commands, callable in two ways with the same result: by the CLI
 * on a database it opened itself, or by a running server on behalf of the
 * CLI over the admin socket. They call services only, never SQL.
 */

export interface OperatorContext {
  config: Config;
  database: DatabaseHandle;
  keyring: Keyring;
  /** Progress of long runs (backups), when the CLI runs the command itself on a terminal. */
  onProgress?: backups.OnProgress;
}

export type CommandArgs = Record<string, string | boolean | undefined>;

export class UsageError extends DomainError<'usage'> {
  constructor(message: string) {
    super('usage', 'invalid', message);
    this.name = 'UsageError';
  }
}

function required(args: CommandArgs, name: string, flag: string): string {
  const value = args[name];
  if (typeof value !== 'string' || value === '') throw new UsageError(`missing --${flag}`);
  return value;
}

function limit(args: CommandArgs, fallback: number, max: number): number {
  const value = args.limit;
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !/^\d+$/.test(value) || Number(value) < 1 || Number(value) > max) {
    throw new UsageError(`--limit must be a whole number from 1 to ${max}`);
  }
  return Number(value);
}

const STATUSES: TenantStatus[] = ['active', 'suspended', 'terminated'];
const MAIL_STATUSES: MailStatus[] = ['pending', 'sent', 'failed'];

/** The backup context of a command: the configured target, or the one `--target` names. */
function backupContextOf(ctx: OperatorContext, args: CommandArgs) {
  return backups.backupContext(ctx, typeof args.target === 'string' ? { target: backups.parseTarget(args.target) } : {});
}

export const operatorCommands = {
  async migrate({ database }: OperatorContext) {
    const results = await migrateToLatest(database.db);
    return { applied: results.filter((r) => r.status === 'Success').map((r) => r.migrationName) };
  },

  async 'tenant.create'({ config, database, keyring }: OperatorContext, args: CommandArgs) {
    const { tenant, admin } = await createTenant(
      database.db,
      { ...config, keyring },
      {
        slug: required(args, 'slug', 'slug'),
        name: required(args, 'name', 'name'),
        adminEmail: required(args, 'adminEmail', 'admin-email'),
        adminPassword: required(args, 'adminPassword', 'admin-password'),
        ...(typeof args.adminName === 'string' ? { adminName: args.adminName } : {}),
      },
    );
    return { tenantId: tenant.id, slug: tenant.slug, adminUserId: admin.id };
  },

  async 'tenant.list'({ database }: OperatorContext, args: CommandArgs) {
    const status = args.status;
    if (status !== undefined && !STATUSES.includes(status as TenantStatus)) {
      throw new UsageError(`--status must be one of ${STATUSES.join(', ')}`);
    }
    return tenants.listTenants(database.db, status ? { status: status as TenantStatus } : {});
  },

  async 'tenant.suspend'({ database, keyring }: OperatorContext, args: CommandArgs) {
    return tenants.suspendTenant(database.db, keyring, required(args, 'slug', 'slug'));
  },

  async 'tenant.reactivate'({ database, keyring }: OperatorContext, args: CommandArgs) {
    return tenants.reactivateTenant(database.db, keyring, required(args, 'slug', 'slug'));
  },

  async 'tenant.terminate'({ config, database, keyring }: OperatorContext, args: CommandArgs) {
    return tenants.terminateTenant(database.db, { ...config, keyring }, required(args, 'slug', 'slug'));
  },

  async 'tenant.purge'({ database, keyring }: OperatorContext, args: CommandArgs) {
    return purgeTenant(database.db, keyring, required(args, 'slug', 'slug'), { now: args.now === true, dryRun: args.dryRun === true });
  },

  // Operator-wide on purpose: without SMTP_URL, this is how reset links reach people.
  async 'mail.outbox'({ database, keyring }: OperatorContext, args: CommandArgs) {
    const status = args.status;
    if (status !== undefined && !MAIL_STATUSES.includes(status as MailStatus)) {
      throw new UsageError(`--status must be one of ${MAIL_STATUSES.join(', ')}`);
    }
    return mail.listOutbox(database.db, {
      keyring,
      limit: limit(args, 50, mail.OUTBOX_LIST_MAX),
      ...(status ? { status: status as MailStatus } : {}),
    });
  },

  async 'keys.status'({ database, keyring }: OperatorContext) {
    return keyStatus(database.db, keyring);
  },

  async 'keys.rotate-master'({ database, keyring }: OperatorContext) {
    return rotateMasterKey(database.db, keyring);
  },

  async 'keys.rotate-tenant'({ database, keyring }: OperatorContext, args: CommandArgs) {
    const tenant = await tenants.getTenant(database.db, required(args, 'tenant', 'tenant'));
    return rotateTenantKey(database.db, keyring, tenant.id, [reindexUsers]);
  },

  /** Seals what is pending, then re-computes the tenant's whole trail (and checks it against a saved head). */
  async 'audit.verify'({ database, keyring }: OperatorContext, args: CommandArgs) {
    const tenant = await tenants.getTenant(database.db, required(args, 'tenant', 'tenant'));
    const checkpoint = typeof args.checkpoint === 'string' ? parseCheckpoint(args.checkpoint) : undefined;
    return { slug: tenant.slug, ...(await verifyTenant(database.db, keyring, tenant.id, checkpoint ? { checkpoint } : {})) };
  },

  async 'audit.checkpoint'({ database, keyring }: OperatorContext, args: CommandArgs) {
    const tenant = await tenants.getTenant(database.db, required(args, 'tenant', 'tenant'));
    return currentCheckpoint(database.db, keyring, tenant.id);
  },

  /** Publishes a DPA text (the CLI reads --file and --sub-processors; the text arrives here). */
  async 'dpa.publish'({ database }: OperatorContext, args: CommandArgs) {
    const language = args.language;
    if (language !== undefined && language !== 'en' && language !== 'nl') throw new UsageError('--language must be en or nl');
    return publishDpa(database.db, {
      version: required(args, 'version', 'version'),
      language,
      text: required(args, 'text', 'file'),
      ...(typeof args.subProcessors === 'string' ? { subProcessors: args.subProcessors } : {}),
    });
  },

  async 'dpa.list'({ database }: OperatorContext) {
    return listDpa(database.db);
  },

  /** Applies the tenant's retention rules now (or reports what that would do), recorded as the system. */
  async 'retention.run'({ database, keyring }: OperatorContext, args: CommandArgs) {
    return runRetentionForSlug(database.db, keyring, required(args, 'tenant', 'tenant'), { dryRun: args.dryRun === true });
  },

  async 'backup.create'(ctx: OperatorContext, args: CommandArgs) {
    return backups.createBackup(backupContextOf(ctx, args), {
      ...(typeof args.tenant === 'string' ? { tenantSlug: args.tenant } : {}),
      ...(ctx.onProgress ? { onProgress: ctx.onProgress } : {}),
    });
  },

  async 'backup.list'(ctx: OperatorContext, args: CommandArgs) {
    return backups.listBackups(backupContextOf(ctx, args));
  },

  async 'backup.verify'(ctx: OperatorContext, args: CommandArgs) {
    return backups.verifyBackup(backupContextOf(ctx, args), required(args, 'id', '<id>'), {
      full: args.full === true,
    });
  },

  async 'backup.restore'(ctx: OperatorContext, args: CommandArgs) {
    return backups.restoreBackup(backupContextOf(ctx, args), required(args, 'id', '<id>'), {
      ...(typeof args.tenant === 'string' ? { tenantSlug: args.tenant } : {}),
      ...(ctx.onProgress ? { onProgress: ctx.onProgress } : {}),
    });
  },

  /** The configured backup schedule and its next due times (the server runs it; this only reads the configuration). */
  async 'backup.schedule'({ config }: OperatorContext) {
    return describeSchedule(config.backups, new Date());
  },

  async 'keys.backup'(ctx: OperatorContext, args: CommandArgs) {
    return backups.backupKeys(backupContextOf(ctx, args), ctx.onProgress ? { onProgress: ctx.onProgress } : {});
  },
} satisfies Record<string, (ctx: OperatorContext, args: CommandArgs) => Promise<unknown>>;

export type CommandName = keyof typeof operatorCommands;

export function isCommandName(name: string): name is CommandName {
  return Object.hasOwn(operatorCommands, name);
}

/** Runs a command and returns its result as plain JSON, identical to what the admin socket returns. */
export async function runOperatorCommand(ctx: OperatorContext, name: CommandName, args: CommandArgs): Promise<unknown> {
  const result = await operatorCommands[name](ctx, args);
  return JSON.parse(JSON.stringify(result)) as unknown;
}
