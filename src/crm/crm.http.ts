import type { FastifyRequest } from 'fastify';
import { Type, type TSchema } from 'typebox';
import { ProblemSchema } from '../http/schemas.js';
import { MAX_PAGE } from './cursor.js';
import { CrmError } from './crm.errors.js';

// Schema pieces and request helpers every CRM route file shares.

export const Uuid = () => Type.String({ format: 'uuid' });
export const IdParams = Type.Object({ id: Uuid() });
export const Problems = { 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema, 404: ProblemSchema, 409: ProblemSchema };
export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
export const Page = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE, default: 50, description: `Page size, 1 to ${MAX_PAGE}` })),
  cursor: Type.Optional(Type.String({ maxLength: 500, description: 'The nextCursor of the previous page' })),
};
export const PageOf = <T extends TSchema>(item: T) => Type.Object({ items: Type.Array(item), nextCursor: Nullable(Type.String()) });
export const Version = { version: Type.Optional(Type.Integer({ minimum: 1, description: 'The version this change is based on (or send If-Match)' })) };

/** The version an update expects: If-Match (a number, optionally quoted) or the body's `version`. */
export function ifMatch(request: FastifyRequest): number | undefined {
  const header = request.headers['if-match'];
  if (header === undefined) return undefined;
  const match = /^(?:W\/)?"?(\d+)"?$/.exec(String(header).trim());
  if (!match) throw new CrmError('invalid_field', 'If-Match must be the record version');
  return Number(match[1]);
}
