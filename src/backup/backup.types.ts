import type { Config } from '../config.js';
import type { DatabaseHandle } from '../db/database.js';
import type { Keyring } from '../keys/keyring.js';
import type { ObjectStore } from '../storage/object-store.js';

/** The shapes the backup service, its restore and its manifests share (apart, so they import no service). */

export interface BackupContext {
  config: Config;
  database: DatabaseHandle;
  keyring: Keyring;
  /** The backup target: openObjectStore(config.backups.target, config.s3). */
  store: ObjectStore;
  /** Where file versions' bytes live: openObjectStore(config.files.store, config.s3). */
  filesStore: ObjectStore;
  now?: () => Date;
  /** Above this database size a PGlite backup runs in one transaction instead of from a copy (default 512 MiB). */
  pgliteCopyMaxBytes?: number;
}

export type BackupScope = 'instance' | 'tenant' | 'keys';

export interface ManifestTable {
  name: string;
  rows: number;
  /** Size of the stored (encrypted) object. */
  bytes: number;
  /** SHA-256 (hex) of the stored (encrypted) object. */
  sha256: string;
}

export interface ManifestBlob {
  key: string;
  bytes: number;
  sha256: string;
}

export interface BackupManifest {
  format: 1;
  id: string;
  scope: BackupScope;
  tenantId: string | null;
  tenantSlug: string | null;
  createdAt: string;
  /** The newest migration applied when it was taken. */
  migration: string;
  masterKeyId: string;
  /** The backup's data key, wrapped by the master key (base64). */
  wrappedDataKey: string;
  tables: ManifestTable[];
  blobs: ManifestBlob[];
  /** HMAC-SHA256 (base64) of the canonical manifest without it, under a key derived from the data key. */
  signature: string;
}

export interface BackupSummary {
  id: string;
  scope: BackupScope;
  tenantId: string | null;
  tenantSlug: string | null;
  createdAt: string;
  /** Bytes stored (every table and blob). */
  bytes: number;
  rows: number;
  /** Where it is: the store's description. */
  target: string;
  /** The key backup an instance backup made beside it. */
  keyBackupId?: string;
  /** How long the embedded database stopped serving for the snapshot (PGlite only). */
  stallMs?: number;
  /** Set when the manifest cannot be read (listBackups only). */
  problem?: string;
}

export interface BackupProgress {
  phase: 'tombstones' | 'keys' | 'tables' | 'blobs' | 'verify' | 'restore' | 'tombstones-apply';
  /** The table or object being worked on. */
  item?: string;
  done: number;
  total: number;
}

export type OnProgress = (progress: BackupProgress) => void;

export interface CreateOptions {
  /** A backup of one tenant; the instance otherwise. */
  tenantSlug?: string;
  onProgress?: OnProgress;
}

export interface VerifyReport {
  id: string;
  ok: boolean;
  full: boolean;
  /** The first problem: which object, which check. */
  problem?: string;
  objects: number;
  rows?: number;
  /** Full verify of an instance backup: rows a restore into a scratch database loaded. */
  restoredRows?: number;
}

export interface RestoreOptions {
  /** Restore only this tenant (from a tenant or an instance backup) into the running instance. */
  tenantSlug?: string;
  onProgress?: OnProgress;
}

export interface RestoreReport {
  id: string;
  scope: 'instance' | 'tenant';
  tenantSlugs: string[];
  rows: number;
  /** Subjects whose tombstone (or missing key) removed them after loading. */
  erasedReapplied: number;
  blobs: number;
  keyBackupId: string | null;
}

export interface TombstoneReport {
  shipped: number;
  tenants: number;
}
