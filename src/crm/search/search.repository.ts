import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { OwnerScope } from '../../access/policy.js';
import { ownedBy } from '../common/ownership.js';

// Global search over the plain columns of company records. People are searched
// through their blind indexes by their own services.

function containing(text: string): string {
  return `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export async function dealsTitled(db: Kysely<Database>, tenantId: string, text: string, limit: number, scope: OwnerScope) {
  let query = db
    .selectFrom('deals')
    .select(['id', 'title', 'amount_minor', 'currency', 'status'])
    .where('tenant_id', '=', tenantId)
    .where('deleted_at', 'is', null)
    .where(sql`lower(title)`, 'like', containing(text))
    .orderBy('updated_at', 'desc')
    .limit(limit);
  if (!scope.all) query = query.where(ownedBy(scope, 'deals'));
  return query.execute();
}
