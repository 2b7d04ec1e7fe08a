import { fullFormats } from 'ajv-formats/dist/formats.js';

interface CheckedFormat {
  validate: (value: string) => boolean;
  compare: (a: string, b: string) => number | undefined;
}

/** The part of Ajv this needs (Fastify's ajv `onCreate` hands the instance over). */
interface FormatRegistry {
  addFormat(name: string, format: CheckedFormat & { type: 'string' }): unknown;
}

/**
 * RFC 3339 lets a date or a timestamp name years the database cannot store
 * (year 0000, or 9999-12-31T23:59-23:59, which is already year 10000 in UTC):
 * such a value passed the schema and failed in SQL as a server error. The
 * schema formats `date` and `date-time` are held to the years 1 to 9999 (of
 * the calendar date, and in UTC for timestamps), so they are refused as
 * `validation_failed` like any other malformed value.
 */
export function boundDateFormats(ajv: FormatRegistry): void {
  const dateTime = fullFormats['date-time'] as CheckedFormat;
  const date = fullFormats.date as CheckedFormat;
  ajv.addFormat('date-time', {
    type: 'string',
    validate: (value: string) => dateTime.validate(value) && inYears(new Date(value).getUTCFullYear()),
    compare: dateTime.compare,
  });
  ajv.addFormat('date', {
    type: 'string',
    validate: (value: string) => date.validate(value) && inYears(Number(value.slice(0, 4))),
    compare: date.compare,
  });
}

function inYears(year: number): boolean {
  return year >= 1 && year <= 9999;
}
