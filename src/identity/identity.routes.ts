import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { listSecurityEvents } from '../audit/security-events.js';
import type { DatabaseHandle } from '../db/database.js';
import { clearSessionCookie, requireAuth, setSessionCookie, CSRF_HEADER, type AuthOptions } from './auth.js';
import { actorOf, originOf } from '../http/request-context.js';
import { DateTime, ProblemSchema, SecurityEventSchema } from '../http/schemas.js';
import {
  csrfTokenFor,
  listMySessions,
  revokeMySession,
  signIn,
  signOut,
  signOutEverywhere,
  type IdentitySettings,
  type SignedIn,
} from './identity.service.js';
import {
  completeMfaSignIn,
  confirmTotpEnrolment,
  disableTotp,
  regenerateRecoveryCodes,
  remainingRecoveryCodes,
  startTotpEnrolment,
} from './mfa.service.js';
import { changePassword, confirmPasswordReset, requestPasswordReset } from './password.service.js';
import { createApiToken, listApiTokens, MAX_TOKEN_DAYS, revokeApiToken } from './tokens.service.js';
import { updateMe } from './users.service.js';

export const LanguageSchema = Type.Union([Type.Literal('en'), Type.Literal('nl')]);

export const UserSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  tenantId: Type.String({ format: 'uuid' }),
  email: Type.String(),
  name: Type.String(),
  isAdmin: Type.Boolean(),
  status: Type.Union([Type.Literal('active'), Type.Literal('deactivated')]),
  language: LanguageSchema,
  mfaEnabled: Type.Boolean(),
  roleId: Type.Union([Type.String({ format: 'uuid' }), Type.Null()], { description: 'Null: the root role' }),
  profileId: Type.Union([Type.String({ format: 'uuid' }), Type.Null()], { description: 'Null: Administrator or Standard, after isAdmin' }),
  createdAt: DateTime(),
});

const SignedInSchema = Type.Object({
  token: Type.String({ description: 'Session token for Authorization: Bearer; also set as an HttpOnly cookie' }),
  expiresAt: DateTime(),
  csrfToken: Type.String({ description: `Send in ${CSRF_HEADER} on unsafe requests authenticated by the cookie` }),
  mfaEnrolmentRequired: Type.Boolean(),
  user: UserSchema,
});

const MfaChallengeSchema = Type.Object({
  mfaRequired: Type.Literal(true),
  challenge: Type.String(),
  expiresAt: DateTime(),
});

const Password = Type.String({ minLength: 1, maxLength: 1024 });
const Code = Type.String({ minLength: 6, maxLength: 32, description: 'A 6-digit TOTP code or a recovery code' });
const IdParams = Type.Object({ id: Type.String({ format: 'uuid' }) });
const Problems = { 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema, 404: ProblemSchema, 409: ProblemSchema, 429: ProblemSchema };
const ScopeSchema = Type.Union([Type.Literal('read'), Type.Literal('write'), Type.Literal('admin')]);

export function registerIdentityRoutes(
  server: FastifyInstance,
  database: DatabaseHandle,
  settings: IdentitySettings,
  background: (task: () => Promise<void>) => void,
): void {
  const app = server.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = database;
  const { keyring } = settings;
  const auth = (options: AuthOptions = {}) => requireAuth(db, settings, options);

  function signedIn(request: FastifyRequest, reply: FastifyReply, result: SignedIn) {
    setSessionCookie(request, reply, result.token, result.expiresAt);
    return { ...result, csrfToken: csrfTokenFor(settings, result.token) };
  }

  app.post(
    '/api/v1/auth/login',
    {
      schema: {
        tags: ['sign-in'],
        summary: 'Sign in with tenant, e-mail address and password',
        description: 'Answers a session, or a challenge for POST /api/v1/auth/mfa when two-factor sign-in is on.',
        body: Type.Object(
          {
            tenant: Type.String({ minLength: 1, maxLength: 63, description: 'The tenant slug' }),
            email: Type.String({ minLength: 3, maxLength: 254 }),
            password: Password,
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Union([SignedInSchema, MfaChallengeSchema]), ...Problems },
      },
    },
    async (request, reply) => {
      const result = await signIn(db, settings, { ...request.body, ...originOf(request) });
      if (result.mfaRequired) return { mfaRequired: true as const, challenge: result.challenge, expiresAt: result.expiresAt };
      return signedIn(request, reply, result);
    },
  );

  app.post(
    '/api/v1/auth/mfa',
    {
      schema: {
        tags: ['sign-in'],
        summary: 'Second step of sign-in: the challenge and a TOTP or recovery code',
        body: Type.Object({ challenge: Type.String({ minLength: 20, maxLength: 200 }), code: Code }, { additionalProperties: false }),
        response: { 200: SignedInSchema, ...Problems },
      },
    },
    async (request, reply) => signedIn(request, reply, await completeMfaSignIn(db, settings, { ...request.body, ...originOf(request) })),
  );

  app.post(
    '/api/v1/auth/logout',
    {
      onRequest: auth({ allowDuringEnrolment: true }),
      schema: { tags: ['sign-in'], summary: 'End this session', response: { 204: Type.Null(), ...Problems } },
    },
    async (request, reply) => {
      await signOut(db, keyring, actorOf(request), originOf(request));
      clearSessionCookie(reply);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/api/v1/auth/session',
    {
      onRequest: auth({ allowDuringEnrolment: true }),
      schema: {
        tags: ['sign-in'],
        summary: 'The current session: user, CSRF token for cookie use, enrolment state',
        response: {
          200: Type.Object({
            user: UserSchema,
            via: Type.Union([Type.Literal('session'), Type.Literal('token')]),
            csrfToken: Type.Optional(Type.String()),
            mfaEnrolmentRequired: Type.Boolean(),
          }),
          ...Problems,
        },
      },
    },
    async (request) => {
      const actor = actorOf(request);
      const bearer = request.cookieSession ?? (actor.via === 'session' ? request.headers.authorization?.slice(7) : undefined);
      return {
        user: actor.user,
        via: actor.via,
        mfaEnrolmentRequired: actor.mfaEnrolmentRequired,
        ...(bearer ? { csrfToken: csrfTokenFor(settings, bearer) } : {}),
      };
    },
  );

  app.post(
    '/api/v1/auth/password-reset',
    {
      schema: {
        tags: ['sign-in'],
        summary: 'Ask for a password reset link by e-mail (always 202)',
        body: Type.Object(
          { tenant: Type.String({ minLength: 1, maxLength: 63 }), email: Type.String({ minLength: 3, maxLength: 254 }) },
          { additionalProperties: false },
        ),
        response: { 202: Type.Null(), 400: ProblemSchema },
      },
    },
    async (request, reply) => {
      const input = { ...request.body, ...originOf(request) };
      // After the answer, so neither its content nor its timing tells whether the account exists.
      background(() => requestPasswordReset(db, settings, input));
      return reply.status(202).send(null);
    },
  );

  app.post(
    '/api/v1/auth/password-reset/confirm',
    {
      schema: {
        tags: ['sign-in'],
        summary: 'Set a new password with the token from the reset e-mail; ends every session',
        body: Type.Object({ token: Type.String({ minLength: 20, maxLength: 200 }), password: Password }, { additionalProperties: false }),
        response: { 204: Type.Null(), ...Problems },
      },
    },
    async (request, reply) => {
      await confirmPasswordReset(db, settings, { ...request.body, ...originOf(request) });
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/api/v1/me',
    {
      onRequest: auth({ allowDuringEnrolment: true }),
      schema: { tags: ['me'], summary: 'The signed-in user', response: { 200: UserSchema, ...Problems } },
    },
    async (request) => actorOf(request).user,
  );

  app.patch(
    '/api/v1/me',
    {
      onRequest: auth(),
      schema: {
        tags: ['me'],
        summary: 'Change your own name or language',
        body: Type.Object(
          { name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })), language: Type.Optional(LanguageSchema) },
          { additionalProperties: false },
        ),
        response: { 200: UserSchema, ...Problems },
      },
    },
    async (request) => updateMe(db, settings, actorOf(request), request.body),
  );

  app.post(
    '/api/v1/me/password',
    {
      onRequest: auth({ sessionOnly: true }),
      schema: {
        tags: ['me'],
        summary: 'Change your password; your other sessions end',
        body: Type.Object({ currentPassword: Password, newPassword: Password }, { additionalProperties: false }),
        response: { 204: Type.Null(), ...Problems },
      },
    },
    async (request, reply) => {
      await changePassword(db, settings, actorOf(request), { ...request.body, ...originOf(request) });
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/api/v1/me/mfa',
    {
      onRequest: auth({ allowDuringEnrolment: true }),
      schema: {
        tags: ['me'],
        summary: 'Your two-factor state',
        response: { 200: Type.Object({ enabled: Type.Boolean(), recoveryCodesRemaining: Type.Integer() }), ...Problems },
      },
    },
    async (request) => {
      const actor = actorOf(request);
      return { enabled: actor.user.mfaEnabled, recoveryCodesRemaining: await remainingRecoveryCodes(db, actor) };
    },
  );

  app.post(
    '/api/v1/me/mfa/totp',
    {
      onRequest: auth({ sessionOnly: true, allowDuringEnrolment: true }),
      schema: {
        tags: ['me'],
        summary: 'Start TOTP enrolment: a secret, its otpauth:// URI and a QR code to scan',
        response: {
          200: Type.Object({ secret: Type.String(), otpauthUri: Type.String(), qrCodeSvg: Type.String() }),
          ...Problems,
        },
      },
    },
    async (request) => startTotpEnrolment(db, settings, actorOf(request)),
  );

  app.post(
    '/api/v1/me/mfa/totp/verify',
    {
      onRequest: auth({ sessionOnly: true, allowDuringEnrolment: true }),
      schema: {
        tags: ['me'],
        summary: 'Complete enrolment with a code from the app; answers ten recovery codes, shown once',
        body: Type.Object({ code: Code }, { additionalProperties: false }),
        response: { 200: Type.Object({ recoveryCodes: Type.Array(Type.String()) }), ...Problems },
      },
    },
    async (request) => ({
      recoveryCodes: await confirmTotpEnrolment(db, settings, actorOf(request), request.body.code, originOf(request)),
    }),
  );

  app.post(
    '/api/v1/me/mfa/totp/disable',
    {
      onRequest: auth({ sessionOnly: true }),
      schema: {
        tags: ['me'],
        summary: 'Turn two-factor sign-in off (password and a current code)',
        body: Type.Object({ password: Password, code: Code }, { additionalProperties: false }),
        response: { 204: Type.Null(), ...Problems },
      },
    },
    async (request, reply) => {
      await disableTotp(db, settings, actorOf(request), request.body, originOf(request));
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/api/v1/me/mfa/recovery-codes',
    {
      onRequest: auth({ sessionOnly: true }),
      schema: {
        tags: ['me'],
        summary: 'Replace your recovery codes (password and a current code)',
        body: Type.Object({ password: Password, code: Code }, { additionalProperties: false }),
        response: { 200: Type.Object({ recoveryCodes: Type.Array(Type.String()) }), ...Problems },
      },
    },
    async (request) => ({
      recoveryCodes: await regenerateRecoveryCodes(db, settings, actorOf(request), request.body, originOf(request)),
    }),
  );

  const SessionSchema = Type.Object({
    id: Type.String({ format: 'uuid' }),
    createdAt: DateTime(),
    lastSeenAt: DateTime(),
    expiresAt: DateTime(),
    ip: Type.Union([Type.String(), Type.Null()]),
    userAgent: Type.Union([Type.String(), Type.Null()]),
    current: Type.Boolean(),
  });

  app.get(
    '/api/v1/me/sessions',
    {
      onRequest: auth({ sessionOnly: true }),
      schema: {
        tags: ['me'],
        summary: 'Your active sessions',
        response: { 200: Type.Object({ items: Type.Array(SessionSchema) }), ...Problems },
      },
    },
    async (request) => ({ items: await listMySessions(db, settings.keyring, actorOf(request)) }),
  );

  app.delete(
    '/api/v1/me/sessions/:id',
    {
      onRequest: auth({ sessionOnly: true }),
      schema: { tags: ['me'], summary: 'End one of your sessions', params: IdParams, response: { 204: Type.Null(), ...Problems } },
    },
    async (request, reply) => {
      await revokeMySession(db, keyring, actorOf(request), request.params.id, originOf(request));
      return reply.status(204).send(null);
    },
  );

  app.delete(
    '/api/v1/me/sessions',
    {
      onRequest: auth({ sessionOnly: true, allowDuringEnrolment: true }),
      schema: {
        tags: ['me'],
        summary: 'Sign out everywhere: end all your sessions, this one too',
        response: { 204: Type.Null(), ...Problems },
      },
    },
    async (request, reply) => {
      await signOutEverywhere(db, keyring, actorOf(request), originOf(request));
      clearSessionCookie(reply);
      return reply.status(204).send(null);
    },
  );

  const TokenSchema = Type.Object({
    id: Type.String({ format: 'uuid' }),
    name: Type.String(),
    scopes: Type.Array(ScopeSchema),
    createdAt: DateTime(),
    expiresAt: DateTime(),
    lastUsedAt: Type.Union([DateTime(), Type.Null()]),
  });

  app.get(
    '/api/v1/me/tokens',
    {
      onRequest: auth({ sessionOnly: true }),
      schema: {
        tags: ['me'],
        summary: 'Your personal API tokens',
        response: { 200: Type.Object({ items: Type.Array(TokenSchema) }), ...Problems },
      },
    },
    async (request) => ({ items: await listApiTokens(db, actorOf(request)) }),
  );

  app.post(
    '/api/v1/me/tokens',
    {
      onRequest: auth({ sessionOnly: true }),
      schema: {
        tags: ['me'],
        summary: 'Create a personal API token; the token is shown only in this answer',
        body: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 100 }),
            scopes: Type.Array(ScopeSchema, { minItems: 1, maxItems: 3 }),
            expiresInDays: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_TOKEN_DAYS })),
          },
          { additionalProperties: false },
        ),
        response: { 201: Type.Intersect([TokenSchema, Type.Object({ token: Type.String() })]), ...Problems },
      },
    },
    async (request, reply) =>
      reply.status(201).send(await createApiToken(db, keyring, actorOf(request), { ...request.body, ...originOf(request) })),
  );

  app.delete(
    '/api/v1/me/tokens/:id',
    {
      onRequest: auth({ sessionOnly: true }),
      schema: { tags: ['me'], summary: 'Revoke one of your API tokens', params: IdParams, response: { 204: Type.Null(), ...Problems } },
    },
    async (request, reply) => {
      await revokeApiToken(db, keyring, actorOf(request), request.params.id, originOf(request));
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/api/v1/me/security-events',
    {
      onRequest: auth(),
      schema: {
        tags: ['me'],
        summary: 'Recent security events of your account (sign-ins, 2FA and password changes)',
        response: {
          200: Type.Object({
            items: Type.Array(SecurityEventSchema),
          }),
          ...Problems,
        },
      },
    },
    async (request) => {
      const actor = actorOf(request);
      return { items: await listSecurityEvents(db, keyring, actor.tenantId, { userId: actor.user.id, limit: 50 }) };
    },
  );
}
