import { ApiError } from '../api/client';

/** A 409 on a change: the record's version moved on since the form was opened. */
export function isVersionConflict(error: unknown): boolean {
  return error instanceof ApiError && error.status === 409 && error.code === 'version_conflict';
}

/**
 * The form fields a problem+json answer names, for Mantine's `form.setErrors`.
 *
 * Schema errors name their field (`body/emails/0`, turned into `emails` by client.ts). The CRM's own
 * `invalid_field` answers carry no path, only a detail such as "birthday must be a date" or "an e-mail
 * address is not valid": the field is the first of `fields` the detail names, or one whose alias it
 * contains. Whatever matches no field is left to the form's general error.
 */
export function formErrorsOf(
  error: unknown,
  fields: readonly string[],
  aliases: Record<string, readonly string[]> = {},
): Record<string, string> {
  if (!(error instanceof ApiError)) return {};
  const known = new Set(fields);
  const named = Object.fromEntries(Object.entries(error.fieldErrors()).filter(([field]) => known.has(field)));
  if (Object.keys(named).length > 0 || error.code !== 'invalid_field') return named;
  const detail = error.detail;
  const words = new Set(detail.split(/[^A-Za-z0-9_.-]+/));
  const field =
    fields.find((candidate) => words.has(candidate)) ??
    fields.find((candidate) => (aliases[candidate] ?? []).some((alias) => detail.toLowerCase().includes(alias.toLowerCase())));
  return field ? { [field]: detail } : {};
}

/** The detail of an error for an alert, when no field took it. */
export function problemDetail(error: unknown): string {
  if (error instanceof ApiError) return error.detail;
  return error instanceof Error ? error.message : String(error);
}
