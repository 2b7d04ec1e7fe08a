import { sql, type RawBuilder, type SqlBool } from 'kysely';
import { AccessError } from '../../access/access.errors.js';
import type { Access, OwnerScope } from '../../access/policy.js';
import { CrmError } from './crm.errors.js';

/** The owners a scoped list is limited to: records of these users or assigned to these groups. */
export type Owners = Extract<OwnerScope, { all: false }>;

/** The SQL form of an owner scope, for the table whose owner columns are named (qualified when joined). */
export function ownedBy(owners: Owners, table?: string): RawBuilder<SqlBool> {
  const column = (name: string) => sql.ref(table ? `${table}.${name}` : name);
  // One array parameter each, not one per owner: with private defaults a manager's reach can be the whole tenant.
  const byUser = sql<SqlBool>`${column('owner_id')} = any(${owners.ownerIds}::uuid[])`;
  if (owners.groupIds.length === 0) return byUser;
  return sql<SqlBool>`(${byUser} or ${column('owner_group_id')} = any(${owners.groupIds}::uuid[]))`;
}

/** The scope's owners, or nothing when it reaches every record. */
export function ownersOf(scope: OwnerScope): { owners?: Owners } {
  return scope.all ? {} : { owners: scope };
}

/**
 * The group a record is assigned to after a write: unchanged when not named,
 * none for null, else a group of the tenant — one the actor belongs to,
 * unless they are an administrator, so nobody hands records to a team they
 * cannot reach themselves by accident.
 */
export function ownerGroupOf(access: Access, groupId: string | null | undefined, current: string | null = null): string | null {
  if (groupId === undefined || groupId === current) return current;
  if (groupId === null) return null;
  if (!access.groupExists(groupId)) throw new CrmError('invalid_field', 'ownerGroupId does not name a group');
  if (!access.isAdmin && !access.groupIds.has(groupId)) {
    throw new AccessError('permission_denied', 'you may assign records only to groups you belong to');
  }
  return groupId;
}
