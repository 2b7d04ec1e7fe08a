import type { Config } from '../config.js';
import type { DatabaseHandle } from '../db/database.js';
import type { Keyring } from '../keys/keyring.js';
import type { ObjectStore } from '../storage/object-store.js';

/**
 * Backups (issue 18): a backup is objects under `backups/<id>/` in the target
 * store — a signed `manifest.json` and one encrypted, compressed data file per
 * table — and never holds key material; the key store is backed up apart
 * under `keys/<id>/`, and erasures leave tombstones under `tombstones/` that
 * every restore applies.
 */

export interface BackupContext {
  config: Config;
  database: DatabaseHandle;
  keyring: Keyring;
  /** The backup target: openObjectStore(config.backups.target, config.s3). */
  store: ObjectStore;
  /** Where file versions' bytes live: openObjectStore(config.files.store, config.s3). */
  filesStore: ObjectStore;
  now?: () => Date;
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

export async function createBackup(ctx: BackupContext, options: CreateOptions = {}): Promise<BackupSummary> {
  void ctx;
  void options;
  throw new Error('not yet');
}

/** Backs up the key store under `keys/<id>/` and rotates key backups older than config.backups.keyBackupDays (the newest always stays). */
export async function backupKeys(ctx: BackupContext, options: { onProgress?: OnProgress } = {}): Promise<BackupSummary> {
  void ctx;
  void options;
  throw new Error('not yet');
}

/** Every backup in the target, newest first (key backups with scope 'keys'). */
export async function listBackups(ctx: BackupContext, options: { keys?: boolean } = {}): Promise<BackupSummary[]> {
  void ctx;
  void options;
  throw new Error('not yet');
}

/** Signature and checksums; `full` also decrypts and parses every table and compares row counts. */
export async function verifyBackup(ctx: BackupContext, id: string, options: { full?: boolean } = {}): Promise<VerifyReport> {
  void ctx;
  void id;
  void options;
  throw new Error('not yet');
}

/** Removes a backup's objects (manifest last-but-first, so a half-deleted backup is never listed). */
export async function deleteBackup(ctx: BackupContext, id: string): Promise<void> {
  void ctx;
  void id;
  throw new Error('not yet');
}

/** Writes a signed tombstone for every erased subject and destroyed tenant not shipped yet. */
export async function shipTombstones(ctx: BackupContext): Promise<TombstoneReport> {
  void ctx;
  throw new Error('not yet');
}

export async function restoreBackup(ctx: BackupContext, id: string, options: RestoreOptions = {}): Promise<RestoreReport> {
  void ctx;
  void id;
  void options;
  throw new Error('not yet');
}
