import type { Kysely } from 'kysely';
import { auditActorOf, recordChange } from '../../audit/recorder.js';
import type { Database } from '../../db/schema.js';
import type { Keyring } from '../../keys/keyring.js';
import type { Authenticated } from '../../shared/actor.js';
import { CrmError } from './crm.errors.js';

/**
 * Restriction of processing (Art. 18): a restricted person's records are kept
 * as they are. What would change, delete, convert or send them is refused
 * with 423 `processing_restricted`, and every refused attempt is recorded in
 * the audit trail — outside the refused change's transaction, so the record
 * of the attempt survives its rollback.
 */

export type PersonTable = 'contacts' | 'leads';

export function restrictedError(): CrmError {
  return new CrmError(
    'processing_restricted',
    'processing of this person is restricted; a privacy officer must lift the restriction first',
  );
}

/**
 * Runs a change of a person; when it was refused for restriction, records the
 * attempt. Call with the root database (not a transaction), so the record
 * commits on its own.
 */
export async function recordingBlocked<T>(
  db: Kysely<Database>,
  keyring: Keyring,
  actor: Authenticated,
  person: { table: PersonTable; id: string },
  operation: string,
  work: () => Promise<T>,
): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof CrmError && error.code === 'processing_restricted' && !db.isTransaction) {
      const row = await db
        .selectFrom(person.table)
        .select('subject_id')
        .where('tenant_id', '=', actor.tenantId)
        .where('id', '=', person.id)
        .executeTakeFirst();
      await recordChange(db, keyring, {
        tenantId: actor.tenantId,
        actor: auditActorOf(actor),
        action: 'person.restriction_blocked',
        entity: person.table,
        entityId: person.id,
        subjectIds: row ? [row.subject_id] : [],
        details: { operation },
      });
    }
    throw error;
  }
}
