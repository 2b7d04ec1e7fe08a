import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { amountSeparators, fromMinorUnits, minorDigits, toMinorUnits, totalsByCurrency } from './money';

describe('minorDigits', () => {
  it('knows each currency’s minor unit from Intl', () => {
    expect(minorDigits('EUR')).toBe(2);
    expect(minorDigits('USD')).toBe(2);
    expect(minorDigits('JPY')).toBe(0);
    expect(minorDigits('KWD')).toBe(3);
    expect(minorDigits('BHD')).toBe(3);
  });

  it('assumes 2 for a code Intl refuses', () => {
    expect(minorDigits('EU')).toBe(2);
    expect(minorDigits('')).toBe(2);
  });
});

describe('the amount typed in the deal form', () => {
  it('is sent in minor units', () => {
    expect(toMinorUnits(12.5, 'EUR')).toBe(1250);
    expect(toMinorUnits(1234.56, 'EUR')).toBe(123456);
    expect(toMinorUnits(0, 'EUR')).toBe(0);
    expect(toMinorUnits(1500, 'JPY')).toBe(1500);
    expect(toMinorUnits(1.005, 'KWD')).toBe(1005);
    expect(toMinorUnits(12.345, 'KWD')).toBe(12345);
  });

  it('survives binary fractions (0.29 × 100 is 28.999…)', () => {
    expect(toMinorUnits(0.29, 'EUR')).toBe(29);
    expect(toMinorUnits(4.35, 'EUR')).toBe(435);
    expect(toMinorUnits(1.001, 'KWD')).toBe(1001);
  });

  it('is shown again in the currency’s units when a deal is edited', () => {
    expect(fromMinorUnits(1250, 'EUR')).toBe(12.5);
    expect(fromMinorUnits(1500, 'JPY')).toBe(1500);
    expect(fromMinorUnits(1005, 'KWD')).toBe(1.005);
  });

  it('goes to minor units and back unchanged, for any amount and currency', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 ** 13 }), fc.constantFrom('EUR', 'JPY', 'KWD', 'GBP', 'CLF'), (minor, currency) => {
        expect(toMinorUnits(fromMinorUnits(minor, currency), currency)).toBe(minor);
      }),
    );
  });

  it('is typed with the separators of the user’s language', () => {
    expect(amountSeparators('en-GB')).toEqual({ decimalSeparator: '.', thousandSeparator: ',' });
    expect(amountSeparators('nl-NL')).toEqual({ decimalSeparator: ',', thousandSeparator: '.' });
  });
});

describe('totalsByCurrency (the board’s stage totals)', () => {
  it('adds amounts per currency, never across currencies, sorted by currency', () => {
    const deals = [
      { amount: 1000, currency: 'EUR' },
      { amount: 500, currency: 'USD' },
      { amount: 250, currency: 'EUR' },
      { amount: 7000, currency: 'JPY' },
    ];
    expect(totalsByCurrency(deals)).toEqual([
      ['EUR', 1250],
      ['JPY', 7000],
      ['USD', 500],
    ]);
  });

  it('skips deals without an amount or a currency, and keeps a zero amount', () => {
    expect(
      totalsByCurrency([{ amount: 100 }, { currency: 'EUR' }, { amount: 0, currency: 'GBP' }, { amount: 5, currency: '' }, {}]),
    ).toEqual([['GBP', 0]]);
    expect(totalsByCurrency([])).toEqual([]);
  });

  it('sums exactly in minor units', () => {
    const deals = Array.from({ length: 10 }, () => ({ amount: 10, currency: 'EUR' })); // ten times EUR 0.10
    expect(totalsByCurrency(deals)).toEqual([['EUR', 100]]);
  });
});
