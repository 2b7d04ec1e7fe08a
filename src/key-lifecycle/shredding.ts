import type { Kysely } from 'kysely';
import { recordSecurityEvent } from '../audit/security-events.js';
import type { Database } from '../db/schema.js';
import { KeyError } from '../keys/keys.errors.js';
import * as repo from '../keys/keys.repository.js';
import type { Keyring } from '../keys/keyring.js';

/**
 * Destroying keys, each act recorded in the audit trail in the same
 * transaction. Apart from keys.service.ts because the audit writer itself
 * seals with subject keys: keys.service.ts must not need the writer.
 */

/** Terminating a tenant: every version of its key goes, and with them all its personal data. */
export async function destroyTenantKeys(db: Kysely<Database>, keyring: Keyring, tenantId: string): Promise<void> {
  const destroyed = await repo.destroyTenantKeys(db, tenantId, new Date());
  await repo.deleteTenantSubjectKeys(db, tenantId);
  keyring.forgetTenant(tenantId);
  await recordSecurityEvent(db, keyring, { tenantId, type: 'key.tenant_destroyed', details: { versions: destroyed } });
}

/**
 * Crypto-shredding: the subject's key is destroyed (and dropped from the
 * cache), so every field ever encrypted under it, in the database, its
 * files and every backup, is unreadable for good. Their index terms go too.
 */
export async function eraseSubject(
  db: Kysely<Database>,
  keyring: Keyring,
  tenantId: string,
  subjectId: string,
  actor: { userId?: string | null } = {},
): Promise<void> {
  const subject = await repo.findSubject(db, tenantId, subjectId);
  if (!subject) throw new KeyError('subject_not_found', 'no such subject');
  await repo.deleteSubjectKey(db, tenantId, subjectId, new Date());
  keyring.forgetSubject(tenantId, subjectId);
  await recordSecurityEvent(db, keyring, {
    tenantId,
    type: 'key.subject_shredded',
    actorUserId: actor.userId ?? null,
    details: { subjectId, kind: subject.kind },
  });
}
