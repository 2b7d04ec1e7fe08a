import { createHmac } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import { normalizeEmail, normalizePhone } from '../../keys/blind-index.js';
import type { Keyring } from '../../keys/keyring.js';
import { deriveKey } from '../../keys/secret-box.js';
import { CrmError } from './crm.errors.js';

/**
 * The suppression list: what is left of an erased person so they cannot come
 * back — a keyed hash of each normalized e-mail address and phone number
 * (HMAC-SHA-256 under a key derived from the instance key, bound to the
 * tenant), never the value. Creating a person (API, lead conversion), adding an
 * address to one, importing and the public forms consult it. Only staff
 * recording a new lawful basis take an address off it (privacy/erasure).
 */

export interface ContactValues {
  emails?: readonly string[];
  phones?: readonly string[];
}

type Kind = 'email' | 'phone';

function hashOf(keyring: Keyring, tenantId: string, kind: Kind, normalized: string): Buffer {
  return createHmac('sha256', deriveKey(keyring.instanceKey, 'suppression')).update(`${tenantId}|${kind}|${normalized}`, 'utf8').digest();
}

/** The hashes of the values, each with its kind; values that normalize to nothing are left out. */
export function suppressionHashes(keyring: Keyring, tenantId: string, values: ContactValues): Array<{ kind: Kind; hash: Buffer }> {
  const out: Array<{ kind: Kind; hash: Buffer }> = [];
  for (const e of values.emails ?? [])
    for (const n of normalizeEmail(e)) out.push({ kind: 'email', hash: hashOf(keyring, tenantId, 'email', n) });
  for (const p of values.phones ?? [])
    for (const n of normalizePhone(p)) out.push({ kind: 'phone', hash: hashOf(keyring, tenantId, 'phone', n) });
  return out;
}

/** Which of these hashes are on the list (hex). */
async function listed(db: Kysely<Database>, tenantId: string, hashes: readonly Buffer[]): Promise<Set<string>> {
  if (hashes.length === 0) return new Set();
  const rows = await db.selectFrom('suppressions').select('hash').where('tenant_id', '=', tenantId).where('hash', 'in', hashes).execute();
  return new Set(rows.map((r) => Buffer.from(r.hash).toString('hex')));
}

export async function isSuppressed(db: Kysely<Database>, keyring: Keyring, tenantId: string, values: ContactValues): Promise<boolean> {
  const hashes = suppressionHashes(keyring, tenantId, values).map((h) => h.hash);
  return (await listed(db, tenantId, hashes)).size > 0;
}

/** For many people at once (imports): the indexes of those with a suppressed value. */
export async function suppressedIndexes(
  db: Kysely<Database>,
  keyring: Keyring,
  tenantId: string,
  people: readonly ContactValues[],
): Promise<Set<number>> {
  const perPerson = people.map((p) => suppressionHashes(keyring, tenantId, p).map((h) => h.hash));
  const hit = await listed(db, tenantId, perPerson.flat());
  const out = new Set<number>();
  perPerson.forEach((hashes, i) => {
    if (hashes.some((h) => hit.has(h.toString('hex')))) out.add(i);
  });
  return out;
}

/** 409 `suppressed` when any value belongs to an erased person. The message names no value. */
export async function assertNotSuppressed(db: Kysely<Database>, keyring: Keyring, tenantId: string, values: ContactValues): Promise<void> {
  if (await isSuppressed(db, keyring, tenantId, values))
    throw new CrmError(
      'suppressed',
      'an e-mail address or phone number given belongs to a person who was erased; a privacy officer can re-admit it by recording a new lawful basis',
    );
}

export async function addSuppressions(db: Kysely<Database>, keyring: Keyring, tenantId: string, values: ContactValues): Promise<number> {
  const entries = suppressionHashes(keyring, tenantId, values);
  if (entries.length === 0) return 0;
  const result = await db
    .insertInto('suppressions')
    .values(entries.map((e) => ({ tenant_id: tenantId, hash: e.hash, kind: e.kind })))
    .onConflict((oc) => oc.columns(['tenant_id', 'hash']).doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0);
}

export async function removeSuppressions(db: Kysely<Database>, keyring: Keyring, tenantId: string, values: ContactValues): Promise<number> {
  const hashes = suppressionHashes(keyring, tenantId, values).map((h) => h.hash);
  if (hashes.length === 0) return 0;
  const result = await db.deleteFrom('suppressions').where('tenant_id', '=', tenantId).where('hash', 'in', hashes).executeTakeFirst();
  return Number(result.numDeletedRows);
}

export async function countSuppressions(db: Kysely<Database>, tenantId: string): Promise<{ emails: number; phones: number }> {
  const rows = await db
    .selectFrom('suppressions')
    .select(['kind', db.fn.countAll<string>().as('n')])
    .where('tenant_id', '=', tenantId)
    .groupBy('kind')
    .execute();
  const of = (k: Kind) => Number(rows.find((r) => r.kind === k)?.n ?? 0);
  return { emails: of('email'), phones: of('phone') };
}
