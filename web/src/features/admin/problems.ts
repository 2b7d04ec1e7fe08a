import type { TFunction } from 'i18next';
import { ApiError } from '../../api/client';

/** A sentence for an API error, for an alert or a notification. */
export function problemMessage(error: unknown, t: TFunction): string {
  if (error instanceof ApiError) {
    if (error.status === 403) return t('admin.errors.forbidden');
    if (error.code === 'duplicate_name') return t('admin.errors.duplicateName');
    return t('app.error', { detail: error.detail });
  }
  return t('app.error', { detail: error instanceof Error ? error.message : String(error) });
}

/**
 * The field errors of a problem+json answer, by form field; a taken name
 * (409 duplicate_name, which names no field) belongs to the name field.
 */
export function fieldErrorsOf(error: unknown, t: TFunction): Record<string, string> {
  if (!(error instanceof ApiError)) return {};
  if (error.code === 'duplicate_name') return { name: t('admin.errors.duplicateName') };
  return error.fieldErrors();
}

/** Notifications name their close button (Mantine leaves it unnamed, which axe counts as critical). */
export function closable(t: TFunction) {
  return { closeButtonProps: { 'aria-label': t('admin.close') } };
}
