import type { FastifyRequest, onRequestHookHandler } from 'fastify';
import type { Authenticated, RequestOrigin } from '../shared/actor.js';
import { DomainError } from '../shared/domain-error.js';

declare module 'fastify' {
  interface FastifyRequest {
    auth: Authenticated | null;
    /** The session secret when the request came with the session cookie. */
    cookieSession: string | null;
  }
}

/**
 * The sign-in hooks a domain's routes run before their handlers, made by
 * identity (identity/auth.ts) and handed to each domain's routes by
 * src/server.ts, so that a domain's routes need not depend on identity.
 */
export interface SignInHooks {
  /** A signed-in user, or an API token with the read scope for safe methods and write for the rest. */
  user: onRequestHookHandler;
  /** A signed-in user, or an API token with the admin scope; the service still checks the user is an administrator. */
  admin: onRequestHookHandler;
}

/** The signed-in actor of a route behind a sign-in hook. */
export function actorOf(request: FastifyRequest): Authenticated {
  if (!request.auth) throw new DomainError('unauthenticated', 'unauthenticated', 'sign in first');
  return request.auth;
}

export function originOf(request: FastifyRequest): RequestOrigin {
  const userAgent = request.headers['user-agent'];
  return { ip: request.ip, ...(userAgent ? { userAgent } : {}) };
}
