import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';

/**
 * Authenticated encryption of small secrets (AES-256-GCM, random 96-bit
 * nonce) with associated data that binds a ciphertext to where it belongs,
 * so a sealed value copied to another row or column does not open.
 *
 * Format: version (1 byte) | nonce (12) | ciphertext | tag (16).
 */

const VERSION = 1;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

export class SecretBoxError extends Error {
  constructor() {
    super('sealed value could not be opened: wrong key, wrong context or tampered data');
    this.name = 'SecretBoxError';
  }
}

/** A key for one purpose, derived from a parent key with HKDF-SHA-256. */
export function deriveKey(parent: Buffer, purpose: string): Buffer {
  // HKDF-SHA-256 (RFC 5869) with an empty salt and one output block, written
  // out as its two HMACs: the same bytes as hkdfSync (the test compares them)
  // at half the cost, which a read of every person pays.
  const prk = createHmac('sha256', EMPTY_SALT).update(parent).digest();
  return createHmac('sha256', prk).update(`custodia/${purpose}`, 'utf8').update(FIRST_BLOCK).digest();
}

const EMPTY_SALT = Buffer.alloc(32);
const FIRST_BLOCK = Buffer.from([1]);

export function seal(key: Buffer, plaintext: Buffer | string, context: string): Buffer {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([Buffer.from([VERSION]), nonce, body, cipher.getAuthTag()]);
}

export function open(key: Buffer, sealed: Buffer, context: string): Buffer {
  if (sealed.length < 1 + NONCE_BYTES + TAG_BYTES || sealed[0] !== VERSION) throw new SecretBoxError();
  const nonce = sealed.subarray(1, 1 + NONCE_BYTES);
  const tag = sealed.subarray(sealed.length - TAG_BYTES);
  const body = sealed.subarray(1 + NONCE_BYTES, sealed.length - TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', key, nonce);
  decipher.setAAD(Buffer.from(context, 'utf8'));
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(body), decipher.final()]);
  } catch {
    throw new SecretBoxError();
  }
}
