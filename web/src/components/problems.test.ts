import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/client';
import { formErrorsOf, isVersionConflict, problemDetail } from './problems';

const PERSON_FIELDS = ['firstName', 'lastName', 'emails', 'phones', 'jobTitle', 'birthday', 'tags'] as const;
const ALIASES = { emails: ['e-mail'], phones: ['phone'], firstName: ['name'] };

const invalidField = (detail: string) => new ApiError(400, 'invalid_field', detail);
const schemaError = (...errors: Array<[path: string, message: string]>) =>
  new ApiError(
    400,
    'validation_failed',
    'request does not match the schema',
    errors.map(([path, message]) => ({ path, field: path.split('/')[1] ?? path, message })),
  );

describe('formErrorsOf', () => {
  it('puts schema errors on the fields they name, and drops fields the form does not have', () => {
    const error = schemaError(
      ['body/emails/0', 'must match format "email"'],
      ['body/ownerId', 'must be a uuid'],
      ['body/jobTitle', 'too long'],
    );
    expect(formErrorsOf(error, PERSON_FIELDS, ALIASES)).toEqual({ emails: 'must match format "email"', jobTitle: 'too long' });
  });

  it('guesses the field of an invalid_field answer from a field name in its detail', () => {
    expect(formErrorsOf(invalidField('birthday must be a date (YYYY-MM-DD)'), PERSON_FIELDS, ALIASES)).toEqual({
      birthday: 'birthday must be a date (YYYY-MM-DD)',
    });
    expect(formErrorsOf(invalidField('jobTitle must be at most 200 characters'), PERSON_FIELDS)).toEqual({
      jobTitle: 'jobTitle must be at most 200 characters',
    });
  });

  it('matches a field name as a whole word only', () => {
    // "tagsX" and "lastNames" are not "tags" or "lastName"; nothing else in the detail names a field.
    expect(formErrorsOf(invalidField('tagsX lastNames are odd'), PERSON_FIELDS)).toEqual({});
  });

  it('prefers a field named outright over an alias, else falls back to the first alias found', () => {
    expect(formErrorsOf(invalidField('an e-mail address is not valid'), PERSON_FIELDS, ALIASES)).toEqual({
      emails: 'an e-mail address is not valid',
    });
    expect(formErrorsOf(invalidField('A Phone number must be in E.164 form'), PERSON_FIELDS, ALIASES)).toEqual({
      phones: 'A Phone number must be in E.164 form',
    });
    expect(formErrorsOf(invalidField('lastName and the name together are too long'), PERSON_FIELDS, ALIASES)).toEqual({
      lastName: 'lastName and the name together are too long',
    });
  });

  it('leaves an answer it cannot place to the form’s general error', () => {
    expect(formErrorsOf(invalidField('the record is locked'), PERSON_FIELDS, ALIASES)).toEqual({});
    // Only invalid_field details are guessed from: a conflict that mentions a field stays general.
    expect(formErrorsOf(new ApiError(409, 'version_conflict', 'birthday was changed by someone else'), PERSON_FIELDS)).toEqual({});
    expect(formErrorsOf(new Error('birthday'), PERSON_FIELDS)).toEqual({});
    expect(formErrorsOf('birthday', PERSON_FIELDS)).toEqual({});
  });

  it('guesses from the detail when the named schema fields are not on the form', () => {
    const error = new ApiError(400, 'invalid_field', 'currency must be an upper-case ISO 4217 code such as EUR', [
      { path: 'body/other', field: 'other', message: 'unused' },
    ]);
    expect(formErrorsOf(error, ['title', 'amount', 'currency'])).toEqual({
      currency: 'currency must be an upper-case ISO 4217 code such as EUR',
    });
  });
});

describe('isVersionConflict', () => {
  it('is true only for a 409 version_conflict', () => {
    expect(isVersionConflict(new ApiError(409, 'version_conflict', 'changed'))).toBe(true);
    expect(isVersionConflict(new ApiError(409, 'duplicate_name', 'taken'))).toBe(false);
    expect(isVersionConflict(new ApiError(412, 'version_conflict', 'changed'))).toBe(false);
    expect(isVersionConflict(new Error('version_conflict'))).toBe(false);
  });
});

describe('problemDetail', () => {
  it('gives the API’s detail, an error’s message, or the thrown value as text', () => {
    expect(problemDetail(new ApiError(403, 'forbidden', 'you may not edit contacts'))).toBe('you may not edit contacts');
    expect(problemDetail(new TypeError('Failed to fetch'))).toBe('Failed to fetch');
    expect(problemDetail(42)).toBe('42');
  });
});
