import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { Authenticated } from '../../shared/actor.js';
import { isUniqueViolation } from '../../shared/domain-error.js';
import { newId } from '../../shared/ids.js';
import { CrmError } from '../common/crm.errors.js';
import * as repo from './tags.repository.js';

/** Tags: labels any record can carry; a tag named on a record is created if new. */

export interface Tag {
  id: string;
  name: string;
  color: string | null;
}

const COLOR = /^#[0-9a-fA-F]{6}$/;

function tagName(value: string): string {
  const name = value.trim().replace(/\s+/g, ' ');
  if (name.length < 1 || name.length > 50) throw new CrmError('invalid_field', 'a tag is 1 to 50 characters');
  return name;
}

/** The distinct, trimmed tag names of a record's input. */
export function tagNames(values: string[] | undefined): string[] {
  const seen = new Map<string, string>();
  for (const value of values ?? []) {
    const name = tagName(value);
    if (!seen.has(name.toLowerCase())) seen.set(name.toLowerCase(), name);
  }
  if (seen.size > 50) throw new CrmError('invalid_field', 'a record carries at most 50 tags');
  return [...seen.values()];
}

function toTag(row: { id: string; name: string; color: string | null }): Tag {
  return { id: row.id, name: row.name, color: row.color };
}

export async function listTags(db: Kysely<Database>, actor: Authenticated): Promise<Tag[]> {
  return (await repo.listTags(db, actor.tenantId)).map(toTag);
}

export async function createTag(db: Kysely<Database>, actor: Authenticated, input: { name: string; color?: string | null }): Promise<Tag> {
  if (input.color && !COLOR.test(input.color)) throw new CrmError('invalid_field', 'a color is #rrggbb');
  try {
    return toTag(await repo.insertTag(db, actor.tenantId, { id: newId(), name: tagName(input.name), color: input.color ?? null }));
  } catch (error) {
    if (isUniqueViolation(error)) throw new CrmError('duplicate_name', 'a tag of that name exists');
    throw error;
  }
}

export async function updateTag(
  db: Kysely<Database>,
  actor: Authenticated,
  id: string,
  input: { name?: string; color?: string | null },
): Promise<Tag> {
  if (!actor.user.isAdmin) throw new CrmError('admin_required', 'only administrators rename or recolor tags');
  if (input.color && !COLOR.test(input.color)) throw new CrmError('invalid_field', 'a color is #rrggbb');
  try {
    const values = {
      ...(input.name !== undefined ? { name: tagName(input.name) } : {}),
      ...(input.color !== undefined ? { color: input.color } : {}),
    };
    // An empty change is no change (an UPDATE without columns is not SQL).
    const row =
      Object.keys(values).length === 0 ? await repo.findTag(db, actor.tenantId, id) : await repo.updateTag(db, actor.tenantId, id, values);
    if (!row) throw new CrmError('record_not_found', 'no such tag');
    return toTag(row);
  } catch (error) {
    if (isUniqueViolation(error)) throw new CrmError('duplicate_name', 'a tag of that name exists');
    throw error;
  }
}

export async function deleteTag(db: Kysely<Database>, actor: Authenticated, id: string): Promise<void> {
  if (!actor.user.isAdmin) throw new CrmError('admin_required', 'only administrators delete tags');
  if (!(await repo.deleteTag(db, actor.tenantId, id))) throw new CrmError('record_not_found', 'no such tag');
}

/** Sets a record's tags to exactly these names. */
export async function setRecordTags(
  db: Kysely<Database>,
  tenantId: string,
  module: string,
  recordId: string,
  names: string[],
): Promise<string[]> {
  const tags = await repo.ensureTags(db, tenantId, names);
  await repo.replaceRecordTags(
    db,
    tenantId,
    module,
    recordId,
    tags.map((t) => t.id),
  );
  return tags.map((t) => t.name).sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase()));
}

/** Tags for many new records at once (imports). */
export async function tagNewRecords(
  db: Kysely<Database>,
  tenantId: string,
  module: string,
  entries: Array<{ recordId: string; names: string[] }>,
): Promise<void> {
  const names = [...new Map(entries.flatMap((e) => e.names).map((n) => [n.toLowerCase(), n])).values()];
  if (names.length === 0) return;
  const byName = new Map((await repo.ensureTags(db, tenantId, names)).map((t) => [t.name.toLowerCase(), t.id]));
  const links = entries.flatMap((e) =>
    [...new Set(e.names.map((n) => byName.get(n.toLowerCase())!))].map((tagId) => ({ recordId: e.recordId, tagId })),
  );
  await repo.insertRecordTags(db, tenantId, module, links);
}

/** Tag names of each record on a page. */
export async function tagsOf(db: Kysely<Database>, tenantId: string, module: string, recordIds: string[]): Promise<Map<string, string[]>> {
  const result = new Map<string, string[]>(recordIds.map((id) => [id, []]));
  for (const row of await repo.tagNamesOf(db, tenantId, module, recordIds)) result.get(row.record_id)?.push(row.name);
  return result;
}

export { taggedWith } from './tags.repository.js';
