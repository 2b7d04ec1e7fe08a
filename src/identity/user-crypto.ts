import type { Kysely } from 'kysely';
import type { Database, UserRow } from '../db/schema.js';
import { EMAIL_INDEX, foldWords, NAME_INDEX, nameQueryTerms, normalizeEmail, type BlindIndexSpec } from '../keys/blind-index.js';
import type { Keyring } from '../keys/keyring.js';
import type { Reindexer } from '../key-lifecycle/rotation.js';
import { createSubject, findCandidates, indexRecord, openField, sealField } from '../keys/keys.service.js';
import * as users from './users.repository.js';

/**
 * Users are people too: their name and e-mail address are encrypted under a
 * subject key of their own and found by blind indexes, like every other
 * person in the CRM. This module is the one place that opens and seals them.
 */

export type UserRecord = Omit<UserRow, 'email' | 'name'> & { email: string; name: string };

export const USER_EMAIL_INDEX: BlindIndexSpec = { ...EMAIL_INDEX, name: 'user_email' };
export const USER_NAME_INDEX: BlindIndexSpec = { ...NAME_INDEX, name: 'user_name' };

function ref(row: Pick<UserRow, 'tenant_id' | 'id'> & { subject_id: string }, field: string) {
  return { tenantId: row.tenant_id, subjectId: row.subject_id, table: 'users', rowId: row.id, field };
}

export async function openUser(db: Kysely<Database>, keyring: Keyring, row: UserRow): Promise<UserRecord> {
  if (!row.subject_id || !row.email_enc || !row.name_enc) {
    // Written before encryption and not yet moved (see encryptLegacyUsers).
    return { ...row, email: row.email ?? '', name: row.name ?? '' };
  }
  const withSubject = { ...row, subject_id: row.subject_id };
  const [email, name] = await Promise.all([
    openField(db, keyring, ref(withSubject, 'email'), row.email_enc),
    openField(db, keyring, ref(withSubject, 'name'), row.name_enc),
  ]);
  return { ...row, email, name };
}

export async function loadUser(db: Kysely<Database>, keyring: Keyring, tenantId: string, userId: string): Promise<UserRecord | undefined> {
  const row = await users.findUserById(db, tenantId, userId);
  return row ? openUser(db, keyring, row) : undefined;
}

export async function sealUserFields(
  db: Kysely<Database>,
  keyring: Keyring,
  user: { tenant_id: string; id: string; subject_id: string },
  fields: { email?: string; name?: string },
): Promise<{ email_enc?: Buffer; name_enc?: Buffer }> {
  return {
    ...(fields.email !== undefined ? { email_enc: await sealField(db, keyring, ref(user, 'email'), fields.email) } : {}),
    ...(fields.name !== undefined ? { name_enc: await sealField(db, keyring, ref(user, 'name'), fields.name) } : {}),
  };
}

export async function indexUser(
  db: Kysely<Database>,
  keyring: Keyring,
  user: { tenant_id: string; id: string; subject_id: string; email: string; name: string },
  onlyVersion?: number,
): Promise<void> {
  await indexRecord(
    db,
    keyring,
    user.tenant_id,
    { table: 'users', id: user.id, subjectId: user.subject_id },
    [
      { spec: USER_EMAIL_INDEX, values: [user.email] },
      { spec: USER_NAME_INDEX, values: [user.name] },
    ],
    onlyVersion,
  );
}

/** A new user's subject, sealed fields and index terms; the caller inserts the row in the same transaction. */
export async function newUserSubject(db: Kysely<Database>, keyring: Keyring, tenantId: string): Promise<string> {
  return (await createSubject(db, keyring, tenantId, 'user')).id;
}

/** The user with this e-mail address (case-insensitive) in the tenant, found through the blind index. */
export async function findUserByEmail(
  db: Kysely<Database>,
  keyring: Keyring,
  tenantId: string,
  email: string,
): Promise<UserRecord | undefined> {
  const wanted = email.trim().toLowerCase();
  const candidates = await findCandidates(db, keyring, tenantId, 'users', USER_EMAIL_INDEX, normalizeEmail(email));
  const rows = await users.findUsersByIds(db, tenantId, candidates);
  const legacy = await users.findLegacyUserByEmail(db, tenantId, wanted);
  for (const row of legacy ? [...rows, legacy] : rows) {
    const user = await openUser(db, keyring, row);
    if (user.email.toLowerCase() === wanted) return user;
  }
  return undefined;
}

/** Users whose name has words starting with the query's words. */
export async function searchUsersByName(db: Kysely<Database>, keyring: Keyring, tenantId: string, query: string): Promise<UserRecord[]> {
  const terms = nameQueryTerms(query);
  const candidates = await findCandidates(db, keyring, tenantId, 'users', USER_NAME_INDEX, terms);
  const opened = await Promise.all((await users.findUsersByIds(db, tenantId, candidates)).map((r) => openUser(db, keyring, r)));
  const queryWords = foldWords(query);
  // Confirm after decryption: truncated index terms collide by design.
  return opened.filter((u) => {
    const words = foldWords(u.name);
    return queryWords.every((q, i) => (i < queryWords.length - 1 ? words.includes(q) : words.some((w) => w.startsWith(q))));
  });
}

/** Re-computes users' index terms under one tenant key version (key rotation). */
export const reindexUsers: Reindexer = async (db, keyring, tenantId, version, afterId, limit) => {
  const rows = await users.listUsersAfter(db, tenantId, afterId, limit);
  for (const row of rows) {
    if (!row.subject_id) continue;
    const user = await openUser(db, keyring, row);
    await indexUser(db, keyring, { ...user, subject_id: row.subject_id }, version);
  }
  return rows.length ? rows[rows.length - 1]!.id : null;
};

/**
 * Moves users written before encryption existed into ciphertext: a subject
 * each, sealed fields, index terms, plaintext cleared. Runs at start; cheap
 * when there is nothing to do.
 */
export async function encryptLegacyUsers(db: Kysely<Database>, keyring: Keyring): Promise<number> {
  let moved = 0;
  for (;;) {
    const batch = await users.findLegacyUsers(db, 100);
    if (batch.length === 0) return moved;
    for (const row of batch) {
      await db.transaction().execute(async (trx) => {
        const subjectId = await newUserSubject(trx, keyring, row.tenant_id);
        const user = { tenant_id: row.tenant_id, id: row.id, subject_id: subjectId };
        const sealed = await sealUserFields(trx, keyring, user, { email: row.email ?? '', name: row.name ?? '' });
        await users.updateUser(trx, row.tenant_id, row.id, { ...sealed, subject_id: subjectId, email: null, name: null });
        await indexUser(trx, keyring, { ...user, email: row.email ?? '', name: row.name ?? '' });
      });
      moved++;
    }
  }
}
