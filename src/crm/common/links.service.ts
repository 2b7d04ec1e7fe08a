import type { Kysely } from 'kysely';
import { accessOf } from '../../access/access.service.js';
import type { Access } from '../../access/policy.js';
import type { Database } from '../../db/schema.js';
import type { Authenticated } from '../../shared/actor.js';
import { CrmError } from './crm.errors.js';
import { recordOwners, type LinkedRow, type LinkedTable } from './links.repository.js';

/**
 * Links between records (an activity's contact, a deal's organization and
 * contacts, a contact's organization …). A record the actor could not GET —
 * out of their reach under the sharing model, in a module their profile does
 * not let them view, in the recycle bin, of another tenant — does not exist
 * for them, so naming it in a link answers exactly as an unknown id does.
 */

/** Whether the actor could read this record: their profile lets them view its module and its owners are in their reach. */
export function sees(access: Access, module: LinkedTable, row: LinkedRow): boolean {
  return access.mayRead(module, { ownerId: row.owner_id, ownerGroupId: row.owner_group_id });
}

/**
 * Which of these ids a write may link to: live records of the tenant that the
 * actor could read, and those the record already links to (`kept`), which
 * stay whoever sees them. Every other id is left out, for the caller to
 * refuse them all alike.
 */
export async function linkableIds(
  db: Kysely<Database>,
  actor: Authenticated,
  module: LinkedTable,
  ids: readonly string[],
  kept: readonly string[] = [],
): Promise<Set<string>> {
  const rows = await recordOwners(db, module, actor.tenantId, [...new Set(ids)]);
  if (rows.length === 0) return new Set();
  const access = await accessOf(db, actor);
  return new Set(rows.filter((r) => kept.includes(r.id) || sees(access, module, r)).map((r) => r.id));
}

/** Whether a write may link to this record (see `linkableIds`); `kept` is the one it links to now, if any. */
export async function isLinkable(
  db: Kysely<Database>,
  actor: Authenticated,
  module: LinkedTable,
  id: string,
  kept?: string | null,
): Promise<boolean> {
  return (await linkableIds(db, actor, module, [id], kept ? [kept] : [])).has(id);
}

/** The organization a record links to (null for none); `kept` is the one it links to now, if any. */
export async function organizationOf(
  db: Kysely<Database>,
  actor: Authenticated,
  id: string | null | undefined,
  kept?: string | null,
): Promise<string | null> {
  if (id === undefined || id === null) return null;
  if (!(await isLinkable(db, actor, 'organizations', id, kept)))
    throw new CrmError('invalid_field', 'organizationId does not name an organization');
  return id;
}
