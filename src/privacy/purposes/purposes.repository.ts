import type { Kysely, Selectable } from 'kysely';
import type { Database, PrivacyNoticesTable, PurposesTable } from '../../db/schema.js';

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
