/** Currencies offered first in the deal form; any ISO 4217 code the API takes may still be typed. */
export const COMMON_CURRENCIES = ['EUR', 'USD', 'GBP', 'CHF', 'SEK', 'NOK', 'DKK', 'PLN', 'JPY'];

/** How many digits a currency's minor unit has (EUR 2, JPY 0), as Intl knows it. */
export function minorDigits(currency: string): number {
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    return 2;
  }
}

/** The API keeps amounts in integer minor units: 12.50 EUR is 1250. */
export function toMinorUnits(major: number, currency: string): number {
  return Math.round(major * 10 ** minorDigits(currency));
}

export function fromMinorUnits(minor: number, currency: string): number {
  return minor / 10 ** minorDigits(currency);
}

/** Sums amounts per currency (amounts in different currencies are never added together). */
export function totalsByCurrency(deals: Array<{ amount?: number | undefined; currency?: string | undefined }>): Array<[string, number]> {
  const totals = new Map<string, number>();
  for (const deal of deals) {
    if (deal.amount === undefined || !deal.currency) continue;
    totals.set(deal.currency, (totals.get(deal.currency) ?? 0) + deal.amount);
  }
  return [...totals.entries()].sort(([a], [b]) => a.localeCompare(b));
}

/** The separators an amount is typed with in a locale (nl-NL 1.234,56; en-GB 1,234.56), as Intl writes them. */
export function amountSeparators(locale: string): { decimalSeparator: string; thousandSeparator: string } {
  const parts = new Intl.NumberFormat(locale, { useGrouping: true }).formatToParts(12345.6);
  return {
    decimalSeparator: parts.find((part) => part.type === 'decimal')?.value ?? '.',
    thousandSeparator: parts.find((part) => part.type === 'group')?.value ?? ',',
  };
}
