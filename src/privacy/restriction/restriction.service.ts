import type { Kysely } from 'kysely';
import { requirePermission } from '../../access/access.service.js';
import { auditActorOf, recordChange } from '../../audit/recorder.js';
import type { Database } from '../../db/schema.js';
import { inTransaction } from '../../db/transaction.js';
import type { Keyring } from '../../keys/keyring.js';
import type { Authenticated } from '../../shared/actor.js';
import { PrivacyError } from '../privacy.errors.js';
import { recordsOfSubject, subjectOfPerson, type PersonTable } from '../erasure/erasure.repository.js';

/**
 * Restricting processing (Art. 18) and lifting it: a recorded decision with a
 * reason, by someone holding the privacy edit permission. The state sits on
 * every record of the person (a lead and the contact it became), and the CRM
 * refuses to change, delete, convert, export, import over or mail them while it
 * is set (crm/common/restriction.ts).
 */

export interface RestrictionState {
  restricted: boolean;
  since: Date | null;
}

async function setState(
  db: Kysely<Database>,
  keyring: Keyring,
  actor: Authenticated,
  person: { table: PersonTable; id: string },
  restrict: boolean,
  input: { reason: string; requestId?: string | undefined },
): Promise<RestrictionState> {
  await requirePermission(db, actor, 'privacy', 'edit');
  return inTransaction(db, async (trx) => {
    const subjectId = await subjectOfPerson(trx, actor.tenantId, person.table, person.id);
    if (!subjectId) throw new PrivacyError('person_not_found', `no such ${person.table === 'contacts' ? 'contact' : 'lead'}`);
    const records = await recordsOfSubject(trx, actor.tenantId, subjectId);
    const current = await trx
      .selectFrom(person.table)
      .select('restricted_at')
      .where('tenant_id', '=', actor.tenantId)
      .where('id', '=', person.id)
      .executeTakeFirstOrThrow();
    if (restrict === (current.restricted_at !== null))
      throw new PrivacyError('restriction_unchanged', restrict ? 'this person is restricted already' : 'this person is not restricted');
    const since = restrict ? new Date() : null;
    for (const table of ['contacts', 'leads'] as const)
      if (records[table].length > 0)
        await trx
          .updateTable(table)
          .set({ restricted_at: since })
          .where('tenant_id', '=', actor.tenantId)
          .where('id', 'in', records[table])
          .execute();
    await recordChange(trx, keyring, {
      tenantId: actor.tenantId,
      actor: auditActorOf(actor),
      action: restrict ? 'person.restricted' : 'person.restriction_lifted',
      entity: person.table,
      entityId: person.id,
      subjectIds: [subjectId],
      details: { requestId: input.requestId ?? null },
      // The reason is staff's words about the person: sealed under their key.
      values: { subjectId, data: { reason: input.reason } },
    });
    return { restricted: restrict, since };
  });
}

export function restrictPerson(
  db: Kysely<Database>,
  keyring: Keyring,
  actor: Authenticated,
  person: { table: PersonTable; id: string },
  input: { reason: string; requestId?: string | undefined },
): Promise<RestrictionState> {
  return setState(db, keyring, actor, person, true, input);
}

export function liftRestriction(
  db: Kysely<Database>,
  keyring: Keyring,
  actor: Authenticated,
  person: { table: PersonTable; id: string },
  input: { reason: string },
): Promise<RestrictionState> {
  return setState(db, keyring, actor, person, false, input);
}
