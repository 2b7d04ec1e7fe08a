import { randomBytes } from 'node:crypto';
import { Readable, pipeline } from 'node:stream';
import type { Kysely } from 'kysely';
import { requirePermission } from '../access/access.service.js';
import type { Access } from '../access/policy.js';
import { auditActorOf, recordChange, recordRead } from '../audit/recorder.js';
import { getActivity } from '../crm/activities/activities.service.js';
import { CrmError } from '../crm/common/crm.errors.js';
import { reachOf } from '../crm/common/reach.js';
import { assertSubjectUnrestricted, recordingBlocked } from '../crm/common/restriction.js';
import { getDeal } from '../crm/deals/deals.service.js';
import { getOrganization } from '../crm/organizations/organizations.service.js';
import { contactSubjectId } from '../crm/people/contacts.service.js';
import { leadSubjectId } from '../crm/people/leads.service.js';
import type { Database } from '../db/schema.js';
import { loadUser } from '../identity/user-crypto.js';
import { decryptField, encryptField, fieldKey } from '../keys/field-crypto.js';
import type { Keyring } from '../keys/keyring.js';
import { recordsSubjectId, subjectKey, subjectKeys } from '../keys/keys.service.js';
import { deriveKey } from '../keys/secret-box.js';
import { decryptRange, decryptStream, encryptStream, StreamDecryptionError } from '../keys/stream-crypto.js';
import type { Authenticated } from '../shared/actor.js';
import { decodeCursor, pageOf, pageSize } from '../shared/cursor.js';
import { newId } from '../shared/ids.js';
import { ObjectNotFoundError, type ObjectStore } from '../storage/object-store.js';
import { ContentMeter, parseRange, sanitizeName, type Measured } from './content.js';
import { FileError } from './files.errors.js';
import * as repo from './files.repository.js';

/**
 * Files attached to one record, with every version. A version's bytes are
 * streamed (never held whole) through a meter (size, SHA-256, type from the
 * bytes) and chunked AES-256-GCM into the blob store at
 * `tenants/<tenant>/<blobKey>`, under a key derived from the file's subject
 * key: the person's for a file on a contact or lead (or on an activity about
 * them), else the tenant's records subject. Each version's stream is bound to
 * `file|<tenant>|<file>|<version>`, so a blob cannot be passed off as another
 * version or file. Erasing the person shreds their key: every version is
 * unreadable at once, wherever a copy went.
 *
 * Seeing a file is seeing its record (a file of a record the actor cannot see
 * does not exist for them), plus the `files` module of their profile.
 */

export const FILE_PARENTS = ['contactId', 'leadId', 'organizationId', 'dealId', 'activityId'] as const;
export type FileParent = (typeof FILE_PARENTS)[number];
export type FileParentRef = Partial<Record<FileParent, string>>;
const COLUMNS = {
  contactId: 'contact_id',
  leadId: 'lead_id',
  organizationId: 'organization_id',
  dealId: 'deal_id',
  activityId: 'activity_id',
} as const satisfies Record<FileParent, repo.ParentColumn>;

export interface FileLimits {
  maxFileBytes: number;
  tenantQuotaBytes: number;
}

/** What the files service works with: the database, keys, the blob store and the limits. */
export interface FilesContext {
  db: Kysely<Database>;
  keyring: Keyring;
  store: ObjectStore;
  limits: FileLimits;
}

export interface FileView {
  id: string;
  name: string;
  size: number;
  contentType: string;
  version: number;
  contactId: string | null;
  leadId: string | null;
  organizationId: string | null;
  dealId: string | null;
  activityId: string | null;
  createdBy: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface FileVersionView {
  version: number;
  size: number;
  contentType: string;
  /** SHA-256 of the content, hex. */
  checksum: string;
  createdAt: Date;
  createdBy: { id: string; name: string } | null;
  /** Set when a restore made this version: the version whose content it has. */
  restoredFrom: number | null;
  expired: boolean;
  expiredAt: Date | null;
  current: boolean;
}

/** An upload's bytes and the name the client gave it. */
export interface Upload {
  stream: Readable;
  filename: string | undefined;
}

// --- keys, contexts and blobs ---------------------------------------------------------------

export function blobObjectKey(tenantId: string, blobKey: string): string {
  return `tenants/${tenantId}/${blobKey}`;
}

function streamContext(tenantId: string, fileId: string, version: number): string {
  return `file|${tenantId}|${fileId}|${version}`;
}

function contentKey(subject: Buffer): Buffer {
  return deriveKey(subject, 'file-encryption');
}

const nameRef = (tenantId: string, fileId: string) => ({ tenantId, table: 'files', rowId: fileId, field: 'name' });
const checksumRef = (tenantId: string, fileId: string, version: number) => ({
  tenantId,
  table: 'file_versions',
  rowId: `${fileId}:${version}`,
  field: 'sha256',
});

/**
 * Streams `source` through the meter and the cipher into a new blob; the blob
 * is removed again when anything fails (too large, a broken upload).
 */
async function writeBlob(
  ctx: FilesContext,
  tenantId: string,
  subject: Buffer,
  fileId: string,
  version: number,
  source: Readable,
): Promise<{ blobKey: string; measured: Measured }> {
  const blobKey = newId();
  const meter = new ContentMeter(ctx.limits.maxFileBytes);
  const sealed = pipeline(source, meter, encryptStream(contentKey(subject), streamContext(tenantId, fileId, version)), () => undefined);
  try {
    await ctx.store.put(blobObjectKey(tenantId, blobKey), sealed);
    return { blobKey, measured: meter.measured() };
  } catch (error) {
    source.destroy();
    await ctx.store.delete(blobObjectKey(tenantId, blobKey)).catch(() => undefined);
    throw error;
  }
}

/** The plaintext of a stored version, decrypted as it is read (or only the chunks of `range`). */
async function readBlob(
  ctx: FilesContext,
  tenantId: string,
  subject: Buffer,
  version: repo.VersionRow,
  range?: { start: number; end: number },
): Promise<Readable> {
  if (!version.blob_key) throw new FileError('version_expired', `version ${version.version} has expired; its content is gone`);
  const objectKey = blobObjectKey(tenantId, version.blob_key);
  const context = streamContext(tenantId, version.file_id, version.version);
  const key = contentKey(subject);
  if (range)
    return decryptRange(key, context, (start, end) => ctx.store.get(objectKey, { start, end }), version.size, range.start, range.end);
  const stored = await ctx.store.get(objectKey);
  return pipeline(stored, decryptStream(key, context), () => undefined);
}

/**
 * Reads up to the first piece of plaintext before anything is answered, so a
 * blob that fails at once (wrong key, damaged header or first chunk) is an
 * error answer, not a 200 with a broken body. Later damage still ends the
 * body early: the client sees a short, failed download, never garbage.
 */
async function primed(stream: Readable): Promise<Readable> {
  const iterator = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let first: IteratorResult<Buffer>;
  try {
    first = await iterator.next();
  } catch (error) {
    throw damaged(error);
  }
  async function* rest(): AsyncGenerator<Buffer> {
    if (first.done) return;
    yield first.value;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield next.value;
    }
  }
  return Readable.from(rest(), { objectMode: false });
}

function damaged(error: unknown): unknown {
  if (error instanceof StreamDecryptionError) return new FileError('content_damaged', 'the stored content fails its integrity check');
  if (error instanceof ObjectNotFoundError) return new FileError('content_damaged', 'the stored content is missing');
  return error;
}

// --- parents and access -------------------------------------------------------------------------

function parentOf(ref: FileParentRef): [FileParent, string] {
  const given = FILE_PARENTS.filter((p) => ref[p] !== undefined && ref[p] !== '');
  if (given.length !== 1) throw new FileError('invalid_upload', `a file hangs on exactly one of ${FILE_PARENTS.join(', ')}`);
  return [given[0]!, ref[given[0]!]!];
}

function parentOfRow(row: repo.FileRow): [FileParent, string] {
  for (const p of FILE_PARENTS) {
    const value = row[COLUMNS[p]];
    if (value) return [p, value];
  }
  throw new Error('a file without a parent');
}

/**
 * The subject whose key seals files on this parent, after checking the actor
 * sees the parent: a parent they cannot see does not exist for them.
 */
async function parentSubject(
  db: Kysely<Database>,
  keyring: Keyring,
  actor: Authenticated,
  parent: FileParent,
  id: string,
): Promise<string> {
  switch (parent) {
    case 'contactId':
      return contactSubjectId(db, actor, id);
    case 'leadId':
      return leadSubjectId(db, actor, id);
    case 'organizationId':
      await getOrganization(db, actor, id);
      return recordsSubjectId(db, keyring, actor.tenantId);
    case 'dealId':
      await getDeal(db, actor, id);
      return recordsSubjectId(db, keyring, actor.tenantId);
    case 'activityId': {
      await getActivity(db, keyring, actor, id);
      const subject = await repo.activitySubject(db, actor.tenantId, id);
      if (!subject) throw new CrmError('record_not_found', 'no such activity');
      return subject;
    }
  }
}

/** The people a file is about, for the audit trail: its subject, unless that is the tenant's records subject. */
async function aboutPeople(db: Kysely<Database>, keyring: Keyring, row: Pick<repo.FileRow, 'tenant_id' | 'subject_id'>): Promise<string[]> {
  return row.subject_id === (await recordsSubjectId(db, keyring, row.tenant_id)) ? [] : [row.subject_id];
}

function notFound(): FileError {
  return new FileError('file_not_found', 'no such file');
}

/**
 * The file, when the actor may see it (module permission and its record),
 * with its subject key. An erased subject's file is gone.
 */
async function visibleFile(
  ctx: FilesContext,
  actor: Authenticated,
  id: string,
  action: 'view' | 'edit' | 'delete',
): Promise<{ row: repo.FileRow; key: Buffer; name: string; access: Access }> {
  const access = await requirePermission(ctx.db, actor, 'files', 'view');
  const row = await repo.findFile(ctx.db, actor.tenantId, id);
  if (!row) throw notFound();
  const [parent, parentId] = parentOfRow(row);
  try {
    await parentSubject(ctx.db, ctx.keyring, actor, parent, parentId);
  } catch (error) {
    if (error instanceof CrmError && error.code === 'record_not_found') throw notFound();
    throw error;
  }
  if (action !== 'view') await requirePermission(ctx.db, actor, 'files', action);
  let key: Buffer;
  let name: string;
  try {
    key = await subjectKey(ctx.db, ctx.keyring, actor.tenantId, row.subject_id);
    name = decryptField(fieldKey(key), nameRef(row.tenant_id, row.id), row.name_enc);
  } catch {
    throw notFound();
  }
  return { row, key, name, access };
}

function toView(row: repo.FileRow, name: string): FileView {
  return {
    id: row.id,
    name,
    size: row.size,
    contentType: row.content_type,
    version: row.current_version,
    contactId: row.contact_id,
    leadId: row.lead_id,
    organizationId: row.organization_id,
    dealId: row.deal_id,
    activityId: row.activity_id,
    createdBy: row.created_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

async function assertQuota(ctx: FilesContext, tenantId: string, adding: number): Promise<void> {
  const stored = await repo.storedBytes(ctx.db, tenantId);
  if (stored + adding > ctx.limits.tenantQuotaBytes)
    throw new FileError('quota_exceeded', `the tenant's files may take ${ctx.limits.tenantQuotaBytes} bytes; this one does not fit`);
}

// --- writing --------------------------------------------------------------------------------------

/** A new file with its first version, on one record. */
export async function createFile(ctx: FilesContext, actor: Authenticated, parentRef: FileParentRef, upload: Upload): Promise<FileView> {
  await requirePermission(ctx.db, actor, 'files', 'create');
  const [parent, parentId] = parentOf(parentRef);
  const name = sanitizeName(upload.filename);
  return recordingBlocked(ctx.db, ctx.keyring, actor, { table: 'files', id: null }, 'upload file', async () => {
    const subjectId = await parentSubject(ctx.db, ctx.keyring, actor, parent, parentId);
    await assertSubjectUnrestricted(ctx.db, actor.tenantId, subjectId);
    await assertQuota(ctx, actor.tenantId, 0);
    const key = await subjectKey(ctx.db, ctx.keyring, actor.tenantId, subjectId);
    const id = newId();
    const { blobKey, measured } = await writeBlob(ctx, actor.tenantId, key, id, 1, upload.stream);
    try {
      return await ctx.db.transaction().execute(async (trx) => {
        await assertQuota({ ...ctx, db: trx }, actor.tenantId, measured.size);
        const row = await repo.insertFile(trx, actor.tenantId, {
          id,
          [COLUMNS[parent]]: parentId,
          subject_id: subjectId,
          name_enc: encryptField(fieldKey(key), 1, nameRef(actor.tenantId, id), name),
          content_type: measured.contentType,
          size: measured.size,
          created_by: actor.user.id,
        });
        await repo.insertVersion(trx, actor.tenantId, {
          file_id: id,
          version: 1,
          blob_key: blobKey,
          size: measured.size,
          sha256_enc: encryptField(fieldKey(key), 1, checksumRef(actor.tenantId, id, 1), measured.sha256.toString('hex')),
          content_type: measured.contentType,
          created_by: actor.user.id,
        });
        await recordChange(trx, ctx.keyring, {
          tenantId: actor.tenantId,
          actor: auditActorOf(actor),
          action: 'file.uploaded',
          entity: 'files',
          entityId: id,
          subjectIds: await aboutPeople(trx, ctx.keyring, row),
          fields: ['name', 'content'],
          values: { subjectId, data: { name: { new: name } } },
          details: { parent, version: 1, size: measured.size, contentType: measured.contentType },
        });
        return toView(row, name);
      });
    } catch (error) {
      await ctx.store.delete(blobObjectKey(actor.tenantId, blobKey)).catch(() => undefined);
      throw error;
    }
  });
}

/**
 * An upload whose record is not known yet (a multipart form that names it
 * after the file): its bytes wait in the store encrypted under a random key
 * that only this request holds, and are read back once the record is known.
 * Left behind by a crash, such a blob is unreadable and the orphan job
 * removes it.
 */
export async function stageUpload(
  ctx: FilesContext,
  actor: Authenticated,
  upload: Upload,
): Promise<{ filename: string | undefined; open(): Promise<Readable>; discard(): Promise<void> }> {
  await requirePermission(ctx.db, actor, 'files', 'create');
  await assertQuota(ctx, actor.tenantId, 0);
  const key = randomBytes(32);
  const stagingId = newId();
  const { blobKey, measured } = await writeBlob(ctx, actor.tenantId, key, stagingId, 0, upload.stream);
  const version = { blob_key: blobKey, file_id: stagingId, version: 0, size: measured.size } as repo.VersionRow;
  return {
    filename: upload.filename,
    open: async () => primed(await readBlob(ctx, actor.tenantId, key, version)),
    discard: () => ctx.store.delete(blobObjectKey(actor.tenantId, blobKey)).catch(() => undefined),
  };
}

/** Stores a new newest version from `source` (an upload, or an older version being restored). */
async function addVersion(
  ctx: FilesContext,
  actor: Authenticated,
  id: string,
  source: (file: { row: repo.FileRow; key: Buffer }) => Promise<Readable>,
  restoredFrom: number | null,
): Promise<FileVersionView> {
  const { row, key } = await visibleFile(ctx, actor, id, 'edit');
  return recordingBlocked(
    ctx.db,
    ctx.keyring,
    actor,
    { table: 'files', id },
    restoredFrom ? 'restore file version' : 'upload file version',
    async () => {
      await assertSubjectUnrestricted(ctx.db, actor.tenantId, row.subject_id);
      await assertQuota(ctx, actor.tenantId, 0);
      const version = row.current_version + 1;
      const { blobKey, measured } = await writeBlob(ctx, actor.tenantId, key, id, version, await source({ row, key }));
      try {
        return await ctx.db.transaction().execute(async (trx) => {
          const locked = await repo.lockFile(trx, actor.tenantId, id);
          if (!locked) throw notFound();
          if (locked.current_version !== row.current_version)
            throw new FileError('version_conflict', 'another version was stored meanwhile; send it again');
          await assertQuota({ ...ctx, db: trx }, actor.tenantId, measured.size);
          const stored = await repo.insertVersion(trx, actor.tenantId, {
            file_id: id,
            version,
            blob_key: blobKey,
            size: measured.size,
            sha256_enc: encryptField(fieldKey(key), 1, checksumRef(actor.tenantId, id, version), measured.sha256.toString('hex')),
            content_type: measured.contentType,
            created_by: actor.user.id,
            restored_from: restoredFrom,
          });
          const updated = await repo.setCurrentVersion(trx, actor.tenantId, id, {
            version,
            contentType: measured.contentType,
            size: measured.size,
          });
          await recordChange(trx, ctx.keyring, {
            tenantId: actor.tenantId,
            actor: auditActorOf(actor),
            action: restoredFrom ? 'file.version_restored' : 'file.version_uploaded',
            entity: 'files',
            entityId: id,
            subjectIds: await aboutPeople(trx, ctx.keyring, updated),
            fields: ['content'],
            details: { version, restoredFrom, size: measured.size, contentType: measured.contentType },
          });
          return versionView(stored, measured.sha256.toString('hex'), updated.current_version, actor.user);
        });
      } catch (error) {
        await ctx.store.delete(blobObjectKey(actor.tenantId, blobKey)).catch(() => undefined);
        throw error;
      }
    },
  );
}

/** A new version of a file from an upload; it becomes the current one. */
export function uploadVersion(ctx: FilesContext, actor: Authenticated, id: string, upload: Upload): Promise<FileVersionView> {
  return addVersion(ctx, actor, id, async () => upload.stream, null);
}

/** Makes an earlier version's content the newest version again (nothing is lost: the versions in between stay). */
export async function restoreVersion(ctx: FilesContext, actor: Authenticated, id: string, version: number): Promise<FileVersionView> {
  return addVersion(
    ctx,
    actor,
    id,
    async ({ row, key }) => {
      const old = await repo.findVersion(ctx.db, actor.tenantId, row.id, version);
      if (!old) throw new FileError('version_not_found', `the file has no version ${version}`);
      // Re-encrypted under the new version's context: each version owns its blob, and expires on its own.
      return primed(await readBlob(ctx, actor.tenantId, key, old));
    },
    version,
  );
}

/** Deletes a file for good: its rows now, its blobs right after (the orphan job catches any left behind). */
export async function deleteFile(ctx: FilesContext, actor: Authenticated, id: string): Promise<void> {
  const { row } = await visibleFile(ctx, actor, id, 'delete');
  const blobs = await recordingBlocked(ctx.db, ctx.keyring, actor, { table: 'files', id }, 'delete file', async () => {
    await assertSubjectUnrestricted(ctx.db, actor.tenantId, row.subject_id);
    return ctx.db.transaction().execute(async (trx) => {
      const keys = await repo.deleteFile(trx, actor.tenantId, id);
      await recordChange(trx, ctx.keyring, {
        tenantId: actor.tenantId,
        actor: auditActorOf(actor),
        action: 'file.deleted',
        entity: 'files',
        entityId: id,
        subjectIds: await aboutPeople(trx, ctx.keyring, row),
        details: { versions: keys.length },
      });
      return keys;
    });
  });
  for (const blobKey of blobs) await ctx.store.delete(blobObjectKey(actor.tenantId, blobKey)).catch(() => undefined);
}

// --- reading ----------------------------------------------------------------------------------------

export async function getFile(ctx: FilesContext, actor: Authenticated, id: string): Promise<FileView> {
  const { row, name } = await visibleFile(ctx, actor, id, 'view');
  await recordRead(ctx.db, ctx.keyring, {
    tenantId: actor.tenantId,
    actor: auditActorOf(actor),
    action: 'file.read',
    entity: 'files',
    entityId: id,
    subjectIds: await aboutPeople(ctx.db, ctx.keyring, row),
    fields: ['name'],
  });
  return toView(row, name);
}

/** Files newest first, of one record or of every record the actor sees. */
export async function listFiles(
  ctx: FilesContext,
  actor: Authenticated,
  query: FileParentRef & { limit?: number; cursor?: string },
): Promise<{ items: FileView[]; nextCursor: string | null }> {
  const access = await requirePermission(ctx.db, actor, 'files', 'view');
  const limit = pageSize(query.limit);
  const afterId = decodeCursor(query.cursor)?.id ?? null;
  const given = FILE_PARENTS.filter((p) => query[p] !== undefined);
  if (given.length > 1) throw new FileError('invalid_upload', `filter by one of ${FILE_PARENTS.join(', ')} at a time`);
  const parent = given[0];
  if (parent) await parentSubject(ctx.db, ctx.keyring, actor, parent, query[parent]!);
  const activityScope = access.can('activities', 'view') ? access.owners('activities', 'read') : undefined;
  const rows = await repo.listFiles(ctx.db, actor.tenantId, {
    ...(parent ? { parent: { column: COLUMNS[parent], id: query[parent]! } } : {}),
    reach: reachOf(access, ['contacts', 'leads', 'organizations', 'deals']),
    activities: !activityScope ? 'none' : activityScope.all ? 'all' : activityScope,
    afterId,
    limit: limit + 1,
  });
  const page = pageOf(rows, limit);
  const keys = await subjectKeys(
    ctx.db,
    ctx.keyring,
    actor.tenantId,
    page.rows.map((r) => r.subject_id),
  );
  const shown = page.rows.filter((r) => keys.has(r.subject_id));
  const items = shown.map((r) => toView(r, decryptField(fieldKey(keys.get(r.subject_id)!), nameRef(r.tenant_id, r.id), r.name_enc)));
  if (items.length > 0) {
    const records = await recordsSubjectId(ctx.db, ctx.keyring, actor.tenantId);
    await recordRead(ctx.db, ctx.keyring, {
      tenantId: actor.tenantId,
      actor: auditActorOf(actor),
      action: 'file.listed',
      entity: 'files',
      subjectIds: [...new Set(shown.map((r) => r.subject_id).filter((s) => s !== records))],
      fields: ['name'],
      details: { count: items.length },
    });
  }
  return { items, nextCursor: page.nextCursor };
}

function versionView(row: repo.VersionRow, checksum: string, current: number, by: { id: string; name: string } | null): FileVersionView {
  return {
    version: row.version,
    size: row.size,
    contentType: row.content_type,
    checksum,
    createdAt: row.created_at,
    createdBy: by,
    restoredFrom: row.restored_from,
    expired: row.expired_at !== null,
    expiredAt: row.expired_at,
    current: row.version === current,
  };
}

/** Every version, newest first: who stored it and when, size, checksum, whether it expired. */
export async function listVersions(ctx: FilesContext, actor: Authenticated, id: string): Promise<{ items: FileVersionView[] }> {
  const { row, key } = await visibleFile(ctx, actor, id, 'view');
  const versions = await repo.listVersions(ctx.db, actor.tenantId, id);
  const names = new Map<string, { id: string; name: string } | null>();
  for (const userId of new Set(versions.flatMap((v) => (v.created_by ? [v.created_by] : [])))) {
    const user = await loadUser(ctx.db, ctx.keyring, actor.tenantId, userId).catch(() => undefined);
    names.set(userId, user ? { id: user.id, name: user.name } : null);
  }
  await recordRead(ctx.db, ctx.keyring, {
    tenantId: actor.tenantId,
    actor: auditActorOf(actor),
    action: 'file.versions_listed',
    entity: 'files',
    entityId: id,
    subjectIds: await aboutPeople(ctx.db, ctx.keyring, row),
    fields: ['checksum'],
  });
  const fk = fieldKey(key);
  return {
    items: versions.map((v) =>
      versionView(
        v,
        decryptField(fk, checksumRef(row.tenant_id, id, v.version), v.sha256_enc),
        row.current_version,
        v.created_by ? (names.get(v.created_by) ?? null) : null,
      ),
    ),
  };
}

export interface FileContent {
  file: FileView;
  version: number;
  contentType: string;
  /** The whole content's size. */
  size: number;
  /** The bytes served, when a range was asked for. */
  range?: { start: number; end: number };
  body: Readable;
}

/**
 * A version's content (the current one without `version`), streamed and
 * decrypted as it goes. A restricted person's file is not handed to staff
 * (423), only to whoever holds the privacy module, and every download is
 * recorded as a read of the person's data.
 */
export async function openContent(
  ctx: FilesContext,
  actor: Authenticated,
  id: string,
  options: { version?: number | undefined; range?: string | undefined },
): Promise<FileContent> {
  const { row, key, name, access } = await visibleFile(ctx, actor, id, 'view');
  const number = options.version ?? row.current_version;
  const version = await repo.findVersion(ctx.db, actor.tenantId, id, number);
  if (!version) throw new FileError('version_not_found', `the file has no version ${number}`);
  if (!access.can('privacy', 'view'))
    await recordingBlocked(ctx.db, ctx.keyring, actor, { table: 'files', id }, 'download file', () =>
      assertSubjectUnrestricted(ctx.db, actor.tenantId, row.subject_id),
    );
  if (!version.blob_key) throw new FileError('version_expired', `version ${number} has expired; its content is gone`);
  const range = parseRange(options.range, version.size);
  await recordRead(ctx.db, ctx.keyring, {
    tenantId: actor.tenantId,
    actor: auditActorOf(actor),
    action: 'file.downloaded',
    entity: 'files',
    entityId: id,
    subjectIds: await aboutPeople(ctx.db, ctx.keyring, row),
    fields: ['content'],
    details: { version: number, ...(range ? { range: `${range.start}-${range.end}` } : {}) },
  });
  let body: Readable;
  try {
    body = await primed(await readBlob(ctx, actor.tenantId, key, version, range));
  } catch (error) {
    throw damaged(error);
  }
  return {
    file: toView(row, name),
    version: number,
    contentType: version.content_type,
    size: version.size,
    ...(range ? { range } : {}),
    body,
  };
}

// --- the person's access package -----------------------------------------------------------------

export interface PackagedFile {
  id: string;
  name: string;
  contentType: string;
  size: number;
  currentVersion: number;
  contactId: string | null;
  leadId: string | null;
  organizationId: string | null;
  dealId: string | null;
  activityId: string | null;
  createdAt: Date;
  /** Where the current version's content is in the zip. */
  path: string;
  versions: Array<{ version: number; size: number; contentType: string; checksum: string; createdAt: Date; expired: boolean }>;
}

/**
 * Every file about a person (sealed under their key, or on one of their
 * contacts or leads) with every version's metadata, for their access
 * package; the package carries the current version's content (`openPackagedFile`).
 * Compiled for the privacy officer without their record reach: the person is owed all of it.
 */
export async function filesOfPerson(
  db: Kysely<Database>,
  keyring: Keyring,
  tenantId: string,
  person: { subjectId: string; contactIds: readonly string[]; leadIds: readonly string[] },
): Promise<PackagedFile[]> {
  const rows = await repo.filesOfPerson(db, tenantId, person);
  const keys = await subjectKeys(
    db,
    keyring,
    tenantId,
    rows.map((r) => r.subject_id),
  );
  const versions = await repo.versionsOfFiles(
    db,
    tenantId,
    rows.map((r) => r.id),
  );
  return rows.flatMap((row) => {
    const key = keys.get(row.subject_id);
    if (!key) return [];
    const fk = fieldKey(key);
    const name = decryptField(fk, nameRef(tenantId, row.id), row.name_enc);
    return [
      {
        id: row.id,
        name,
        contentType: row.content_type,
        size: row.size,
        currentVersion: row.current_version,
        contactId: row.contact_id,
        leadId: row.lead_id,
        organizationId: row.organization_id,
        dealId: row.deal_id,
        activityId: row.activity_id,
        createdAt: row.created_at,
        path: `files/${row.id}/${name}`,
        versions: versions
          .filter((v) => v.file_id === row.id)
          .map((v) => ({
            version: v.version,
            size: v.size,
            contentType: v.content_type,
            checksum: decryptField(fk, checksumRef(tenantId, row.id, v.version), v.sha256_enc),
            createdAt: v.created_at,
            expired: v.expired_at !== null,
          })),
      },
    ];
  });
}

/** The current version's content of a packaged file, decrypted as it is read. */
export async function openPackagedFile(
  db: Kysely<Database>,
  keyring: Keyring,
  store: ObjectStore,
  tenantId: string,
  file: Pick<PackagedFile, 'id' | 'currentVersion'>,
): Promise<Readable> {
  const row = await repo.findFile(db, tenantId, file.id);
  const version = row ? await repo.findVersion(db, tenantId, file.id, file.currentVersion) : undefined;
  if (!row || !version) throw notFound();
  const key = await subjectKey(db, keyring, tenantId, row.subject_id);
  return readBlob({ db, keyring, store, limits: { maxFileBytes: 0, tenantQuotaBytes: 0 } }, tenantId, key, version);
}
