import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { decryptField, encryptField, fieldKey } from '../keys/field-crypto.js';
import { KeyError } from '../keys/keys.errors.js';
import type { Keyring } from '../keys/keyring.js';
import { recordsSubjectId, subjectKey, subjectKeys } from '../keys/keys.service.js';

/**
 * Where a request came from — its IP address and user agent — is personal
 * data, so it is stored only sealed (AES-256-GCM, field-crypto.ts), bound to
 * its tenant, table, row and field. A signed-in person's origin is sealed
 * under that user's own subject key, so erasing the user shreds it; an
 * anonymous one (a failed sign-in, a public page) under the tenant's
 * 'records' subject, shredded with the tenant. Sessions, security events and
 * audit entries keep it this way, each as origin_subject_id + origin_enc.
 */

export interface Origin {
  ip: string | null;
  userAgent: string | null;
}

export interface SealedOrigin {
  origin_subject_id: string;
  origin_enc: Buffer;
}

export const NO_ORIGIN = { origin_subject_id: null, origin_enc: null } as const;

const FIELD = 'origin';

/**
 * Seals an origin for one row; null when there is nothing to seal. `subjectId`
 * is the acting user's subject; without one (or once it is erased) the
 * tenant's records subject holds the key.
 */
export async function sealOrigin(
  db: Kysely<Database>,
  keyring: Keyring,
  place: { tenantId: string; table: string; rowId: string },
  subjectId: string | null | undefined,
  origin: Origin,
): Promise<SealedOrigin | null> {
  if (!origin.ip && !origin.userAgent) return null;
  const plaintext = JSON.stringify({ ip: origin.ip ?? null, userAgent: origin.userAgent ?? null });
  const context = { ...place, tenantId: place.tenantId.toLowerCase(), field: FIELD };
  let owner = subjectId ?? null;
  let key: Buffer | undefined;
  if (owner) {
    try {
      key = await subjectKey(db, keyring, place.tenantId, owner);
    } catch (error) {
      if (!(error instanceof KeyError)) throw error;
      owner = null; // an erased user's key is gone: the tenant's holds it
    }
  }
  if (!owner || !key) {
    owner = await recordsSubjectId(db, keyring, place.tenantId);
    key = await subjectKey(db, keyring, place.tenantId, owner);
  }
  return { origin_subject_id: owner, origin_enc: encryptField(fieldKey(key), 1, context, plaintext) };
}

/**
 * Opens the origins of rows of one tenant and table, by row id. Rows whose
 * subject was erased (or that have none) are absent: their origin is gone.
 */
export async function openOrigins(
  db: Kysely<Database>,
  keyring: Keyring,
  tenantId: string,
  table: string,
  rows: ReadonlyArray<{ id: string; origin_subject_id: string | null; origin_enc: Buffer | null }>,
): Promise<Map<string, Origin>> {
  const sealed = rows.filter((r) => r.origin_subject_id && r.origin_enc);
  const result = new Map<string, Origin>();
  if (sealed.length === 0) return result;
  const keys = await subjectKeys(
    db,
    keyring,
    tenantId,
    sealed.map((r) => r.origin_subject_id!),
  );
  const fieldKeys = new Map<string, Buffer>();
  for (const row of sealed) {
    const subjectKeyOfRow = keys.get(row.origin_subject_id!);
    if (!subjectKeyOfRow) continue;
    let key = fieldKeys.get(row.origin_subject_id!);
    if (!key) fieldKeys.set(row.origin_subject_id!, (key = fieldKey(subjectKeyOfRow)));
    const opened = JSON.parse(
      decryptField(key, { tenantId: tenantId.toLowerCase(), table, rowId: row.id, field: FIELD }, row.origin_enc!),
    ) as Origin;
    result.set(row.id, { ip: opened.ip ?? null, userAgent: opened.userAgent ?? null });
  }
  return result;
}
