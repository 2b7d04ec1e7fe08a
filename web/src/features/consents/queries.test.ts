import i18next from 'i18next';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../api/client';
import en from './locales/en.json';
import nl from './locales/nl.json';
import { consentProblem } from './queries';

// Refusals of the consent API are told in the user's language from their problem code.

const i18n = i18next.createInstance();
await i18n.init({
  lng: 'en',
  resources: {
    en: { translation: { ...en, app: { error: 'Something went wrong: {{detail}}' } } },
    nl: { translation: { ...nl, app: { error: 'Er ging iets mis: {{detail}}' } } },
  },
});

describe('consentProblem', () => {
  it('names the ledger rule that refused, in the user language', async () => {
    const objection = new ApiError(409, 'marketing_objection', 'this person objected to direct marketing; …');
    expect(consentProblem(objection, i18n.t)).toBe(en.consents.errors.marketing_objection);
    expect(consentProblem(new ApiError(400, 'notice_required', 'x'), i18n.t)).toBe(en.consents.errors.notice_required);
    await i18n.changeLanguage('nl');
    expect(consentProblem(objection, i18n.t)).toBe(nl.consents.errors.marketing_objection);
    await i18n.changeLanguage('en');
  });

  it('treats any 403 as not allowed, and tells anything else with the API own detail', () => {
    expect(consentProblem(new ApiError(403, 'scope_missing', 'the API token lacks the write scope'), i18n.t)).toBe(
      en.consents.errors.permission_denied,
    );
    expect(consentProblem(new ApiError(400, 'validation_failed', 'request does not match the schema'), i18n.t)).toBe(
      'Something went wrong: request does not match the schema',
    );
    expect(consentProblem(new TypeError('Failed to fetch'), i18n.t)).toBe('Something went wrong: Failed to fetch');
  });
});
