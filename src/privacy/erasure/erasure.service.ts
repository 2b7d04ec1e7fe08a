import type { Kysely } from 'kysely';
import { forgetPendingSignups } from '../public/subscriptions.service.js';
import { forgetPendingLinks } from '../public-requests/public-requests.service.js';
import { requirePermission } from '../../access/access.service.js';
import { auditActorOf, recordChange, systemActor, type AuditActor } from '../../audit/recorder.js';
import type { Database, LawfulBasisName } from '../../db/schema.js';
import { inTransaction } from '../../db/transaction.js';
import type { Keyring } from '../../keys/keyring.js';
import { eraseSubject } from '../../key-lifecycle/shredding.js';
import { recordsSubjectId } from '../../keys/keys.service.js';
import type { Authenticated } from '../../shared/actor.js';
import { purge } from '../../crm/recycle-bin/recycle-bin.repository.js';
import { labelledValuesOf } from '../../crm/people/person-records.js';
import { addSuppressions, countSuppressions, removeSuppressions } from '../../crm/common/suppression.js';
import { PrivacyError } from '../privacy.errors.js';
import * as repo from './erasure.repository.js';

/**
 * Erasure (Art. 17), in one transaction: the person's e-mail addresses and
 * phone numbers go on the suppression list (as keyed hashes), their key is
 * shredded — every field ever sealed under it, in the database and in every
 * backup, is unreadable from then on — and their rows are deleted: the contact
 * and/or lead, notes, activities about them, logged e-mails, deal links and
 * consent events. The audit trail keeps the facts (who did what, when) with
 * values no key opens any more.
 */

export interface ErasureReport {
  erased: true;
  /** Rows deleted per table. */
  deleted: Record<string, number>;
  /** Suppression entries added (one per distinct e-mail address and phone number). */
  suppressed: number;
  at: Date;
}

export async function erasePerson(
  db: Kysely<Database>,
  keyring: Keyring,
  actor: Authenticated,
  person: { table: repo.PersonTable; id: string },
  options: { requestId?: string | undefined } = {},
): Promise<ErasureReport> {
  await requirePermission(db, actor, 'privacy', 'delete');
  return eraseRecords(db, keyring, actor.tenantId, person, { actor: auditActorOf(actor), userId: actor.user.id, ...options });
}

/**
 * The erasure itself, for a caller that has decided it may (a privacy officer
 * through erasePerson, the retention job with a system actor). Runs in the
 * caller's transaction when given one.
 */
export async function eraseRecords(
  db: Kysely<Database>,
  keyring: Keyring,
  tenantId: string,
  person: { table: repo.PersonTable; id: string },
  by: { actor: AuditActor; userId?: string | null; requestId?: string | undefined; reason?: string | undefined },
): Promise<ErasureReport> {
  return inTransaction(db, async (trx) => {
    const subjectId = await repo.subjectOfPerson(trx, tenantId, person.table, person.id);
    if (!subjectId) throw new PrivacyError('person_not_found', `no such ${person.table === 'contacts' ? 'contact' : 'lead'}`);
    // A legal hold keeps the person for a claim (Art. 17(3)(e)): release it, or refuse the request with that reason.
    if (await repo.heldSubject(trx, tenantId, subjectId))
      throw new PrivacyError(
        'legal_hold',
        'this person is under a legal hold; release the hold before erasing, or refuse the request for legal claims',
      );
    const records = await repo.recordsOfSubject(trx, tenantId, subjectId);

    // Read the values to suppress while the key still opens them.
    const emails: string[] = [];
    const phones: string[] = [];
    for (const table of ['contacts', 'leads'] as const)
      for (const opened of (await labelledValuesOf(trx, keyring, tenantId, table, records[table], ['emails', 'phones'])).values()) {
        emails.push(...(opened.emails ?? []).map((e) => e.value));
        phones.push(...(opened.phones ?? []).map((p) => p.value));
      }
    const suppressed = await addSuppressions(trx, keyring, tenantId, { emails, phones });

    const deleted = await repo.deletePersonalRows(trx, tenantId, subjectId, records);
    // Sign-ups and request links not yet confirmed hold the address sealed under a tenant key: they go too.
    const signups = await forgetPendingSignups(trx, keyring, tenantId, emails);
    if (signups > 0) deleted.consent_signups = signups;
    const links = await forgetPendingLinks(trx, keyring, tenantId, emails);
    if (links > 0) deleted.public_request_links = links;
    for (const table of ['contacts', 'leads'] as const)
      for (const id of records[table]) {
        await purge(trx, tenantId, table, id);
        deleted[table] = (deleted[table] ?? 0) + 1;
      }
    await eraseSubject(trx, keyring, tenantId, subjectId, { userId: by.userId ?? null });
    await recordChange(trx, keyring, {
      tenantId,
      actor: by.actor,
      action: 'person.erased',
      entity: person.table,
      entityId: person.id,
      subjectIds: [subjectId],
      details: {
        contacts: records.contacts.length,
        leads: records.leads.length,
        suppressed,
        requestId: by.requestId ?? null,
        reason: by.reason ?? null,
        tables: Object.keys(deleted).sort(),
      },
    });
    return { erased: true as const, deleted, suppressed, at: new Date() };
  });
}

/**
 * An erasure applied again to rows that came back from a backup taken before
 * it (issue 18): the person's key is already gone, so nothing is read or
 * suppressed (the suppression list came back with the backup or is newer);
 * their rows are deleted as erasure deletes them, and the fact is audited.
 * Runs in the restore's transaction.
 */
export async function removeErasedSubject(
  trx: Kysely<Database>,
  keyring: Keyring,
  tenantId: string,
  subjectId: string,
): Promise<Record<string, number>> {
  const records = await repo.recordsOfSubject(trx, tenantId, subjectId);
  const deleted = await repo.deletePersonalRows(trx, tenantId, subjectId, records);
  for (const table of ['contacts', 'leads'] as const)
    for (const id of records[table]) {
      await purge(trx, tenantId, table, id);
      deleted[table] = (deleted[table] ?? 0) + 1;
    }
  // Nothing came back (the backup was taken after the erasure): nothing to record.
  if (Object.keys(deleted).length === 0) return deleted;
  await recordChange(trx, keyring, {
    tenantId,
    actor: systemActor('restore'),
    action: 'person.erasure_reapplied',
    entity: 'subjects',
    entityId: subjectId,
    subjectIds: [subjectId],
    details: { contacts: records.contacts.length, leads: records.leads.length, tables: Object.keys(deleted).sort() },
  });
  return deleted;
}

export async function suppressionCount(
  db: Kysely<Database>,
  actor: Authenticated,
): Promise<{ emails: number; phones: number; total: number }> {
  await requirePermission(db, actor, 'privacy', 'view');
  const counts = await countSuppressions(db, actor.tenantId);
  return { ...counts, total: counts.emails + counts.phones };
}

/**
 * Takes an address or number off the suppression list: only by recording the
 * new lawful basis on which the person may be processed again (audited; the
 * value itself is never written anywhere).
 */
export async function readmit(
  db: Kysely<Database>,
  keyring: Keyring,
  actor: Authenticated,
  input: { email?: string | undefined; phone?: string | undefined; lawfulBasis: LawfulBasisName; reason: string },
): Promise<{ removed: number }> {
  await requirePermission(db, actor, 'privacy', 'edit');
  if (!input.email && !input.phone) throw new PrivacyError('readmit_invalid', 'give the e-mail address or phone number to re-admit');
  return inTransaction(db, async (trx) => {
    const removed = await removeSuppressions(trx, keyring, actor.tenantId, {
      emails: input.email ? [input.email] : [],
      phones: input.phone ? [input.phone] : [],
    });
    await recordChange(trx, keyring, {
      tenantId: actor.tenantId,
      actor: auditActorOf(actor),
      action: 'suppression.readmitted',
      entity: 'suppressions',
      details: {
        removed,
        lawfulBasis: input.lawfulBasis,
        kinds: [input.email ? 'email' : null, input.phone ? 'phone' : null].filter((k): k is string => k !== null),
      },
      // The reason is staff's own words and may name the person: sealed like every personal value.
      values: { subjectId: await recordsSubjectId(trx, keyring, actor.tenantId), data: { reason: input.reason } },
    });
    return { removed };
  });
}
