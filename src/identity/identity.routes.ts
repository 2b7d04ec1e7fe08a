import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { DatabaseHandle } from '../db/database.js';
import { actorOf, requireAuth } from '../http/auth.js';
import { ProblemSchema } from '../http/schemas.js';
import { signIn, signOut, type IdentitySettings } from './identity.service.js';

export const UserSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    tenantId: Type.String({ format: 'uuid' }),
    email: Type.String(),
    name: Type.String(),
    isAdmin: Type.Boolean(),
    status: Type.Union([Type.Literal('active'), Type.Literal('deactivated')]),
    createdAt: Type.String({ format: 'date-time' }),
  },
);

const LoginBody = Type.Object(
  {
    tenant: Type.String({ minLength: 1, maxLength: 63, description: 'The tenant slug' }),
    email: Type.String({ minLength: 3, maxLength: 254 }),
    password: Type.String({ minLength: 1, maxLength: 1024 }),
  },
  { additionalProperties: false },
);

export function registerIdentityRoutes(app: FastifyInstance, database: DatabaseHandle, settings: IdentitySettings) {
  const { db } = database;
  const authenticated = requireAuth(db, settings);

  app.post(
    '/api/v1/auth/login',
    {
      schema: {
        tags: ['sign-in'],
        summary: 'Sign in with tenant, e-mail address and password',
        body: LoginBody,
        response: {
          200: Type.Object({ token: Type.String(), expiresAt: Type.String({ format: 'date-time' }), user: UserSchema }),
          401: ProblemSchema,
        },
      },
    },
    async (request) => {
      const body = request.body as { tenant: string; email: string; password: string };
      const result = await signIn(db, settings, {
        ...body,
        ip: request.ip,
        ...(request.headers['user-agent'] ? { userAgent: request.headers['user-agent'] } : {}),
      });
      return result;
    },
  );

  app.post(
    '/api/v1/auth/logout',
    {
      onRequest: authenticated,
      schema: { tags: ['sign-in'], summary: 'End this session', response: { 204: Type.Null(), 401: ProblemSchema } },
    },
    async (request, reply) => {
      const actor = actorOf(request);
      await signOut(db, actor.tenantId, actor.sessionId);
      return reply.status(204).send();
    },
  );

  app.get(
    '/api/v1/me',
    {
      onRequest: authenticated,
      schema: { tags: ['sign-in'], summary: 'The signed-in user', response: { 200: UserSchema, 401: ProblemSchema } },
    },
    async (request) => actorOf(request).user,
  );
}
