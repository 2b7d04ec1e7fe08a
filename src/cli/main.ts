import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import path from 'node:path';
import { ConfigError, loadConfig, loadDotEnv, type Config } from '../config.js';
import { migrateToLatest } from '../db/database.js';
import { initializeKeys, openKeys } from '../keys/keys.service.js';
import { loadKeyring } from '../keys/master-key.js';
import type { DatabaseHandle } from '../db/database.js';
import type { BackupSummary, OnProgress, RestoreReport, VerifyReport } from '../backup/backup.service.js';
import type { ScheduleReport } from '../backup/backup-schedule.js';
import { currentHolder, DataDirBusyError } from '../db/data-dir-lock.js';
import { openConfiguredDatabase } from '../db/open.js';
import { DomainError } from '../shared/domain-error.js';
import { callAdminSocket } from './admin-socket.js';
import { runOperatorCommand, UsageError, type CommandArgs, type CommandName } from './commands.js';

// Exit codes: 0 done; 1 refused (the reason is on stderr); 2 usage or
// configuration; 3 the database or data dir cannot be reached.

const USAGE = `usage: custodia <command>

  migrate                               apply pending database migrations
  tenant create --slug <slug> --name <name> --admin-email <email> --admin-password <password> [--admin-name <name>]
                                        create a tenant and its first administrator; prints {"tenantId","slug","adminUserId"}
  tenant list [--json] [--status active|suspended|terminated]
  tenant suspend --slug <slug>          nobody of the tenant can sign in until it is reactivated
  tenant reactivate --slug <slug>
  tenant terminate --slug <slug>        close the tenant; its data is purged after the grace period (≤ 30 days)
  tenant purge --slug <slug> [--now] [--dry-run]
                                        destroy a terminated tenant's keys and every row of it (the server does this
                                        hourly once the deletion date has come; --now purges before it); prints a report
  mail outbox [--status pending|sent|failed] [--limit N] [--json]
                                        the newest messages of the mail outbox (default 50) with their text;
                                        without SMTP_URL, mail such as password-reset links waits here
  keys status [--json]                  master key in use, tenant key versions, rotations and their progress
  keys rotate-master                    re-wrap every key under the configured master key
                                        (the old one given as CUSTODIA_PREVIOUS_MASTER_KEY)
  keys rotate-tenant --tenant <slug>    new tenant key version; re-wraps subject keys and re-computes
                                        blind indexes in batches; resumable, servers keep serving
  audit verify --tenant <slug> [--checkpoint <file or JSON>] [--json]
                                        seal pending entries, then re-compute the tenant's whole audit trail;
                                        exits 0 when intact, 1 naming the first entry changed, removed or inserted;
                                        with --checkpoint also checks the log against a head saved earlier
  audit checkpoint --tenant <slug>      print the current signed head of the trail (JSON): keep it outside the database
  dpa publish --version <v> --file <text file> [--language en|nl] [--sub-processors <JSON file>]
                                        publish a data processing agreement text; tenant admins are asked to accept
                                        a new version at their next sign-in; texts are never replaced
  dpa list [--json]                     the published DPA versions and languages, newest first, with their SHA-256
  backup create [--tenant <slug>] [--target <dir or s3://bucket/prefix>]
                                        an encrypted, signed backup of the instance (with a key backup beside it) or of
                                        one tenant; prints {"id","target",…}
  backup list [--json] [--target …]     the backups in the target, newest first
  backup verify <id> [--full] [--target …]
                                        checks the signature and every checksum (--full also decrypts and counts rows);
                                        exits 1 with the reason when the backup is corrupt or the master key differs
  backup restore <id> [--tenant <slug>] [--target …]
                                        restores one tenant into this instance (its rows replaced in one transaction), or
                                        the whole instance into an empty database (stop the server; a fresh data dir needs
                                        the master key: copy master.key or set CUSTODIA_MASTER_KEY); erasures since the
                                        backup are applied again
  backup schedule [--json]              the backup schedule (CUSTODIA_BACKUP_SCHEDULE, CUSTODIA_BACKUP_NIGHTLY) and the
                                        next five due times; the server runs it, one node at a time
  keys backup [--target …]              back up the key store apart from the data (kept CUSTODIA_KEY_BACKUP_DAYS)
  retention run --tenant <slug> [--dry-run] [--json]
                                        apply the tenant's retention rules now (the server does this daily); people under
                                        a legal hold or restriction are kept; prints the report (counts per rule, never who)

Configuration comes from the environment and .env (see README). With DATABASE_URL
the command runs on that PostgreSQL server; otherwise on the embedded database in
CUSTODIA_DATA_DIR, through the running server's admin socket when one holds it.`;

class CliExit extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
  ) {
    super(message);
  }
}

interface Parsed {
  command: CommandName;
  args: CommandArgs;
  json: boolean;
}

function parse(argv: string[]): Parsed | 'help' {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      slug: { type: 'string' },
      name: { type: 'string' },
      'admin-email': { type: 'string' },
      'admin-password': { type: 'string' },
      'admin-name': { type: 'string' },
      status: { type: 'string' },
      limit: { type: 'string' },
      tenant: { type: 'string' },
      checkpoint: { type: 'string' },
      version: { type: 'string' },
      file: { type: 'string' },
      language: { type: 'string' },
      'sub-processors': { type: 'string' },
      target: { type: 'string' },
      full: { type: 'boolean', default: false },
      now: { type: 'boolean', default: false },
      'dry-run': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help || positionals.length === 0 || positionals[0] === 'help') return 'help';
  const [group, action, ...rest] = positionals;
  // `backup verify <id>` and `backup restore <id>` take the backup's id.
  const id = group === 'backup' && (action === 'verify' || action === 'restore') ? rest.shift() : undefined;
  if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`);
  const args: CommandArgs = {
    slug: values.slug,
    name: values.name,
    adminEmail: values['admin-email'],
    adminPassword: values['admin-password'],
    adminName: values['admin-name'],
    status: values.status,
    limit: values.limit,
    tenant: values.tenant,
    checkpoint: checkpointText(values.checkpoint),
    version: values.version,
    language: values.language,
    text: fileText(values.file, 'file'),
    subProcessors: fileText(values['sub-processors'], 'sub-processors'),
    now: values.now,
    dryRun: values['dry-run'],
    id,
    target: values.target,
    full: values.full,
  };
  const json = values.json ?? false;
  if (group === 'migrate' && action === undefined) return { command: 'migrate', args, json };
  if (group === 'tenant' && ['create', 'list', 'suspend', 'reactivate', 'terminate', 'purge'].includes(action ?? '')) {
    return { command: `tenant.${action}` as CommandName, args, json };
  }
  if (group === 'mail' && action === 'outbox') return { command: 'mail.outbox', args, json };
  if (group === 'backup' && ['create', 'list', 'verify', 'restore', 'schedule'].includes(action ?? '')) {
    if ((action === 'verify' || action === 'restore') && id === undefined)
      throw new UsageError(`custodia backup ${action} needs the backup's id`);
    return { command: `backup.${action}` as CommandName, args, json };
  }
  if (group === 'keys' && ['status', 'rotate-master', 'rotate-tenant', 'backup'].includes(action ?? '')) {
    return { command: `keys.${action}` as CommandName, args, json };
  }
  if (group === 'audit' && ['verify', 'checkpoint'].includes(action ?? ''))
    return { command: `audit.${action}` as CommandName, args, json };
  if (group === 'dpa' && ['publish', 'list'].includes(action ?? '')) return { command: `dpa.${action}` as CommandName, args, json };
  if (group === 'retention' && action === 'run') return { command: 'retention.run', args, json };
  throw new UsageError(`unknown command "${positionals.join(' ')}"; run custodia --help`);
}

// A saved checkpoint is given as a file or as the JSON itself; the command gets the text either way.
function checkpointText(value: string | undefined): string | undefined {
  if (value === undefined || value.trim().startsWith('{')) return value;
  if (!existsSync(value)) throw new UsageError(`--checkpoint: no such file ${value}`);
  return readFileSync(value, 'utf8');
}

// A DPA text or sub-processor list is read here, so the server answering over the admin socket gets the text itself.
function fileText(value: string | undefined, flag: string): string | undefined {
  if (value === undefined) return undefined;
  if (!existsSync(value)) throw new UsageError(`--${flag}: no such file ${value}`);
  return readFileSync(value, 'utf8');
}

interface VerifyLine {
  slug: string;
  ok: boolean;
  entries: number;
  sealedNow: number;
  archivedUpTo: number;
  head: { size: number; headHash: string };
  publicKey: string;
  checkpoint: string;
  problems: Array<{ position: number | null; id: string | null; problem: string }>;
}

function renderVerify(r: VerifyLine): string {
  const lines = [
    r.ok
      ? `audit trail of ${r.slug} is intact: ${r.entries} entries verified`
      : `audit trail of ${r.slug} is NOT intact: ${r.problems[0]?.problem ?? 'unknown problem'}`,
    `head: ${r.head.size} entries, hash ${r.head.headHash}`,
    `signing key (Ed25519, base64): ${r.publicKey}`,
  ];
  if (r.sealedNow > 0) lines.push(`sealed ${r.sealedNow} pending entries first`);
  if (r.archivedUpTo > 0) lines.push(`entries 1 to ${r.archivedUpTo} were archived; checked from the signed anchor`);
  if (r.checkpoint === 'matched') lines.push('the saved checkpoint matches the log');
  if (r.checkpoint === 'before_archive') lines.push('the saved checkpoint predates the archived part: it cannot be compared');
  for (const p of r.problems.slice(1)) lines.push(`also: ${p.problem}`);
  return lines.join('\n');
}

/** Runs on the database directly, or through the server that holds the embedded data dir. */
async function execute(config: Config, command: CommandName, args: CommandArgs, onProgress?: OnProgress): Promise<unknown> {
  // A whole instance is restored only into a database nobody else uses, and never with a key made up on the spot.
  const wholeRestore = command === 'backup.restore' && args.tenant === undefined;
  if (!config.databaseUrl) {
    const holder = currentHolder(config.dataDir);
    if (holder?.role === 'server' && holder.socket) {
      if (wholeRestore)
        throw new CliExit(
          1,
          'a Custodia server is using this data dir: stop it before restoring the whole instance (or restore one tenant with --tenant)',
        );
      return viaServer(holder.socket, command, withOwnBackupTarget(config, command, args));
    }
    if (holder) throw new DataDirBusyError(config.dataDir, holder);
  }
  const { database, lock } = await openConfiguredDatabase(config, 'cli');
  try {
    await migrateToLatest(database.db);
    const keyring = wholeRestore ? await restoringKeyring(database, config) : (await openKeys(database, config)).keyring;
    return await runOperatorCommand({ config, database, keyring, ...(onProgress ? { onProgress } : {}) }, command, args);
  } finally {
    await database.close();
    lock?.release();
  }
}

/**
 * A backup target set in the CLI's own environment (CUSTODIA_BACKUP_DIR or _S3) goes to the server as `--target`:
 * the server would otherwise use its own, and `CUSTODIA_BACKUP_DIR=… custodia backup list` would list elsewhere.
 */
function withOwnBackupTarget(config: Config, command: CommandName, args: CommandArgs): CommandArgs {
  if (!(command.startsWith('backup.') || command === 'keys.backup') || args.target !== undefined) return args;
  const target = config.backups.target;
  if (target.kind === 'dir' && target.path === path.join(config.dataDir, 'backups')) return args;
  return { ...args, target: target.kind === 'dir' ? target.path : `s3://${target.bucket}${target.prefix ? `/${target.prefix}` : ''}` };
}

/** The master key a backup was made with: configured, never generated (a new key could read nothing). */
async function restoringKeyring(database: DatabaseHandle, config: Config) {
  let loaded;
  try {
    loaded = await loadKeyring(config, { createFile: false });
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    throw new CliExit(
      1,
      `no master key at ${config.masterKeyFile}: a backup opens only with the master key it was made with; ` +
        'copy master.key from the old data dir there, or set CUSTODIA_MASTER_KEY',
    );
  }
  await initializeKeys(database.db, loaded.keyring);
  return loaded.keyring;
}

async function viaServer(socket: string, command: CommandName, args: CommandArgs): Promise<unknown> {
  let reply;
  try {
    reply = await callAdminSocket(socket, command, args);
  } catch (error) {
    throw new CliExit(
      3,
      `a Custodia server holds the data dir but its admin socket ${socket} does not answer (${(error as Error).message})`,
    );
  }
  if (!reply.ok) throw new CliExit(reply.error.code === 'usage' ? 2 : 1, reply.error.message);
  return reply.result;
}

interface TenantLine {
  slug: string;
  name: string;
  status: string;
  createdAt: string;
  deletionDueAt: string | null;
}

interface OutboxLine {
  id: string;
  status: string;
  attempts: number;
  lastError: string | null;
  nextAttemptAt: string;
  createdAt: string;
  sentAt: string | null;
  to: string;
  subject: string;
  text: string;
}

// One block per message, the body indented under its headers so that a
// reset link can be copied straight out of the terminal.
function renderOutbox(messages: OutboxLine[]): string {
  if (messages.length === 0) return 'no messages in the outbox';
  return messages
    .map((m) => {
      const tries = `${m.attempts} attempt${m.attempts === 1 ? '' : 's'}`;
      const status =
        m.status === 'sent'
          ? `sent ${m.sentAt ?? ''}`.trim()
          : m.status === 'failed'
            ? `failed after ${tries} (last error: ${m.lastError ?? 'unknown'})`
            : m.lastError
              ? `pending, next try ${m.nextAttemptAt} after ${tries} (last error: ${m.lastError})`
              : m.status;
      const body = m.text === '' ? '(body removed after sending)' : m.text.trimEnd();
      return [
        `id:      ${m.id}`,
        `status:  ${status}`,
        `created: ${m.createdAt}`,
        `to:      ${m.to}`,
        `subject: ${m.subject}`,
        '',
        ...body.split('\n').map((line) => (line === '' ? '' : `    ${line}`)),
      ].join('\n');
    })
    .join('\n\n');
}

function render(command: CommandName, result: unknown, json: boolean): string {
  if (command === 'tenant.create' || command === 'backup.create' || command === 'keys.backup' || json) return JSON.stringify(result);
  if (command === 'backup.list') return renderBackups(result as BackupSummary[]);
  if (command === 'backup.schedule') {
    const r = result as ScheduleReport;
    if (!r.enabled) return 'no scheduled backups (CUSTODIA_BACKUP_SCHEDULE and CUSTODIA_BACKUP_NIGHTLY are off)';
    return [
      `scheduled: ${r.expressions.join('; ') || 'off'}`,
      `nightly:   ${r.nightly ?? 'off'} (verified in full, key store backed up)`,
      'next (server time):',
      ...r.next.map((d) => `  ${new Date(d.at).toString()}  ${d.kind}`),
    ].join('\n');
  }
  if (command === 'backup.verify') {
    const r = result as VerifyReport;
    return r.ok
      ? `backup ${r.id} is intact: signature and ${r.objects} objects checked${r.full ? `, ${r.rows ?? 0} rows decrypted and counted` : ''}`
      : `backup ${r.id} is NOT intact: ${r.problem ?? 'unknown problem'}`;
  }
  if (command === 'backup.restore') {
    const r = result as RestoreReport;
    return [
      `restored backup ${r.id} (${r.scope === 'instance' ? 'whole instance' : 'one tenant'}): ${r.rows} rows of ${r.tenantSlugs.join(', ') || 'no tenant'}`,
      `erasures made since the backup applied again: ${r.erasedReapplied}`,
      ...(r.keyBackupId ? [`key store from key backup ${r.keyBackupId}`] : []),
      ...(r.blobs ? [`file contents put back: ${r.blobs}`] : []),
    ].join('\n');
  }
  if (command === 'keys.status' || command === 'audit.checkpoint') return JSON.stringify(result, null, 2);
  if (command === 'audit.verify') return renderVerify(result as VerifyLine);
  if (command === 'keys.rotate-master' || command === 'keys.rotate-tenant') {
    const r = result as { rewrapped: number; reindexed: number; fromVersion?: number; toVersion?: number };
    const versions = r.toVersion ? ` (version ${r.fromVersion} → ${r.toVersion})` : '';
    return `rotated${versions}: ${r.rewrapped} keys re-wrapped, ${r.reindexed} index batches re-computed`;
  }
  if (command === 'mail.outbox') return renderOutbox(result as OutboxLine[]);
  if (command === 'dpa.publish') {
    const r = result as { version: string; language: string; sha256: string; subProcessors: number; current: boolean };
    return `published DPA ${r.version} (${r.language}), sha256 ${r.sha256}, ${r.subProcessors} sub-processors${r.current ? '; it is the current version' : ''}`;
  }
  if (command === 'dpa.list') {
    const rows = result as Array<{ version: string; language: string; sha256: string; publishedAt: string; current: boolean }>;
    return rows
      .map((r) => `${r.version}  ${r.language}  ${r.publishedAt.slice(0, 10)}  ${r.sha256}${r.current ? '  current' : ''}`)
      .join('\n');
  }
  if (command === 'retention.run') {
    const r = result as {
      slug: string;
      dryRun: boolean;
      erased: number;
      anonymized: number;
      held: number;
      failed: number;
      perRule: Array<{ ruleId: string; module: string; action: string; erased: number; anonymized: number; held: number; failed: number }>;
    };
    const verb = r.dryRun ? 'would erase' : 'erased';
    return [
      `tenant ${r.slug}: retention ${r.dryRun ? 'dry run' : 'run'} ${verb} ${r.erased}, ${r.dryRun ? 'would anonymize' : 'anonymized'} ${r.anonymized}, held ${r.held}, failed ${r.failed}`,
      ...r.perRule.map(
        (c) =>
          `  rule ${c.ruleId} (${c.module}, ${c.action}): ${c.erased + c.anonymized} ${c.action === 'erase' ? 'erased' : 'anonymized'}, ${c.held} held, ${c.failed} failed`,
      ),
    ].join('\n');
  }
  if (command === 'tenant.purge') {
    const r = result as { slug: string; rows: number; dryRun: boolean; deleted: Record<string, number> };
    const tables = Object.entries(r.deleted).map(([table, n]) => `  ${table}: ${n}`);
    return [
      r.dryRun ? `tenant ${r.slug}: a purge would delete ${r.rows} rows` : `tenant ${r.slug} purged: ${r.rows} rows deleted`,
      ...tables,
    ].join('\n');
  }
  if (command === 'tenant.list') {
    const rows = result as TenantLine[];
    if (rows.length === 0) return 'no tenants';
    const table = [['SLUG', 'STATUS', 'CREATED', 'NAME'], ...rows.map((t) => [t.slug, t.status, t.createdAt.slice(0, 10), t.name])];
    const widths = [0, 1, 2].map((i) => Math.max(...table.map((r) => (r[i] ?? '').length)));
    return table.map((r) => r.map((cell, i) => (i < 3 ? cell.padEnd(widths[i] ?? 0) : cell)).join('  ')).join('\n');
  }
  if (command === 'migrate') {
    const applied = (result as { applied: string[] }).applied;
    return applied.length ? `applied ${applied.join(', ')}` : 'database is up to date';
  }
  const tenant = result as TenantLine;
  const due = tenant.deletionDueAt ? `; data will be purged on ${tenant.deletionDueAt}` : '';
  return `tenant ${tenant.slug} is ${tenant.status}${due}`;
}

function renderBackups(rows: BackupSummary[]): string {
  if (rows.length === 0) return 'no backups in the target';
  const mib = (n: number) =>
    n < 1024 * 1024
      ? `${Math.max(1, Math.round(n / 1024))} KiB`
      : n < 1024 ** 3
        ? `${(n / 1024 ** 2).toFixed(1)} MiB`
        : `${(n / 1024 ** 3).toFixed(2)} GiB`;
  const table = [
    ['ID', 'CREATED', 'OF', 'ROWS', 'SIZE'],
    ...rows.map((b) => [
      b.id,
      b.createdAt.slice(0, 19),
      b.problem ? `unreadable: ${b.problem}` : (b.tenantSlug ?? b.scope),
      String(b.rows),
      mib(b.bytes),
    ]),
  ];
  const widths = [0, 1, 2, 3].map((i) => Math.max(...table.map((r) => (r[i] ?? '').length)));
  return table.map((r) => r.map((cell, i) => (i < 4 ? cell.padEnd(widths[i] ?? 0) : cell)).join('  ')).join('\n');
}

/** A one-line progress bar on stderr, redrawn in place. */
function progressBar(io: CliIo): OnProgress {
  return (p) => {
    const width = 24;
    const filled = p.total > 0 ? Math.round((p.done / p.total) * width) : 0;
    io.stderr(`\r\x1b[2K[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${p.phase} ${p.item ?? ''} (${p.done}/${p.total})`);
  };
}

/** Where a command's configuration comes from and where its output goes. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Read after the arguments, so that --help needs no configuration. */
  config(): Config;
  /** Whether progress may be drawn on stderr (a terminal). */
  progress?: boolean;
}

// The binary's: the process's own streams, and the environment with .env beneath it.
const processIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  progress: process.stderr.isTTY === true,
  config() {
    loadDotEnv();
    return loadConfig();
  },
};

/** Runs one command and returns its exit code; tests call it with their own io, the binary with the process's. */
export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  try {
    const parsed = parse(argv);
    if (parsed === 'help') {
      io.stdout(`${USAGE}\n`);
      return 0;
    }
    const config = io.config();
    const long = parsed.command === 'backup.create' || parsed.command === 'backup.restore' || parsed.command === 'keys.backup';
    const bar = long && io.progress ? progressBar(io) : undefined;
    const result = await execute(config, parsed.command, parsed.args, bar);
    if (bar) io.stderr('\r\x1b[2K');
    io.stdout(`${render(parsed.command, result, parsed.json)}\n`);
    if (parsed.command === 'backup.verify' && !(result as VerifyReport).ok) {
      io.stderr(
        `custodia: backup ${(result as VerifyReport).id} is not intact: ${(result as VerifyReport).problem ?? 'unknown problem'}\n`,
      );
      return 1;
    }
    if (parsed.command === 'audit.verify' && !(result as VerifyLine).ok) {
      const first = (result as VerifyLine).problems[0];
      io.stderr(`custodia: audit trail is not intact: ${first?.problem ?? 'unknown problem'}\n`);
      return 1;
    }
    return 0;
  } catch (error) {
    const [code, message] = describe(error);
    io.stderr(`custodia: ${message.replace(/\s+/g, ' ')}\n`);
    return code;
  }
}

function describe(error: unknown): [number, string] {
  if (error instanceof CliExit) return [error.exitCode, error.message];
  if (error instanceof UsageError) return [2, error.message];
  if (error instanceof DomainError) return [1, error.message];
  if (error instanceof ConfigError) return [2, `invalid configuration: ${error.message}`];
  if (error instanceof DataDirBusyError) return [3, error.message];
  const e = error as NodeJS.ErrnoException;
  if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    return [2, `${e.message.split('\n')[0]}; run custodia --help`];
  }
  if (e.code === 'ECONNREFUSED' || e.code === 'ENOTFOUND' || e.code === '3D000') {
    return [3, `the database does not answer: ${e.message}`];
  }
  return [1, `unexpected error: ${e.message ?? String(error)}`];
}
