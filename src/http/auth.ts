import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { IdentityError } from '../identity/identity.errors.js';
import { authenticate, type Authenticated, type IdentitySettings } from '../identity/identity.service.js';

declare module 'fastify' {
  interface FastifyRequest {
    auth: Authenticated | null;
  }
}

export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer ([A-Za-z0-9_\-.~+/]+=*)$/.exec(header);
  return match?.[1];
}

/** An onRequest hook for routes that need a signed-in user. */
export function requireAuth(db: Kysely<Database>, settings: IdentitySettings) {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const token = bearerToken(request);
    if (!token) throw new IdentityError('unauthenticated', 'sign in first: send Authorization: Bearer <token>');
    request.auth = await authenticate(db, settings, token);
  };
}

/** The signed-in actor of a route that ran `requireAuth`. */
export function actorOf(request: FastifyRequest): Authenticated {
  if (!request.auth) throw new IdentityError('unauthenticated', 'sign in first');
  return request.auth;
}
