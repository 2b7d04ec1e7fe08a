import { describe, expect, it } from 'vitest';
import { addCalendarMonths, addDays, daysUntil, dueDateFor, isPastDue, utcDate } from './due-date.js';

// Art. 12(3) GDPR counted as Regulation 1182/71 counts months: the same date
// a month later, or that month's last day when it has no such date.

const at = (iso: string) => new Date(iso);

describe('the due date of a data-subject request', () => {
  it.each([
    ['2027-01-31T09:00:00Z', '2027-02-28'], // no 31 February; 2027 is not a leap year
    ['2028-01-31T09:00:00Z', '2028-02-29'], // 2028 is
    ['2028-01-30T09:00:00Z', '2028-02-29'],
    ['2028-01-29T09:00:00Z', '2028-02-29'],
    ['2027-01-28T09:00:00Z', '2027-02-28'],
    ['2027-04-30T09:00:00Z', '2027-05-30'], // not the 31st: the same date
    ['2027-03-31T09:00:00Z', '2027-04-30'],
    ['2027-05-31T09:00:00Z', '2027-06-30'],
    ['2027-08-31T09:00:00Z', '2027-09-30'],
    ['2027-12-31T09:00:00Z', '2028-01-31'], // into the next year
    ['2027-02-28T09:00:00Z', '2027-03-28'], // not the end of March
    ['2027-06-15T00:00:00Z', '2027-07-15'],
    ['2100-01-31T12:00:00Z', '2100-02-28'], // 2100 is no leap year
    ['2000-01-31T12:00:00Z', '2000-02-29'], // 2000 was
  ])('received %s is due %s', (received, due) => {
    expect(dueDateFor(at(received))).toBe(due);
  });

  it('counts the UTC calendar day of receipt', () => {
    // 00:30 on 1 March in Amsterdam is still 28 February in UTC: the earlier date, never a later one.
    expect(dueDateFor(at('2027-03-01T00:30:00+01:00'))).toBe('2027-03-28');
    expect(dueDateFor(at('2027-01-31T23:59:59.999Z'))).toBe('2027-02-28');
    expect(dueDateFor(at('2027-02-01T00:00:00Z'))).toBe('2027-03-01');
  });

  it('counts an extension from receipt, not from the first due date', () => {
    expect(dueDateFor(at('2026-12-31T10:00:00Z'), 2)).toBe('2027-03-31'); // due 31 Jan, extended by 2 months
    expect(dueDateFor(at('2026-12-31T10:00:00Z'), 1)).toBe('2027-02-28');
    expect(dueDateFor(at('2027-01-31T10:00:00Z'), 2)).toBe('2027-04-30'); // not 28 April
    expect(dueDateFor(at('2027-01-31T10:00:00Z'), 1)).toBe('2027-03-31');
    expect(dueDateFor(at('2027-11-30T10:00:00Z'), 2)).toBe('2028-02-29');
  });

  it('adds calendar months to dates', () => {
    expect(addCalendarMonths('2027-01-31', 0)).toBe('2027-01-31');
    expect(addCalendarMonths('2027-01-31', 12)).toBe('2028-01-31');
    expect(addCalendarMonths('2028-02-29', 12)).toBe('2029-02-28');
    expect(() => addCalendarMonths('2027-1-31', 1)).toThrow(RangeError);
    expect(() => addCalendarMonths('2027-01-31', -1)).toThrow(RangeError);
  });

  it('is past due only once the whole due day has gone by (UTC)', () => {
    expect(isPastDue('2027-02-28', at('2027-02-28T23:59:59Z'))).toBe(false);
    expect(isPastDue('2027-02-28', at('2027-03-01T00:00:00Z'))).toBe(true);
    expect(daysUntil('2027-02-28', at('2027-02-21T12:00:00Z'))).toBe(7);
    expect(daysUntil('2027-02-28', at('2027-02-28T23:00:00Z'))).toBe(0);
    expect(daysUntil('2027-02-28', at('2027-03-02T01:00:00Z'))).toBe(-2);
    expect(daysUntil('2027-04-01', at('2027-03-25T12:00:00Z'))).toBe(7); // across a DST change in Europe: UTC has none
    expect(addDays('2027-02-25', 7)).toBe('2027-03-04');
    expect(utcDate(at('2027-02-28T23:30:00-02:00'))).toBe('2027-03-01');
  });
});
