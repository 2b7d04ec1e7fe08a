import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  blindIndexTerms,
  EMAIL_INDEX,
  foldWords,
  indexKey,
  NAME_INDEX,
  nameQueryTerms,
  normalizePhone,
  PHONE_INDEX,
  wordsAndPrefixes,
} from './blind-index.js';

describe('blind index normalization', () => {
  it('folds case and accents into words', () => {
    expect(foldWords("  Zoë d'Ávila-BROWN ")).toEqual(['zoe', 'd', 'avila', 'brown']);
    expect(foldWords('Ångström Çelik')).toEqual(['angstrom', 'celik']);
  });

  it('indexes the prefixes of every word from two letters up to eight, a one-letter word whole', () => {
    expect(wordsAndPrefixes('Anna de')).toEqual(['p:an', 'p:ann', 'p:anna', 'p:de']);
    expect(wordsAndPrefixes('J. van Oudenrijnhuizen')).toEqual([
      'w:j',
      'p:va',
      'p:van',
      'p:ou',
      'p:oud',
      'p:oude',
      'p:ouden',
      'p:oudenr',
      'p:oudenri',
      'p:oudenrij',
    ]);
  });

  it('looks up each word of a query by its prefix, a one-letter word whole', () => {
    expect(nameQueryTerms('Anna Jans')).toEqual(['p:anna', 'p:jans']);
    expect(nameQueryTerms('J Oudenrijnhuizen')).toEqual(['w:j', 'p:oudenrij']);
    expect(nameQueryTerms('j')).toEqual([]);
  });

  it('normalizes phone numbers to E.164 however they are written', () => {
    const e164 = ['+31 20 123 4567', '020-1234567', '0031201234567', '(020) 123 45 67'].map((p) => normalizePhone(p));
    expect(new Set(e164.map((x) => x[0])).size).toBe(1);
    expect(e164[0]).toEqual(['+31201234567']);
    expect(normalizePhone('+1 (415) 555-0100')).toEqual(['+14155550100']);
  });
});

describe('blind index terms', () => {
  const tenantKey = randomBytes(32);

  it('are equal for equal inputs after normalization, and truncated to the planned bits', () => {
    const key = indexKey(tenantKey, EMAIL_INDEX);
    const [a] = blindIndexTerms(key, EMAIL_INDEX, 'Ann@Example.TEST ');
    const [b] = blindIndexTerms(key, EMAIL_INDEX, 'ann@example.test');
    expect(a).toBe(b);
    expect(a! >= 0 && a! < 2 ** EMAIL_INDEX.bits).toBe(true);
  });

  it('differ between tenants and between indexes for the same value', () => {
    const value = 'ann@example.test';
    const mine = blindIndexTerms(indexKey(tenantKey, EMAIL_INDEX), EMAIL_INDEX, value);
    const theirs = blindIndexTerms(indexKey(randomBytes(32), EMAIL_INDEX), EMAIL_INDEX, value);
    const otherIndex = blindIndexTerms(indexKey(tenantKey, { ...EMAIL_INDEX, name: 'contact_email' }), EMAIL_INDEX, value);
    // 16-bit terms: a chance collision is 1 in 65,536 per comparison.
    expect(mine).not.toEqual(theirs);
    expect(mine).not.toEqual(otherIndex);
  });

  it('collide by design: many values share few terms (candidates, not proof)', () => {
    const key = indexKey(tenantKey, NAME_INDEX);
    const terms = new Set<number>();
    for (let i = 0; i < 50_000; i++) terms.add(blindIndexTerms(key, { ...NAME_INDEX, normalize: (v) => [v] }, `w:${i}`)[0]!);
    expect(terms.size).toBeLessThanOrEqual(2 ** NAME_INDEX.bits);
    expect(terms.size).toBeGreaterThan(2 ** NAME_INDEX.bits * 0.9);
  });

  it('index phone numbers by their E.164 form', () => {
    const key = indexKey(tenantKey, PHONE_INDEX);
    expect(blindIndexTerms(key, PHONE_INDEX, '020-1234567')).toEqual(blindIndexTerms(key, PHONE_INDEX, '+31 20 123 4567'));
  });
});
