import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { ProblemSchema } from '../http/schemas.js';
import { PrivacyError } from './privacy.errors.js';

// Schema pieces the privacy area's route files share.

export const Uuid = () => Type.String({ format: 'uuid' });
export const IdParams = Type.Object({ id: Uuid() });
export const Problems = { 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema, 404: ProblemSchema, 409: ProblemSchema };
export const Language = Type.Enum(['en', 'nl'] as const);

/** The version a change expects: If-Match (a number, optionally quoted), else the body's `version`. */
export function ifMatch(request: FastifyRequest): number | undefined {
  const header = request.headers['if-match'];
  if (header === undefined) return undefined;
  const match = /^(?:W\/)?"?(\d+)"?$/.exec(String(header).trim());
  if (!match) throw new PrivacyError('purpose_invalid', 'If-Match must be the version');
  return Number(match[1]);
}
