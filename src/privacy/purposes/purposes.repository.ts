import { sql, type Insertable, type Kysely, type Selectable, type Updateable } from 'kysely';
import type { Database, Language, PrivacyNoticesTable, PurposesTable } from '../../db/schema.js';

export type PurposeRow = Selectable<PurposesTable>;
export type NoticeRow = Selectable<PrivacyNoticesTable>;

export async function findPurpose(db: Kysely<Database>, tenantId: string, id: string): Promise<PurposeRow | undefined> {
  return db.selectFrom('purposes').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
}

export async function findPurposes(db: Kysely<Database>, tenantId: string, ids: readonly string[]): Promise<PurposeRow[]> {
  if (ids.length === 0) return [];
  return db.selectFrom('purposes').selectAll().where('tenant_id', '=', tenantId).where('id', 'in', ids).execute();
}

export async function marketingPurposes(db: Kysely<Database>, tenantId: string): Promise<PurposeRow[]> {
  return db.selectFrom('purposes').selectAll().where('tenant_id', '=', tenantId).where('marketing', '=', true).execute();
}

/** The newest notice of a purpose in a language (falling back to any language when there is none in this one). */
export async function currentNotice(
  db: Kysely<Database>,
  tenantId: string,
  purposeId: string,
  language: 'en' | 'nl',
): Promise<NoticeRow | undefined> {
  const rows = await db
    .selectFrom('privacy_notices')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('purpose_id', '=', purposeId)
    .orderBy('version', 'desc')
    .execute();
  return rows.find((r) => r.language === language) ?? rows[0];
}

export async function findNotice(db: Kysely<Database>, tenantId: string, id: string): Promise<NoticeRow | undefined> {
  return db.selectFrom('privacy_notices').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
}

// --- the purposes API (issue 16) -------------------------------------------------------------

export type NewPurposeRow = Insertable<PurposesTable>;
export type PurposeUpdate = Updateable<PurposesTable>;
export type NoticeSummaryRow = Omit<NoticeRow, 'text'>;

/** Every purpose of the tenant: active ones first, then by name. */
export async function listPurposes(db: Kysely<Database>, tenantId: string): Promise<PurposeRow[]> {
  return db
    .selectFrom('purposes')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .orderBy(sql`status = 'active'`, 'desc')
    .orderBy(sql`lower(name)`)
    .orderBy('id')
    .limit(MAX_PURPOSES)
    .execute();
}

/** How many purposes a tenant may have: the list answers them all at once. */
export const MAX_PURPOSES = 1_000;

export async function countPurposes(db: Kysely<Database>, tenantId: string): Promise<number> {
  const row = await db
    .selectFrom('purposes')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('tenant_id', '=', tenantId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function purposeNamed(db: Kysely<Database>, tenantId: string, name: string): Promise<{ id: string } | undefined> {
  return db
    .selectFrom('purposes')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where(sql`lower(name)`, '=', name.toLowerCase())
    .executeTakeFirst();
}

export async function insertPurpose(db: Kysely<Database>, row: NewPurposeRow): Promise<PurposeRow> {
  return db.insertInto('purposes').values(row).returningAll().executeTakeFirstOrThrow();
}

/** Changes a purpose if it is still at `expectedVersion` (bumping it); undefined when it moved on. */
export async function updatePurpose(
  db: Kysely<Database>,
  tenantId: string,
  id: string,
  expectedVersion: number,
  update: PurposeUpdate,
): Promise<PurposeRow | undefined> {
  return db
    .updateTable('purposes')
    .set({ ...update, version: expectedVersion + 1, updated_at: sql<Date>`now()` })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .where('version', '=', expectedVersion)
    .returningAll()
    .executeTakeFirst();
}

/** Locks a purpose for the rest of the transaction (new notice versions are numbered under it). */
export async function lockPurpose(db: Kysely<Database>, tenantId: string, id: string): Promise<PurposeRow | undefined> {
  return db.selectFrom('purposes').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).forUpdate().executeTakeFirst();
}

/** Every notice version of the tenant's purposes (or of the given ones), without their texts. */
export async function noticeSummaries(db: Kysely<Database>, tenantId: string, purposeIds?: readonly string[]): Promise<NoticeSummaryRow[]> {
  if (purposeIds?.length === 0) return [];
  return db
    .selectFrom('privacy_notices')
    .select(['tenant_id', 'id', 'purpose_id', 'language', 'version', 'sha256', 'created_by', 'created_at'])
    .where('tenant_id', '=', tenantId)
    .$if(purposeIds !== undefined, (q) => q.where('purpose_id', 'in', purposeIds!))
    .orderBy('version', 'desc')
    .execute();
}

/** A purpose's notices, every version with its text, newest first. */
export async function noticesOf(db: Kysely<Database>, tenantId: string, purposeId: string): Promise<NoticeRow[]> {
  return db
    .selectFrom('privacy_notices')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('purpose_id', '=', purposeId)
    .orderBy('created_at', 'desc')
    .orderBy('version', 'desc')
    .execute();
}

export async function latestNoticeVersion(db: Kysely<Database>, tenantId: string, purposeId: string, language: Language): Promise<number> {
  const row = await db
    .selectFrom('privacy_notices')
    .select((eb) => eb.fn.max('version').as('v'))
    .where('tenant_id', '=', tenantId)
    .where('purpose_id', '=', purposeId)
    .where('language', '=', language)
    .executeTakeFirst();
  return Number(row?.v ?? 0);
}

export async function insertNotice(db: Kysely<Database>, row: Insertable<PrivacyNoticesTable>): Promise<NoticeRow> {
  return db.insertInto('privacy_notices').values(row).returningAll().executeTakeFirstOrThrow();
}

/** The tenant's slug, for the public sign-up page's address (as identity reads a tenant's name for its mails). */
export async function tenantSlugOf(db: Kysely<Database>, tenantId: string): Promise<string | undefined> {
  return (await db.selectFrom('tenants').select('slug').where('id', '=', tenantId).executeTakeFirst())?.slug;
}
