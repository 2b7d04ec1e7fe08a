import { sql, type RawBuilder, type SqlBool } from 'kysely';
import type { Access } from '../../access/policy.js';
import { ownedBy, type Owners } from './ownership.js';

/**
 * Records that hang on others (notes, logged e-mails) are seen with their
 * parent: these build the SQL condition "the parent is one the actor
 * reaches", so lists of them are filtered before paging like any other list.
 */

export type ParentModule = 'contacts' | 'leads' | 'organizations' | 'deals';
/** Per parent module: every record, none, or those of these owners. */
export type Reach = 'all' | 'none' | Owners;

export function reachOf(access: Access, modules: readonly ParentModule[]): Partial<Record<ParentModule, Reach>> {
  return Object.fromEntries(
    modules.map((m) => {
      if (!access.can(m, 'view')) return [m, 'none'];
      const scope = access.owners(m, 'read');
      return [m, scope.all ? 'all' : scope];
    }),
  );
}

/** `column` (of the child row) is empty or names a parent in reach. */
export function parentInReach(column: string, parent: ParentModule, reach: Reach): RawBuilder<SqlBool> | null {
  const ref = sql.ref(column);
  if (reach === 'all') return null;
  if (reach === 'none') return sql<SqlBool>`${ref} is null`;
  return sql<SqlBool>`(${ref} is null or exists (select 1 from ${sql.table(parent)} p where p.id = ${ref} and ${ownedBy(reach, 'p')}))`;
}
