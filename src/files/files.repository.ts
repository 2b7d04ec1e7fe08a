import { sql, type Kysely, type SqlBool } from 'kysely';
import type { Database, FilesTable } from '../db/schema.js';
import { parentInReach, type ParentModule, type Reach } from '../crm/common/reach.js';

// The only SQL for files and their versions. Every function takes the tenant scope.

export type FileRow = NonNullable<Awaited<ReturnType<typeof findFile>>>;
export type VersionRow = Awaited<ReturnType<typeof listVersions>>[number];
export type ParentColumn = 'contact_id' | 'lead_id' | 'organization_id' | 'deal_id' | 'activity_id';

export async function insertFile(
  db: Kysely<Database>,
  tenantId: string,
  row: Pick<FilesTable, 'id' | 'subject_id' | 'name_enc' | 'content_type' | 'size' | 'created_by'> & Partial<Record<ParentColumn, string>>,
) {
  return db
    .insertInto('files')
    .values({ ...row, tenant_id: tenantId, current_version: 1, updated_at: new Date() })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function findFile(db: Kysely<Database>, tenantId: string, id: string) {
  return db
    .selectFrom('files')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
}

/** Locks the file row for a new version (versions of one file are numbered one after the other). */
export async function lockFile(db: Kysely<Database>, tenantId: string, id: string) {
  return db
    .selectFrom('files')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .where('deleted_at', 'is', null)
    .forUpdate()
    .executeTakeFirst();
}

export async function setCurrentVersion(
  db: Kysely<Database>,
  tenantId: string,
  id: string,
  current: { version: number; contentType: string; size: number },
) {
  return db
    .updateTable('files')
    .set({ current_version: current.version, content_type: current.contentType, size: current.size, updated_at: new Date() })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function insertVersion(
  db: Kysely<Database>,
  tenantId: string,
  row: {
    file_id: string;
    version: number;
    blob_key: string;
    size: number;
    sha256_enc: Buffer;
    content_type: string;
    created_by: string | null;
    restored_from?: number | null;
  },
) {
  return db
    .insertInto('file_versions')
    .values({ ...row, tenant_id: tenantId })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function findVersion(db: Kysely<Database>, tenantId: string, fileId: string, version: number) {
  return db
    .selectFrom('file_versions')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('file_id', '=', fileId)
    .where('version', '=', version)
    .executeTakeFirst();
}

/** Newest first, with the uploader's user id. */
export async function listVersions(db: Kysely<Database>, tenantId: string, fileId: string) {
  return db
    .selectFrom('file_versions')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('file_id', '=', fileId)
    .orderBy('version', 'desc')
    .execute();
}

export async function versionsOfFiles(db: Kysely<Database>, tenantId: string, fileIds: string[]) {
  if (fileIds.length === 0) return [];
  return db
    .selectFrom('file_versions')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('file_id', 'in', fileIds)
    .orderBy('file_id')
    .orderBy('version', 'desc')
    .execute();
}

/** The files about a person: sealed under their key, or on one of their contacts or leads. */
export async function filesOfPerson(
  db: Kysely<Database>,
  tenantId: string,
  person: { subjectId: string; contactIds: readonly string[]; leadIds: readonly string[] },
) {
  return db
    .selectFrom('files')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where((eb) =>
      eb.or([
        eb('subject_id', '=', person.subjectId),
        ...(person.contactIds.length ? [eb('contact_id', 'in', person.contactIds)] : []),
        ...(person.leadIds.length ? [eb('lead_id', 'in', person.leadIds)] : []),
      ]),
    )
    .orderBy('id')
    .execute();
}

/** Bytes the tenant stores: the size of every version whose blob still exists. */
export async function storedBytes(db: Kysely<Database>, tenantId: string): Promise<number> {
  const row = await db
    .selectFrom('file_versions')
    .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('size'), sql<number>`0`).as('bytes'))
    .where('tenant_id', '=', tenantId)
    .where('blob_key', 'is not', null)
    .executeTakeFirstOrThrow();
  return Number(row.bytes);
}

const PARENT_OF: Record<ParentModule, ParentColumn> = {
  contacts: 'contact_id',
  leads: 'lead_id',
  organizations: 'organization_id',
  deals: 'deal_id',
};

/** Newest first; with a parent, only its files; else only files whose parent the actor reaches. */
export async function listFiles(
  db: Kysely<Database>,
  tenantId: string,
  page: {
    parent?: { column: ParentColumn; id: string };
    reach: Partial<Record<ParentModule, Reach>>;
    activities: Reach;
    afterId: string | null;
    limit: number;
  },
) {
  let query = db
    .selectFrom('files')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('deleted_at', 'is', null)
    .orderBy('id', 'desc')
    .limit(page.limit);
  if (page.parent) query = query.where(page.parent.column, '=', page.parent.id);
  else {
    // Files of a record in the recycle bin are hidden with it.
    for (const [column, table] of [
      ['contact_id', 'contacts'],
      ['lead_id', 'leads'],
      ['organization_id', 'organizations'],
      ['deal_id', 'deals'],
      ['activity_id', 'activities'],
    ] as const) {
      query = query.where(
        sql<SqlBool>`not exists (select 1 from ${sql.table(table)} p where p.tenant_id = files.tenant_id and p.id = ${sql.ref(`files.${column}`)} and p.deleted_at is not null)`,
      );
    }
    for (const [parent, reach] of Object.entries(page.reach) as Array<[ParentModule, Reach]>) {
      const condition = parentInReach(`files.${PARENT_OF[parent]}`, parent, reach);
      if (condition) query = query.where(condition);
    }
    // Activities have owners like the other parents: the same condition, on their table.
    const activities = parentInReach('files.activity_id', 'activities' as ParentModule, page.activities);
    if (activities) query = query.where(activities);
  }
  if (page.afterId) query = query.where('id', '<', page.afterId);
  return query.execute();
}

/** The subject of an activity (the person's when it is about one), once the caller may see the activity. */
export async function activitySubject(db: Kysely<Database>, tenantId: string, activityId: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('activities')
    .select('subject_id')
    .where('tenant_id', '=', tenantId)
    .where('id', '=', activityId)
    .executeTakeFirst();
  return row?.subject_id;
}

/** Removes a file and (by cascade) its versions' rows; answers the blob keys to delete. */
export async function deleteFile(db: Kysely<Database>, tenantId: string, id: string): Promise<string[]> {
  const versions = await db
    .selectFrom('file_versions')
    .select('blob_key')
    .where('tenant_id', '=', tenantId)
    .where('file_id', '=', id)
    .execute();
  await db.deleteFrom('files').where('tenant_id', '=', tenantId).where('id', '=', id).execute();
  return versions.flatMap((v) => (v.blob_key ? [v.blob_key] : []));
}

// --- the version tiers job ---------------------------------------------------------------------

/**
 * Files that have a version which may expire: not the file's current one,
 * created before `allBefore`, blob still there, and neither the file's person
 * nor its deal under an unreleased legal hold.
 */
export async function filesWithExpiringVersions(
  db: Kysely<Database>,
  allBefore: Date,
  limit: number,
  where: { after?: { tenantId: string; fileId: string }; only?: { tenantId: string; fileId: string } } = {},
) {
  let query = db
    .selectFrom('file_versions as v')
    .innerJoin('files as f', (j) => j.onRef('f.tenant_id', '=', 'v.tenant_id').onRef('f.id', '=', 'v.file_id'))
    .select(['v.tenant_id', 'v.file_id'])
    .distinct()
    .where('v.blob_key', 'is not', null)
    .where('v.created_at', '<', allBefore)
    .whereRef('v.version', '<>', 'f.current_version')
    .where(
      sql<SqlBool>`not exists (select 1 from legal_holds h where h.tenant_id = f.tenant_id and h.released_at is null
        and (h.subject_id = f.subject_id or (h.person_table = 'deals' and h.person_id = f.deal_id)))`,
    )
    .orderBy('v.tenant_id')
    .orderBy('v.file_id')
    .limit(limit);
  const { after, only } = where;
  if (only) query = query.where('v.tenant_id', '=', only.tenantId).where('v.file_id', '=', only.fileId);
  if (after)
    query = query.where((eb) =>
      eb.or([eb('v.tenant_id', '>', after.tenantId), eb.and([eb('v.tenant_id', '=', after.tenantId), eb('v.file_id', '>', after.fileId)])]),
    );
  return query.execute();
}

/** A file's versions, newest first, with its current version. */
export async function versionsOf(db: Kysely<Database>, tenantId: string, fileId: string) {
  return db
    .selectFrom('file_versions as v')
    .innerJoin('files as f', (j) => j.onRef('f.tenant_id', '=', 'v.tenant_id').onRef('f.id', '=', 'v.file_id'))
    .select(['v.version', 'v.created_at', 'v.blob_key', 'f.current_version'])
    .where('v.tenant_id', '=', tenantId)
    .where('v.file_id', '=', fileId)
    .orderBy('v.version', 'desc')
    .execute();
}

export async function markExpired(db: Kysely<Database>, tenantId: string, fileId: string, version: number, at: Date) {
  return db
    .updateTable('file_versions')
    .set({ blob_key: null, expired_at: at })
    .where('tenant_id', '=', tenantId)
    .where('file_id', '=', fileId)
    .where('version', '=', version)
    .where('blob_key', 'is not', null)
    .returning(['version'])
    .executeTakeFirst();
}

// --- the orphan job -----------------------------------------------------------------------------

/** Of these blob keys (`<tenant>/<key>` pairs), the ones a version row refers to. */
export async function referencedBlobs(db: Kysely<Database>, pairs: Array<{ tenantId: string; blobKey: string }>): Promise<Set<string>> {
  if (pairs.length === 0) return new Set();
  const rows = await db
    .selectFrom('file_versions')
    .select(['tenant_id', 'blob_key'])
    .where('blob_key', 'in', [...new Set(pairs.map((p) => p.blobKey))])
    .execute();
  return new Set(rows.map((r) => `${r.tenant_id}/${r.blob_key}`));
}

/** Every live version's blob (for the missing-blob count), a page at a time. */
export async function liveBlobs(db: Kysely<Database>, after: { tenantId: string; blobKey: string } | null, limit: number) {
  let query = db
    .selectFrom('file_versions')
    .select(['tenant_id', 'blob_key'])
    .where('blob_key', 'is not', null)
    .orderBy('tenant_id')
    .orderBy('blob_key')
    .limit(limit);
  if (after)
    query = query.where((eb) =>
      eb.or([eb('tenant_id', '>', after.tenantId), eb.and([eb('tenant_id', '=', after.tenantId), eb('blob_key', '>', after.blobKey)])]),
    );
  return (await query.execute()) as Array<{ tenant_id: string; blob_key: string }>;
}
