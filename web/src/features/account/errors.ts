import type { TFunction } from 'i18next';
import { ApiError } from '../../api/client';

/** The message for a code the API refused: wrong code, too many tries, or something else. */
export function codeError(error: unknown, t: TFunction): string {
  if (error instanceof ApiError) {
    if (error.status === 429) return t('account.throttled', { seconds: error.retryAfterSeconds ?? 60 });
    if (error.status === 400 || error.status === 401 || error.status === 403) return t('account.codeWrong');
    return t('app.error', { detail: error.detail });
  }
  return t('app.error', { detail: String(error) });
}

/** A generic message for an error that names no field. */
export function errorMessage(error: unknown, t: TFunction): string {
  if (error instanceof ApiError) {
    if (error.status === 429) return t('account.throttled', { seconds: error.retryAfterSeconds ?? 60 });
    return t('app.error', { detail: error.detail });
  }
  return t('app.error', { detail: error instanceof Error ? error.message : String(error) });
}
