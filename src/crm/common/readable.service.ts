import type { Kysely } from 'kysely';
import { accessOf } from '../../access/access.service.js';
import type { Database } from '../../db/schema.js';
import type { Authenticated } from '../../shared/actor.js';
import { noteParentsAmong } from '../notes/notes.repository.js';
import { recordOwners, type OwnedTable } from './links.repository.js';

/**
 * Which records the actor could read now, for answers that speak of records
 * without handing them out (the audit trail's old and new values): the
 * profile lets them view the module and the record's owners are in their
 * reach — for a note, its parent's. Records in the recycle bin count as
 * their owners' still; ids of other kinds or of other tenants never do.
 */

const OWNED: readonly OwnedTable[] = ['contacts', 'leads', 'organizations', 'deals', 'activities'];

/** The readable ones among these records, as `<entity>:<id>`. */
export async function readableRecords(
  db: Kysely<Database>,
  actor: Authenticated,
  refs: ReadonlyArray<{ entity: string; id: string }>,
): Promise<Set<string>> {
  const readable = new Set<string>();
  if (refs.length === 0) return readable;
  const access = await accessOf(db, actor);
  const idsOf = (entity: string) => [...new Set(refs.filter((r) => r.entity === entity).map((r) => r.id))];
  const reached = async (module: OwnedTable, ids: string[]): Promise<string[]> => {
    if (ids.length === 0 || !access.can(module, 'view')) return [];
    const rows = await recordOwners(db, module, actor.tenantId, ids, { binned: true });
    return rows.filter((r) => access.mayRead(module, { ownerId: r.owner_id, ownerGroupId: r.owner_group_id })).map((r) => r.id);
  };
  for (const module of OWNED) for (const id of await reached(module, idsOf(module))) readable.add(`${module}:${id}`);

  const noteIds = idsOf('notes');
  if (noteIds.length > 0 && access.can('notes', 'view')) {
    const notes = await noteParentsAmong(db, actor.tenantId, noteIds);
    const parents = [
      ['contacts', 'contact_id'],
      ['leads', 'lead_id'],
      ['organizations', 'organization_id'],
      ['deals', 'deal_id'],
    ] as const;
    for (const [module, column] of parents) {
      const seen = new Set(await reached(module, [...new Set(notes.flatMap((n) => (n[column] ? [n[column]] : [])))]));
      for (const n of notes) if (n[column] && seen.has(n[column])) readable.add(`notes:${n.id}`);
    }
  }
  return readable;
}
