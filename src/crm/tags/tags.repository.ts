import { sql, type Expression, type Kysely, type SqlBool } from 'kysely';
import type { Database } from '../../db/schema.js';
import { newId } from '../../shared/ids.js';

// The only SQL over tags and which record carries which.

export async function listTags(db: Kysely<Database>, tenantId: string) {
  return db
    .selectFrom('tags')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .orderBy(sql`lower(name)`)
    .execute();
}

export async function findTag(db: Kysely<Database>, tenantId: string, id: string) {
  return db.selectFrom('tags').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
}

export async function insertTag(db: Kysely<Database>, tenantId: string, row: { id: string; name: string; color: string | null }) {
  return db
    .insertInto('tags')
    .values({ ...row, tenant_id: tenantId })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function updateTag(db: Kysely<Database>, tenantId: string, id: string, values: { name?: string; color?: string | null }) {
  return db.updateTable('tags').set(values).where('tenant_id', '=', tenantId).where('id', '=', id).returningAll().executeTakeFirst();
}

export async function deleteTag(db: Kysely<Database>, tenantId: string, id: string): Promise<boolean> {
  const result = await db.deleteFrom('tags').where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
  return result.numDeletedRows === 1n;
}

/** The tags with these names (any case), created where missing; concurrent writers agree on one row per name. */
export async function ensureTags(db: Kysely<Database>, tenantId: string, names: string[]) {
  if (names.length === 0) return [];
  const values = names.map((name) => ({ tenant_id: tenantId, id: newId(), name, color: null }));
  await db
    .insertInto('tags')
    .values(values)
    .onConflict((oc) => oc.expression(sql`tenant_id, lower(name)`).doNothing())
    .execute();
  return db
    .selectFrom('tags')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where(
      sql`lower(name)`,
      'in',
      names.map((n) => n.toLowerCase()),
    )
    .execute();
}

export async function replaceRecordTags(db: Kysely<Database>, tenantId: string, module: string, recordId: string, tagIds: string[]) {
  await db
    .deleteFrom('record_tags')
    .where('tenant_id', '=', tenantId)
    .where('module', '=', module)
    .where('record_id', '=', recordId)
    .execute();
  if (tagIds.length === 0) return;
  await db
    .insertInto('record_tags')
    .values(tagIds.map((tag_id) => ({ tenant_id: tenantId, module, record_id: recordId, tag_id })))
    .execute();
}

export async function insertRecordTags(
  db: Kysely<Database>,
  tenantId: string,
  module: string,
  links: Array<{ recordId: string; tagId: string }>,
) {
  for (let i = 0; i < links.length; i += 1000) {
    await db
      .insertInto('record_tags')
      .values(links.slice(i, i + 1000).map((l) => ({ tenant_id: tenantId, module, record_id: l.recordId, tag_id: l.tagId })))
      .execute();
  }
}

/** Tag names per record, for a page of records. */
export async function tagNamesOf(db: Kysely<Database>, tenantId: string, module: string, recordIds: string[]) {
  if (recordIds.length === 0) return [];
  return db
    .selectFrom('record_tags')
    .innerJoin('tags', (j) => j.onRef('tags.tenant_id', '=', 'record_tags.tenant_id').onRef('tags.id', '=', 'record_tags.tag_id'))
    .select(['record_tags.record_id', 'tags.name'])
    .where('record_tags.tenant_id', '=', tenantId)
    .where('record_tags.module', '=', module)
    .where('record_tags.record_id', 'in', recordIds)
    .orderBy(sql`lower(tags.name)`)
    .execute();
}

/** A condition for list queries: the record (by its id column) carries the tag of this name. */
export function taggedWith(module: string, idColumn: Expression<string>, tenantId: string, tagName: string): Expression<SqlBool> {
  return sql<SqlBool>`exists (
    select 1 from record_tags rt join tags t on t.tenant_id = rt.tenant_id and t.id = rt.tag_id
    where rt.tenant_id = ${tenantId} and rt.module = ${module} and rt.record_id = ${idColumn} and lower(t.name) = ${tagName.toLowerCase()})`;
}
