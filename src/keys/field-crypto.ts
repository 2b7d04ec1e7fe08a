import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { deriveKey } from './secret-box.js';

/**
 * Encryption of personal fields: AES-256-GCM with a random 96-bit nonce under
 * a key derived (HKDF) from the data subject's key. The associated data binds
 * each ciphertext to its tenant, table, row, field and key version, so a
 * ciphertext copied anywhere else does not decrypt.
 *
 * Format (stored as bytea):
 *   0      format version (1)
 *   1..2   subject key version, uint16 big-endian
 *   3..14  nonce
 *   15..   ciphertext, then the 16-byte GCM tag
 */

const FORMAT = 1;
const HEADER = 3;
const NONCE = 12;
const TAG = 16;

export interface FieldContext {
  tenantId: string;
  table: string;
  rowId: string;
  field: string;
}

export class FieldDecryptionError extends Error {
  constructor(readonly context: Omit<FieldContext, 'tenantId'>) {
    super(`field ${context.table}.${context.field} of row ${context.rowId} cannot be decrypted`);
    this.name = 'FieldDecryptionError';
  }
}

/** The per-purpose key for field encryption, derived from a subject key. */
export function fieldKey(subjectKey: Buffer): Buffer {
  return deriveKey(subjectKey, 'field-encryption');
}

function associatedData(context: FieldContext, keyVersion: number): Buffer {
  // Unit separators cannot occur in ids, table or field names.
  return Buffer.from(['custodia-field', context.tenantId, context.table, context.rowId, context.field, keyVersion].join('\u001f'));
}

export function encryptField(key: Buffer, keyVersion: number, context: FieldContext, plaintext: string): Buffer {
  const nonce = randomBytes(NONCE);
  const header = Buffer.from([FORMAT, keyVersion >> 8, keyVersion & 0xff]);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(Buffer.concat([header, associatedData(context, keyVersion)]));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return Buffer.concat([header, nonce, body, cipher.getAuthTag()]);
}

/** The subject key version a ciphertext was made with. */
export function keyVersionOf(ciphertext: Buffer): number {
  if (ciphertext.length < HEADER + NONCE + TAG || ciphertext[0] !== FORMAT) return -1;
  return (ciphertext[1]! << 8) | ciphertext[2]!;
}

/** Decrypts, or throws: a failed decryption is never garbage or an empty value. */
export function decryptField(key: Buffer, context: FieldContext, ciphertext: Buffer): string {
  const { tenantId: _tenant, ...safe } = context;
  const version = keyVersionOf(ciphertext);
  if (version < 0) throw new FieldDecryptionError(safe);
  const header = ciphertext.subarray(0, HEADER);
  const nonce = ciphertext.subarray(HEADER, HEADER + NONCE);
  const body = ciphertext.subarray(HEADER + NONCE, ciphertext.length - TAG);
  const decipher = createDecipheriv('aes-256-gcm', key, nonce);
  decipher.setAAD(Buffer.concat([header, associatedData(context, version)]));
  decipher.setAuthTag(ciphertext.subarray(ciphertext.length - TAG));
  try {
    return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
  } catch {
    throw new FieldDecryptionError(safe);
  }
}
