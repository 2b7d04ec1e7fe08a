import { createHmac } from 'node:crypto';
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
import { deriveKey } from './secret-box.js';

/**
 * Blind indexes: keyed, truncated HMAC-SHA-256 of normalized values, so the
 * database can find candidates without holding plaintext. A match is a
 * candidate to confirm after decryption, never proof.
 *
 * Truncation follows CipherSweet's planning rule: with R rows and L bits, a
 * value collides with about R / 2^L others; keep that at 2 or more for the
 * populations we plan for, so an index value never singles a person out on
 * its own, and above 1 in 2^16 false positives per lookup so searches stay
 * cheap. See docs/security.md for what each index leaks.
 */

export interface BlindIndexSpec {
  /** Distinct per index, and part of the key derivation. */
  name: string;
  /** Bits kept of the HMAC; at most 32 (stored as int4). */
  bits: number;
  normalize(value: string): string[];
}

/** Case- and accent-folded words: "Zoë  d'Ávila-Brown" → ["zoe", "d", "avila", "brown"]. */
export function foldWords(value: string): string[] {
  return value
    .normalize('NFKD')
    .replace(/\p{Mn}/gu, '')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w.length > 0);
}

export const MIN_PREFIX = 2;
// Longer prefixes would add a term per letter for little selectivity: a
// query's longer words are cut to this and confirmed after decryption.
const MAX_PREFIX = 8;

/**
 * The prefixes of every word, from two letters up to eight, for word and
 * prefix search; a one-letter word is indexed whole. A whole word needs no
 * term of its own: a query looks it up by its (capped) prefix and the
 * decrypted name confirms it. Terms written before (words as `w:` and
 * prefixes up to twelve letters) still answer these queries.
 */
export function wordsAndPrefixes(value: string): string[] {
  const terms = new Set<string>();
  for (const word of foldWords(value)) {
    const chars = [...word];
    if (chars.length < MIN_PREFIX) terms.add(`w:${word}`);
    for (let n = MIN_PREFIX; n <= Math.min(chars.length, MAX_PREFIX); n++) terms.add(`p:${chars.slice(0, n).join('')}`);
  }
  return [...terms];
}

/** What a search for a name-like query looks up: each word by its prefix; a one-letter last word adds nothing. */
export function nameQueryTerms(query: string): string[] {
  const words = foldWords(query);
  const terms = words.map((word, i) => {
    const chars = [...word];
    if (chars.length >= MIN_PREFIX) return `p:${chars.slice(0, MAX_PREFIX).join('')}`;
    return i < words.length - 1 ? `w:${word}` : undefined;
  });
  return [...new Set(terms.filter((t): t is string => t !== undefined))];
}

export function normalizeEmail(value: string): string[] {
  const email = value.trim().toLowerCase();
  return email ? [email] : [];
}

export function normalizePhone(value: string, defaultCountry: CountryCode = 'NL'): string[] {
  const phone = parsePhoneNumberFromString(value.trim(), defaultCountry);
  if (phone?.isPossible()) return [phone.number];
  // Unparseable numbers still index by their digits, so exact re-entry finds them.
  const digits = value.replace(/\D/g, '');
  return digits.length >= 5 ? [`digits:${digits}`] : [];
}

export const EMAIL_INDEX: BlindIndexSpec = { name: 'email', bits: 16, normalize: normalizeEmail };
export const PHONE_INDEX: BlindIndexSpec = { name: 'phone', bits: 16, normalize: (v) => normalizePhone(v) };
export const NAME_INDEX: BlindIndexSpec = { name: 'name', bits: 14, normalize: wordsAndPrefixes };

/** The HMAC key of one index of one tenant (key version), derived from the tenant key. */
export function indexKey(tenantKey: Buffer, spec: BlindIndexSpec): Buffer {
  return deriveKey(tenantKey, `blind-index/${spec.name}`);
}

/** Truncates HMAC-SHA-256(key, term) to `bits`, as a signed 32-bit integer for an int4 column. */
export function indexTerm(key: Buffer, bits: number, term: string): number {
  const mac = createHmac('sha256', key).update(term, 'utf8').digest();
  return (mac.readUInt32BE(0) >>> (32 - bits)) | 0;
}

/** The index terms of a value (already normalized terms go through unchanged via `terms`). */
export function blindIndexTerms(key: Buffer, spec: BlindIndexSpec, value: string): number[] {
  return [...new Set(spec.normalize(value).map((term) => indexTerm(key, spec.bits, term)))];
}
