/**
 * The legal clock of a data-subject request (GDPR Art. 12(3)): one calendar
 * month after receipt, extendable by two further months.
 *
 * Months are counted as Regulation (EEC, Euratom) No 1182/71 counts them
 * (Art. 3(2)(c)): the period ends on the day of the last month with the same
 * date as the day of receipt, or on that month's last day when it has no such
 * date — received 31 January, due 28 (or 29) February; 30 April → 30 May;
 * 31 March → 30 April. An extension counts from receipt too (a request of
 * 31 January extended by two months is due 30 April, not 28 April).
 *
 * Dates are calendar dates in UTC. For a tenant east of Greenwich (all of the
 * EU) the UTC date of receipt is never later than the local one, so the due
 * date is never later than a local count would make it. We do not move a due
 * date that falls on a weekend or public holiday to the next working day
 * (Art. 3(4) of the regulation would allow it): holidays differ per member
 * state, and the earlier date is always in time.
 */

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** The calendar date (YYYY-MM-DD) of a moment, in UTC. */
export function utcDate(moment: Date): string {
  return moment.toISOString().slice(0, 10);
}

function parts(date: string): [number, number, number] {
  const match = DATE.exec(date);
  if (!match) throw new RangeError(`not a calendar date: ${date}`);
  return [Number(match[1]), Number(match[2]), Number(match[3])];
}

function daysInMonth(year: number, month: number): number {
  // Day 0 of the next month is the last day of this one.
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** The same date `months` later, or the last day of that month when it has no such date. */
export function addCalendarMonths(date: string, months: number): string {
  if (!Number.isInteger(months) || months < 0) throw new RangeError('months must be a whole number ≥ 0');
  const [year, month, day] = parts(date);
  const index = year * 12 + (month - 1) + months;
  const y = Math.floor(index / 12);
  const m = (index % 12) + 1;
  const d = Math.min(day, daysInMonth(y, m));
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

/** The due date of a request received at `receivedAt`, with `extensionMonths` (0–2) of extension. */
export function dueDateFor(receivedAt: Date, extensionMonths = 0): string {
  return addCalendarMonths(utcDate(receivedAt), 1 + extensionMonths);
}

/** Past its due date: the whole due day (UTC) has gone by. */
export function isPastDue(dueDate: string, now: Date): boolean {
  return utcDate(now) > dueDate;
}

/** Whole days from today (UTC) to the due date: 0 on the day itself, negative once past. */
export function daysUntil(dueDate: string, now: Date): number {
  const [y, m, d] = parts(dueDate);
  const [ty, tm, td] = parts(utcDate(now));
  return Math.round((Date.UTC(y, m - 1, d) - Date.UTC(ty, tm - 1, td)) / 86_400_000);
}

/** The date `days` after a date (negative: before). */
export function addDays(date: string, days: number): string {
  const [y, m, d] = parts(date);
  return utcDate(new Date(Date.UTC(y, m - 1, d + days)));
}
