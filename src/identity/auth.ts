import '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { ApiTokenScope, Database } from '../db/schema.js';
import type { SignInHooks } from '../http/request-context.js';
import { IdentityError } from './identity.errors.js';
import { authenticate, csrfTokenMatches, type IdentitySettings } from './identity.service.js';

export const SESSION_COOKIE = 'custodia_session';
export const CSRF_HEADER = 'x-csrf-token';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer ([A-Za-z0-9_\-.~+/]+=*)$/.exec(header);
  return match?.[1];
}

export interface AuthOptions {
  /** What an API token must allow; by default read for safe methods, write for the rest. */
  scope?: ApiTokenScope;
  /** Credential management needs a signed-in person, not an API token. */
  sessionOnly?: boolean;
  /** Open to a session that must enrol in 2FA first (enrolment itself, sign-out, /me). */
  allowDuringEnrolment?: boolean;
}

/**
 * An onRequest hook for routes that need a signed-in user. API clients send
 * `Authorization: Bearer`; the web UI relies on the HttpOnly session cookie,
 * and then every unsafe method must carry the session's CSRF token.
 */
export function requireAuth(db: Kysely<Database>, settings: IdentitySettings, options: AuthOptions = {}) {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    let secret: string | undefined;
    let viaCookie = false;
    if (request.headers.authorization !== undefined) {
      secret = bearerToken(request);
    } else {
      secret = request.cookies[SESSION_COOKIE];
      viaCookie = secret !== undefined;
    }
    if (!secret) throw new IdentityError('unauthenticated', 'sign in first: send Authorization: Bearer <token>');
    const actor = await authenticate(db, settings, secret);
    if (viaCookie) {
      if (actor.via !== 'session') throw new IdentityError('unauthenticated', 'API tokens go in the Authorization header');
      const presented = request.headers[CSRF_HEADER];
      if (!SAFE_METHODS.has(request.method) && (typeof presented !== 'string' || !csrfTokenMatches(settings, secret, presented))) {
        throw new IdentityError('csrf_failed', `send the session's CSRF token in the ${CSRF_HEADER} header`);
      }
      request.cookieSession = secret;
    }
    if (options.sessionOnly && actor.via !== 'session') {
      throw new IdentityError('session_required', 'this needs a signed-in session; API tokens cannot do it');
    }
    const needed = options.scope ?? (SAFE_METHODS.has(request.method) ? 'read' : 'write');
    if (!actor.scopes.includes(needed)) throw new IdentityError('scope_missing', `the API token lacks the ${needed} scope`);
    if (actor.mfaEnrolmentRequired && !options.allowDuringEnrolment) {
      throw new IdentityError(
        'mfa_enrolment_required',
        'your organization requires two-factor sign-in: enrol first (POST /api/v1/me/mfa/totp)',
      );
    }
    // Where the request came from travels with the actor, for the audit trail.
    request.auth = { ...actor, origin: { requestId: request.id, ip: request.ip, userAgent: request.headers['user-agent'] ?? null } };
  };
}

export function setSessionCookie(request: FastifyRequest, reply: FastifyReply, token: string, expiresAt: Date): void {
  reply.setCookie(SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: 'lax',
    secure: request.protocol === 'https',
    path: '/',
    expires: expiresAt,
  });
}

export function clearSessionCookie(reply: FastifyReply): void {
  reply.clearCookie(SESSION_COOKIE, { path: '/' });
}

/** The two sign-in hooks every domain's routes are handed (see http/request-context.ts). */
export function signInHooks(db: Kysely<Database>, settings: IdentitySettings): SignInHooks {
  return { user: requireAuth(db, settings), admin: requireAuth(db, settings, { scope: 'admin' }) };
}
