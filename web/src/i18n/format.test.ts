import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

// useFormat() reads the language from react-i18next; here the language is whatever the test sets.
const i18n = vi.hoisted(() => ({ language: 'en' }));
vi.mock('react-i18next', () => ({ useTranslation: () => ({ i18n }) }));

const { useFormat } = await import('./format');

/** Intl writes a no-break or narrow no-break space in some places; compare with plain spaces. */
const plain = (text: string) => text.replace(/[\u00a0\u202f]/g, ' ');

function formatIn(language: string) {
  i18n.language = language;
  return useFormat();
}

describe('useFormat', () => {
  const timeZone = process.env.TZ;
  beforeEach(() => {
    process.env.TZ = 'Europe/Amsterdam';
  });
  afterEach(() => {
    if (timeZone === undefined) delete process.env.TZ;
    else process.env.TZ = timeZone;
  });

  it('formats in Dutch for nl and in British English for any other language', () => {
    expect(formatIn('nl').locale).toBe('nl-NL');
    expect(formatIn('en').locale).toBe('en-GB');
    expect(formatIn('de').locale).toBe('en-GB');
  });

  it('writes numbers with each language’s separators', () => {
    expect(plain(formatIn('en').number(1234567.5))).toBe('1,234,567.5');
    expect(plain(formatIn('nl').number(1234567.5))).toBe('1.234.567,5');
    expect(formatIn('nl').number(0)).toBe('0');
  });

  it('writes sizes in decimal units, one decimal below 100', () => {
    const en = formatIn('en');
    expect(plain(en.bytes(0))).toBe('0 bytes');
    expect(plain(en.bytes(999))).toBe('999 bytes');
    expect(plain(en.bytes(1_234))).toBe('1.2 kB');
    expect(plain(en.bytes(123_456_789))).toBe('123 MB');
    expect(plain(en.bytes(5_300_000_000))).toBe('5.3 GB');
    expect(plain(formatIn('nl').bytes(1_250_000))).toBe('1,3 MB');
    expect(plain(formatIn('nl').bytes(512))).toBe('512 byte'); // Dutch writes "byte" after a number
  });

  it('shows amounts from minor units by the currency’s number of decimals', () => {
    const en = formatIn('en');
    expect(plain(en.money(123456, 'EUR'))).toBe('€1,234.56');
    expect(plain(en.money(1500, 'JPY'))).toMatch(/^(JP)?¥1,500$/);
    expect(plain(en.money(1234567, 'KWD'))).toBe('KWD 1,234.567');
    expect(plain(en.money(-250, 'EUR'))).toBe('-€2.50');
    const nl = formatIn('nl');
    expect(plain(nl.money(123456, 'EUR'))).toBe('€ 1.234,56');
    expect(plain(nl.money(1500, 'JPY'))).toMatch(/^(JP)?¥ 1\.500$/);
    expect(plain(nl.money(1234567, 'KWD'))).toBe('KWD 1.234,567');
    expect(plain(nl.money(5, 'EUR'))).toBe('€ 0,05');
  });

  it('writes dates with the month in the user’s language', () => {
    expect(plain(formatIn('en').date('2026-03-05T10:00:00Z'))).toBe('5 Mar 2026');
    expect(plain(formatIn('nl').date('2026-03-05T10:00:00Z'))).toMatch(/^5 mrt\.? 2026$/);
    expect(plain(formatIn('nl').date(new Date(Date.UTC(2026, 9, 17, 12))))).toMatch(/^17 okt\.? 2026$/);
  });

  it('writes a date and time in the local time zone, 24-hour', () => {
    expect(plain(formatIn('en').dateTime('2026-03-05T12:30:00Z'))).toBe('5 Mar 2026, 13:30');
    expect(plain(formatIn('nl').dateTime('2026-07-05T12:30:00Z'))).toMatch(/^5 jul\.? 2026(,| om) 14:30$/);
  });

  it('shows a date-only value (a birthday, a close date) as that day in Amsterdam', () => {
    expect(plain(formatIn('en').date('1990-05-17'))).toBe('17 May 1990');
    expect(plain(formatIn('nl').date('2026-12-31'))).toMatch(/^31 dec\.? 2026$/);
  });

  it('keeps a date-only value on its day west of UTC too', () => {
    const zone = process.env.TZ;
    process.env.TZ = 'America/New_York';
    try {
      expect(plain(formatIn('nl').date('1990-05-17'))).toMatch(/^17 mei 1990$/);
      expect(plain(formatIn('en').date('2026-01-01'))).toBe('1 Jan 2026');
    } finally {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    }
  });
});
