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

/** The refusal; the subject rides along (not in the answer) so the attempt can be recorded about them. */
export function restrictedError(subjectId?: string): CrmError {
  return new CrmError(
    'processing_restricted',
    'processing of this person is restricted; a privacy officer must lift the restriction first',
    subjectId ? { subjectId } : undefined,
  );
}

/** Refuses when the person of this subject is restricted: notes and activities about them are processing too. */
export async function assertSubjectUnrestricted(db: Kysely<Database>, tenantId: string, subjectId: string): Promise<void> {
  for (const table of ['contacts', 'leads'] as const) {
    const row = await db
      .selectFrom(table)
      .select('id')
      .where('tenant_id', '=', tenantId)
      .where('subject_id', '=', subjectId)
      .where('restricted_at', 'is not', null)
      .executeTakeFirst();
    if (row) throw restrictedError(subjectId);
  }
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
  target: { table: string; id: string | null },
  operation: string,
  work: () => Promise<T>,
): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof CrmError && error.code === 'processing_restricted' && !db.isTransaction) {
      let subjectId = typeof error.details?.subjectId === 'string' ? error.details.subjectId : undefined;
      if (!subjectId && target.id && (target.table === 'contacts' || target.table === 'leads'))
        subjectId = (
          await db
            .selectFrom(target.table as PersonTable)
            .select('subject_id')
            .where('tenant_id', '=', actor.tenantId)
            .where('id', '=', target.id)
            .executeTakeFirst()
        )?.subject_id;
      await recordChange(db, keyring, {
        tenantId: actor.tenantId,
        actor: auditActorOf(actor),
        action: 'person.restriction_blocked',
        entity: target.table,
        entityId: target.id,
        subjectIds: subjectId ? [subjectId] : [],
        details: { operation },
      });
    }
    throw error;
  }
}
