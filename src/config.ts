import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * The only module that reads process.env. Every variable Custodia understands
 * is declared in `settings` below, with its default and its validation; the
 * README's configuration table is the human-readable copy of this list.
 */

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface Config {
  host: string;
  port: number;
  dataDir: string;
  /** When set, PostgreSQL server through a pg pool; otherwise embedded PGlite in dataDir. */
  databaseUrl: string | undefined;
  databasePoolMax: number;
  logLevel: LogLevel;
  bodyLimitBytes: number;
  /** Largest CSV import body (streamed, never held in memory). */
  importLimitBytes: number;
  shutdownTimeoutMs: number;
  trustProxy: boolean;
  tenantDeletionGraceDays: number;
  argon2: { memoryKiB: number; timeCost: number; parallelism: number };
  sessionIdleMinutes: number;
  sessionAbsoluteHours: number;
  /** Base URL of the web UI as users reach it, for links in e-mails. */
  publicUrl: string;
  /** 32-byte master key from CUSTODIA_MASTER_KEY; otherwise a key file in dataDir. */
  masterKey: Buffer | undefined;
  masterKeyProvider: 'file' | 'env' | 'vault';
  /** Where the `file` provider keeps (and on first start creates) the master key. */
  masterKeyFile: string;
  /** The master key being rotated away from (CUSTODIA_PREVIOUS_MASTER_KEY): unwraps, never wraps. */
  previousMasterKey: Buffer | undefined;
  vault: { address: string; token: string; keyName: string; mount: string; namespace: string | undefined } | undefined;
  keyCacheSize: number;
  metrics: {
    /** When set, /metrics answers only `Authorization: Bearer <token>`. */
    token: string | undefined;
    /** When set, /metrics is served only on this port (of `host`), not on the API's. */
    port: number | undefined;
    host: string;
  };
  /** Public double opt-in (privacy/public): how long a confirmation link lives and how many sign-ups an hour are sent. */
  subscriptions: {
    confirmDays: number;
    perAddressPerHour: number;
    perIpPerHour: number;
  };
  /** E-mail campaigns (privacy/campaigns): a campaign releases at most this many mails a minute into the outbox. */
  campaigns: { ratePerMinute: number };
  /** Reminders of data-subject requests to their assignees (privacy/requests): how often the job looks, and how many days before the due date. */
  requestReminders: { everyMs: number; daysBefore: number };
  /** The retention job (privacy/retention): how often it applies every tenant's retention rules (daily by default). */
  retention: { everyMs: number };
  /** Connection to S3-compatible object storage, used by every `s3://bucket/prefix` store below. */
  s3: S3Settings;
  backups: {
    /** Where backups go: a directory (`CUSTODIA_BACKUP_DIR`, default `<dataDir>/backups`) or `s3://bucket/prefix` (`CUSTODIA_BACKUP_S3`). */
    target: StoreSpec;
    /** Cron expressions (server time) of the scheduled backups; empty when `CUSTODIA_BACKUP_SCHEDULE=off`. */
    schedule: string[];
    /** Cron expression of the nightly backup, which is verified after it is made; undefined when off. */
    nightly: string | undefined;
    /** Rotation: every backup of the last `hours`, then one per day for `days`, per week for `weeks`, per month for `months`. */
    keep: { hours: number; days: number; weeks: number; months: number };
    /** Key-store backups are kept this many days (the window in which a raw copy can still hold an erased person's key). */
    keyBackupDays: number;
    /** Who is mailed when a backup fails or is missed (with SMTP_URL set). */
    operatorEmail: string | undefined;
  };
  files: {
    /** Where file contents go: a directory (`CUSTODIA_FILES_DIR`, default `<dataDir>/files`) or `s3://bucket/prefix` (`CUSTODIA_FILES_S3`). */
    store: StoreSpec;
    maxFileBytes: number;
    tenantQuotaBytes: number;
    /** Every version is kept this many days … */
    allVersionsDays: number;
    /** … then one per day until this many days, then none (but the newest, and what a legal hold keeps). */
    dailyVersionsDays: number;
  };
  mail: {
    /** smtp:// or smtps:// URL; without it mail stays in the outbox for `custodia mail outbox`. */
    smtpUrl: string | undefined;
    from: string;
    /** How often the sender looks for due messages. */
    pollMs: number;
  };
}

export interface S3Settings {
  /** e.g. http://127.0.0.1:9000 for a self-hosted S3-compatible server; unset for AWS. */
  endpoint: string | undefined;
  region: string;
  accessKeyId: string | undefined;
  secretAccessKey: string | undefined;
  /** Path-style addressing (`endpoint/bucket/key`), which most self-hosted servers need. */
  forcePathStyle: boolean;
}

/** A directory or an S3 bucket with a key prefix. */
export type StoreSpec = { kind: 'dir'; path: string } | { kind: 's3'; bucket: string; prefix: string };

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function read(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  if (!/^-?\d+$/.test(raw)) throw new ConfigError(name, `must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) {
    throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  }
  return value;
}

function oneOf<T extends string>(env: Env, name: string, fallback: T, allowed: readonly T[]): T {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(name, `must be one of ${allowed.join(', ')}, got "${raw}"`);
  }
  return raw as T;
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = read(env, name)?.toLowerCase();
  if (raw === undefined) return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw new ConfigError(name, `must be true or false, got "${raw}"`);
}

function databaseUrl(env: Env, name: string): string | undefined {
  const raw = read(env, name);
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(name, 'is not a valid URL (expected postgres://user:password@host:port/database)');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ConfigError(name, `must start with postgres:// or postgresql://, got "${url.protocol}//"`);
  }
  return raw;
}

function host(env: Env, name: string, fallback: string): string {
  const raw = read(env, name) ?? fallback;
  if (!/^[A-Za-z0-9.:\-[\]]+$/.test(raw)) throw new ConfigError(name, `is not a host name or address: "${raw}"`);
  return raw;
}

function url(env: Env, name: string, fallback: string, protocols: string[]): string {
  const raw = read(env, name) ?? fallback;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(name, `is not a valid URL: "${raw}"`);
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(name, `must start with ${protocols.map((p) => `${p}//`).join(' or ')}`);
  }
  return raw.replace(/\/+$/, '');
}

function optionalUrl(env: Env, name: string, protocols: string[]): string | undefined {
  return read(env, name) === undefined ? undefined : url(env, name, '', protocols);
}

function masterKey(env: Env, name: string): Buffer | undefined {
  const raw = read(env, name);
  if (raw === undefined) return undefined;
  const key = Buffer.from(raw, 'base64');
  if (!/^[A-Za-z0-9+/]{43}=?$/.test(raw) || key.length !== 32) {
    throw new ConfigError(name, 'must be 32 random bytes in base64 (e.g. `openssl rand -base64 32`)');
  }
  return key;
}

function mailbox(env: Env, name: string, fallback: string): string {
  const raw = read(env, name) ?? fallback;
  if (!/^[^\s@<>]+@[^\s@<>]+$|^[^<>]*<[^\s@<>]+@[^\s@<>]+>$/.test(raw)) {
    throw new ConfigError(name, `must be an address like "Custodia <noreply@example.com>", got "${raw}"`);
  }
  return raw;
}

function metricsToken(env: Env, name: string): string | undefined {
  const raw = read(env, name);
  if (raw === undefined) return undefined;
  // A bearer token's own alphabet (RFC 6750), long enough not to be guessed.
  if (!/^[A-Za-z0-9\-._~+/]{32,}=*$/.test(raw)) {
    throw new ConfigError(name, 'must be at least 32 characters of A-Z a-z 0-9 - . _ ~ + / (e.g. `openssl rand -hex 32`)');
  }
  return raw;
}

function metrics(env: Env, apiHost: string, apiPort: number): Config['metrics'] {
  const port = read(env, 'CUSTODIA_METRICS_PORT') === undefined ? undefined : integer(env, 'CUSTODIA_METRICS_PORT', 0, 0, 65535);
  if (port === undefined && read(env, 'CUSTODIA_METRICS_HOST') !== undefined) {
    throw new ConfigError('CUSTODIA_METRICS_HOST', 'only takes effect with CUSTODIA_METRICS_PORT; set that too, or remove it');
  }
  if (port !== undefined && port !== 0 && port === apiPort) {
    throw new ConfigError('CUSTODIA_METRICS_PORT', `must differ from PORT (${apiPort}): it is the listener that serves only /metrics`);
  }
  return { token: metricsToken(env, 'CUSTODIA_METRICS_TOKEN'), port, host: host(env, 'CUSTODIA_METRICS_HOST', apiHost) };
}

// Far below the OWASP minimum: only for the test suite, which creates a
// tenant (and hashes its admin's password) in nearly every test.
const TEST_ONLY_ARGON2: Config['argon2'] = { memoryKiB: 64, timeCost: 1, parallelism: 1 };

function argon2(env: Env): Config['argon2'] {
  if (boolean(env, 'CUSTODIA_TEST_CHEAP_PASSWORD_HASHING', false)) {
    if (read(env, 'NODE_ENV') !== 'test') {
      throw new ConfigError('CUSTODIA_TEST_CHEAP_PASSWORD_HASHING', 'is for the test suite only (NODE_ENV=test); remove it');
    }
    return TEST_ONLY_ARGON2;
  }
  return {
    // OWASP Password Storage Cheat Sheet minimum for argon2id: m=19 MiB, t=2, p=1.
    memoryKiB: integer(env, 'CUSTODIA_ARGON2_MEMORY_KIB', 19 * 1024, 19 * 1024, 4 * 1024 * 1024),
    timeCost: integer(env, 'CUSTODIA_ARGON2_TIME_COST', 2, 2, 100),
    parallelism: integer(env, 'CUSTODIA_ARGON2_PARALLELISM', 1, 1, 16),
  };
}

function storeSpec(env: Env, dirName: string, s3Name: string, fallbackDir: string, cwd: string): StoreSpec {
  const s3 = read(env, s3Name);
  if (s3 !== undefined) {
    if (read(env, dirName) !== undefined) throw new ConfigError(s3Name, `cannot be set together with ${dirName}; choose one`);
    const match = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/([A-Za-z0-9._/-]*))?$/.exec(s3);
    if (!match) throw new ConfigError(s3Name, `must look like s3://bucket/prefix, got "${s3}"`);
    return { kind: 's3', bucket: match[1]!, prefix: (match[2] ?? '').replace(/^\/+|\/+$/g, '') };
  }
  return { kind: 'dir', path: path.resolve(cwd, read(env, dirName) ?? fallbackDir) };
}

function cronList(env: Env, name: string, fallback: string): string[] {
  const raw = read(env, name) ?? fallback;
  if (raw.toLowerCase() === 'off') return [];
  const list = raw
    .split(';')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const expression of list) {
    // Five fields (minute hour day month weekday); the scheduler validates each field when it starts.
    if (expression.split(/\s+/).length !== 5) throw new ConfigError(name, `"${expression}" is not a five-field cron expression (or "off")`);
  }
  return list;
}

function optionalMailbox(env: Env, name: string): string | undefined {
  return read(env, name) === undefined ? undefined : mailbox(env, name, '');
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Reads and validates the configuration; throws ConfigError naming the first bad variable. */
function required(env: Env, name: string, why: string): string {
  const raw = read(env, name);
  if (raw === undefined) throw new ConfigError(name, `is required ${why}`);
  return raw;
}

export function loadConfig(env: Env = process.env, cwd = process.cwd()): Config {
  const dataDir = path.resolve(cwd, read(env, 'CUSTODIA_DATA_DIR') ?? 'data');
  const provider = oneOf(env, 'CUSTODIA_MASTER_KEY_PROVIDER', read(env, 'CUSTODIA_MASTER_KEY') ? 'env' : 'file', [
    'file',
    'env',
    'vault',
  ] as const);
  if (provider === 'env' && !read(env, 'CUSTODIA_MASTER_KEY')) {
    throw new ConfigError('CUSTODIA_MASTER_KEY', 'is required when CUSTODIA_MASTER_KEY_PROVIDER=env');
  }
  const needVault = 'when CUSTODIA_MASTER_KEY_PROVIDER=vault';
  const apiHost = host(env, 'HOST', '0.0.0.0');
  const apiPort = integer(env, 'PORT', 3000, 0, 65535);
  return {
    masterKeyProvider: provider,
    masterKeyFile: path.resolve(cwd, read(env, 'CUSTODIA_MASTER_KEY_FILE') ?? path.join(dataDir, 'master.key')),
    previousMasterKey: masterKey(env, 'CUSTODIA_PREVIOUS_MASTER_KEY'),
    vault:
      provider === 'vault'
        ? {
            address: url(env, 'CUSTODIA_VAULT_ADDR', required(env, 'CUSTODIA_VAULT_ADDR', needVault), ['http:', 'https:']),
            token: required(env, 'CUSTODIA_VAULT_TOKEN', needVault),
            keyName: required(env, 'CUSTODIA_VAULT_TRANSIT_KEY', needVault),
            mount: read(env, 'CUSTODIA_VAULT_TRANSIT_MOUNT') ?? 'transit',
            namespace: read(env, 'CUSTODIA_VAULT_NAMESPACE'),
          }
        : undefined,
    keyCacheSize: integer(env, 'CUSTODIA_KEY_CACHE_SIZE', 200_000, 100, 10_000_000),
    host: apiHost,
    port: apiPort,
    metrics: metrics(env, apiHost, apiPort),
    dataDir,
    databaseUrl: databaseUrl(env, 'DATABASE_URL'),
    databasePoolMax: integer(env, 'DATABASE_POOL_MAX', 10, 1, 1000),
    logLevel: oneOf(env, 'LOG_LEVEL', 'info', LOG_LEVELS),
    bodyLimitBytes: integer(env, 'CUSTODIA_BODY_LIMIT_BYTES', 1024 * 1024, 1024, 1024 * 1024 * 1024),
    importLimitBytes: integer(env, 'CUSTODIA_IMPORT_LIMIT_BYTES', 256 * 1024 * 1024, 1024, 16 * 1024 * 1024 * 1024),
    shutdownTimeoutMs: integer(env, 'CUSTODIA_SHUTDOWN_TIMEOUT_MS', 10_000, 0, 600_000),
    trustProxy: boolean(env, 'CUSTODIA_TRUST_PROXY', false),
    tenantDeletionGraceDays: integer(env, 'CUSTODIA_TENANT_DELETION_GRACE_DAYS', 30, 0, 30),
    argon2: argon2(env),
    sessionIdleMinutes: integer(env, 'CUSTODIA_SESSION_IDLE_MINUTES', 30, 1, 24 * 60),
    sessionAbsoluteHours: integer(env, 'CUSTODIA_SESSION_ABSOLUTE_HOURS', 12, 1, 24 * 30),
    publicUrl: url(env, 'CUSTODIA_PUBLIC_URL', 'http://localhost:3000', ['http:', 'https:']),
    masterKey: masterKey(env, 'CUSTODIA_MASTER_KEY'),
    subscriptions: {
      confirmDays: integer(env, 'CUSTODIA_SUBSCRIPTION_CONFIRM_DAYS', 7, 1, 30),
      perAddressPerHour: integer(env, 'CUSTODIA_SUBSCRIPTION_PER_ADDRESS_HOURLY', 5, 1, 1000),
      perIpPerHour: integer(env, 'CUSTODIA_SUBSCRIPTION_PER_IP_HOURLY', 20, 1, 100_000),
    },
    campaigns: { ratePerMinute: integer(env, 'CUSTODIA_CAMPAIGN_RATE_PER_MINUTE', 120, 1, 100_000) },
    requestReminders: {
      everyMs: integer(env, 'CUSTODIA_REQUEST_REMINDER_INTERVAL_MS', 3_600_000, 1000, 24 * 3_600_000),
      daysBefore: integer(env, 'CUSTODIA_REQUEST_REMINDER_DAYS', 7, 1, 28),
    },
    retention: { everyMs: integer(env, 'CUSTODIA_RETENTION_INTERVAL_MS', 24 * 3_600_000, 60_000, 7 * 24 * 3_600_000) },
    s3: {
      endpoint: optionalUrl(env, 'CUSTODIA_S3_ENDPOINT', ['http:', 'https:']),
      region: read(env, 'CUSTODIA_S3_REGION') ?? 'us-east-1',
      accessKeyId: read(env, 'CUSTODIA_S3_ACCESS_KEY_ID'),
      secretAccessKey: read(env, 'CUSTODIA_S3_SECRET_ACCESS_KEY'),
      forcePathStyle: boolean(env, 'CUSTODIA_S3_FORCE_PATH_STYLE', read(env, 'CUSTODIA_S3_ENDPOINT') !== undefined),
    },
    backups: {
      target: storeSpec(env, 'CUSTODIA_BACKUP_DIR', 'CUSTODIA_BACKUP_S3', path.join(dataDir, 'backups'), cwd),
      // Three times a day (as SoWorker does) plus the nightly one below.
      schedule: cronList(env, 'CUSTODIA_BACKUP_SCHEDULE', '0 7,12,17 * * *'),
      nightly: cronList(env, 'CUSTODIA_BACKUP_NIGHTLY', '0 2 * * *')[0],
      keep: {
        hours: integer(env, 'CUSTODIA_BACKUP_KEEP_HOURS', 24, 0, 24 * 366),
        days: integer(env, 'CUSTODIA_BACKUP_KEEP_DAYS', 7, 0, 3660),
        weeks: integer(env, 'CUSTODIA_BACKUP_KEEP_WEEKS', 5, 0, 520),
        months: integer(env, 'CUSTODIA_BACKUP_KEEP_MONTHS', 12, 0, 1200),
      },
      keyBackupDays: integer(env, 'CUSTODIA_KEY_BACKUP_DAYS', 7, 1, 366),
      operatorEmail: optionalMailbox(env, 'CUSTODIA_OPERATOR_EMAIL'),
    },
    files: {
      store: storeSpec(env, 'CUSTODIA_FILES_DIR', 'CUSTODIA_FILES_S3', path.join(dataDir, 'files'), cwd),
      maxFileBytes: integer(env, 'CUSTODIA_FILE_MAX_BYTES', 100 * 1024 * 1024, 1024, 64 * 1024 * 1024 * 1024),
      tenantQuotaBytes: integer(env, 'CUSTODIA_FILE_TENANT_QUOTA_BYTES', 10 * 1024 * 1024 * 1024, 1024, 1024 ** 5),
      allVersionsDays: integer(env, 'CUSTODIA_FILE_ALL_VERSIONS_DAYS', 5, 0, 3660),
      dailyVersionsDays: integer(env, 'CUSTODIA_FILE_DAILY_VERSIONS_DAYS', 100, 0, 36600),
    },
    mail: {
      smtpUrl: optionalUrl(env, 'SMTP_URL', ['smtp:', 'smtps:']),
      from: mailbox(env, 'MAIL_FROM', 'Custodia <noreply@localhost>'),
      pollMs: integer(env, 'CUSTODIA_MAIL_POLL_MS', 2000, 50, 600_000),
    },
  };
}

/** Loads `.env` from the working directory into process.env (existing variables win). */
export function loadDotEnv(cwd = process.cwd()): void {
  const file = path.join(cwd, '.env');
  if (existsSync(file)) process.loadEnvFile(file);
}
