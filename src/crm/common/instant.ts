import { CrmError } from './crm.errors.js';

/**
 * A point in time from a request field (an ISO date or date-time, or a Date a
 * service already holds); `expected` says what the field takes in the error.
 */
export function instant(value: string | Date | undefined, field: string, expected = 'a date or date-time'): Date | undefined {
  if (value === undefined) return undefined;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new CrmError('invalid_field', `${field} must be ${expected}`);
  return date;
}
