import { sql, type Insertable, type Kysely, type Selectable } from 'kysely';
import type { Database, DpaAcceptancesTable, DpaVersionsTable } from '../../db/schema.js';

// The DPA's only SQL: published texts (operator-wide, never updated) and the tenants' acceptances.

export type DpaVersionRow = Selectable<DpaVersionsTable>;
export type DpaAcceptanceRow = Selectable<DpaAcceptancesTable>;

export async function anyDpaVersion(db: Kysely<Database>): Promise<boolean> {
  return (await db.selectFrom('dpa_versions').select('version').limit(1).executeTakeFirst()) !== undefined;
}

/** Inserts a text; false when that version already has a text in that language (texts are never replaced). */
export async function insertDpaVersion(db: Kysely<Database>, row: Insertable<DpaVersionsTable>): Promise<boolean> {
  const inserted = await db
    .insertInto('dpa_versions')
    .values(row)
    .onConflict((oc) => oc.columns(['version', 'language']).doNothing())
    .returning('version')
    .executeTakeFirst();
  return inserted !== undefined;
}

/** Every published text, newest version first (a version is as new as its first text). */
export async function listDpaVersions(db: Kysely<Database>): Promise<DpaVersionRow[]> {
  return db
    .selectFrom('dpa_versions as v')
    .selectAll('v')
    .orderBy(sql`(select min(f.published_at) from dpa_versions f where f.version = v.version)`, 'desc')
    .orderBy('v.version', 'desc')
    .orderBy('v.language')
    .execute();
}

export async function dpaTextsOf(db: Kysely<Database>, version: string): Promise<DpaVersionRow[]> {
  return db.selectFrom('dpa_versions').selectAll().where('version', '=', version).orderBy('language').execute();
}

export async function insertAcceptance(db: Kysely<Database>, row: Insertable<DpaAcceptancesTable>): Promise<DpaAcceptanceRow> {
  return db.insertInto('dpa_acceptances').values(row).returningAll().executeTakeFirstOrThrow();
}

/** A tenant's acceptances, newest first. */
export async function acceptancesOf(db: Kysely<Database>, tenantId: string): Promise<DpaAcceptanceRow[]> {
  return db
    .selectFrom('dpa_acceptances')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .orderBy('accepted_at', 'desc')
    .orderBy('id', 'desc')
    .limit(500)
    .execute();
}

export async function hasAccepted(db: Kysely<Database>, tenantId: string, version: string): Promise<boolean> {
  const row = await db
    .selectFrom('dpa_acceptances')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('version', '=', version)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}
