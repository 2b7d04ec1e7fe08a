import { useTranslation } from 'react-i18next';

const isCalendarDate = (value: string | Date) => typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value);

/** Intl formatters in the current language: use these for every date, number and amount shown. */
export function useFormat() {
  const { i18n } = useTranslation();
  const locale = i18n.language === 'nl' ? 'nl-NL' : 'en-GB';
  return {
    locale,
    // A calendar date (a birthday, a close date: YYYY-MM-DD) is the same day everywhere: shown in UTC,
    // where `new Date('1990-05-17')` puts it, not moved to the previous day west of Greenwich.
    date: (value: string | Date) =>
      new Intl.DateTimeFormat(locale, { dateStyle: 'medium', ...(isCalendarDate(value) ? { timeZone: 'UTC' } : {}) }).format(
        new Date(value),
      ),
    dateTime: (value: string | Date) =>
      new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(value)),
    number: (value: number) => new Intl.NumberFormat(locale).format(value),
    /** A size in bytes in the largest decimal unit that keeps it ≥ 1 (1.2 MB, 950 kB), as disks and S3 count. */
    bytes: (value: number) => {
      const units = ['byte', 'kilobyte', 'megabyte', 'gigabyte', 'terabyte'] as const;
      let unit = 0;
      let scaled = value;
      while (Math.abs(scaled) >= 1000 && unit < units.length - 1) {
        scaled /= 1000;
        unit++;
      }
      const digits = unit === 0 || Math.abs(scaled) >= 100 ? 0 : 1;
      // "999 bytes", but "1.2 kB" (the long form of the larger units is "kilobytes").
      const unitDisplay = unit === 0 ? 'long' : 'short';
      return new Intl.NumberFormat(locale, { style: 'unit', unit: units[unit], unitDisplay, maximumFractionDigits: digits }).format(scaled);
    },
    /** Amounts are in minor units (1250 EUR is EUR 12.50). */
    money: (minorUnits: number, currency: string) => {
      const format = new Intl.NumberFormat(locale, { style: 'currency', currency });
      const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
      return format.format(minorUnits / 10 ** digits);
    },
  };
}
