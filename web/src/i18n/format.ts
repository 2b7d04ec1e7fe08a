import { useTranslation } from 'react-i18next';

/** Intl formatters in the current language: use these for every date, number and amount shown. */
export function useFormat() {
  const { i18n } = useTranslation();
  const locale = i18n.language === 'nl' ? 'nl-NL' : 'en-GB';
  return {
    locale,
    date: (value: string | Date) => new Intl.DateTimeFormat(locale, { dateStyle: 'medium' }).format(new Date(value)),
    dateTime: (value: string | Date) =>
      new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(value)),
    number: (value: number) => new Intl.NumberFormat(locale).format(value),
    /** Amounts are in minor units (1250 EUR is EUR 12.50). */
    money: (minorUnits: number, currency: string) => {
      const format = new Intl.NumberFormat(locale, { style: 'currency', currency });
      const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
      return format.format(minorUnits / 10 ** digits);
    },
  };
}
