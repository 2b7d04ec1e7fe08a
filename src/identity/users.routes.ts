import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { DatabaseHandle } from '../db/database.js';
import { requireAuth } from './auth.js';
import { actorOf, originOf } from '../http/request-context.js';
import { ProblemSchema } from '../http/schemas.js';
import type { IdentitySettings } from './identity.service.js';
import { LanguageSchema, UserSchema } from './identity.routes.js';
import { createUserByAdmin, getTenantUser, listTenantUsers, resetUserMfa, updateUserByAdmin } from './users.service.js';

const IdParams = Type.Object({ id: Type.String({ format: 'uuid' }) });
const Problems = { 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema, 404: ProblemSchema, 409: ProblemSchema };

/** The tenant's users, as its administrators manage them. */
export function registerUserRoutes(server: FastifyInstance, database: DatabaseHandle, settings: IdentitySettings): void {
  const app = server.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = database;
  const admin = requireAuth(db, settings, { scope: 'admin' });

  app.get(
    '/api/v1/users',
    {
      onRequest: admin,
      schema: {
        tags: ['users'],
        summary: 'Users of the tenant (admins); `q` finds names by word or prefix',
        querystring: Type.Object({ q: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })) }, { additionalProperties: false }),
        response: { 200: Type.Object({ items: Type.Array(UserSchema) }), ...Problems },
      },
    },
    async (request) => ({ items: await listTenantUsers(db, settings, actorOf(request), request.query.q) }),
  );

  app.post(
    '/api/v1/users',
    {
      onRequest: admin,
      schema: {
        tags: ['users'],
        summary: 'Create a user (admins)',
        body: Type.Object(
          {
            email: Type.String({ minLength: 3, maxLength: 254 }),
            name: Type.String({ minLength: 1, maxLength: 200 }),
            password: Type.String({ minLength: 1, maxLength: 1024 }),
            isAdmin: Type.Optional(Type.Boolean()),
            roleId: Type.Optional(Type.String({ format: 'uuid' })),
            profileId: Type.Optional(Type.String({ format: 'uuid' })),
            language: Type.Optional(LanguageSchema),
          },
          { additionalProperties: false },
        ),
        response: { 201: UserSchema, ...Problems },
      },
    },
    async (request, reply) =>
      reply.status(201).send(await createUserByAdmin(db, settings, actorOf(request), { ...request.body, ...originOf(request) })),
  );

  app.get(
    '/api/v1/users/:id',
    {
      onRequest: requireAuth(db, settings),
      schema: { tags: ['users'], summary: 'One user (admins, or yourself)', params: IdParams, response: { 200: UserSchema, ...Problems } },
    },
    async (request) => getTenantUser(db, settings, actorOf(request), request.params.id),
  );

  app.patch(
    '/api/v1/users/:id',
    {
      onRequest: admin,
      schema: {
        tags: ['users'],
        summary: 'Change a user (admins); deactivation ends their sessions and tokens at once',
        params: IdParams,
        body: Type.Object(
          {
            name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
            language: Type.Optional(LanguageSchema),
            isAdmin: Type.Optional(Type.Boolean()),
            roleId: Type.Optional(Type.String({ format: 'uuid' })),
            profileId: Type.Optional(Type.String({ format: 'uuid' })),
            status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('deactivated')])),
          },
          { additionalProperties: false },
        ),
        response: { 200: UserSchema, ...Problems },
      },
    },
    async (request) => updateUserByAdmin(db, settings, actorOf(request), request.params.id, request.body, originOf(request)),
  );

  app.post(
    '/api/v1/users/:id/mfa/reset',
    {
      onRequest: admin,
      schema: {
        tags: ['users'],
        summary: "Turn off a user's two-factor sign-in (lost device); their sessions end",
        params: IdParams,
        response: { 200: UserSchema, ...Problems },
      },
    },
    async (request) => resetUserMfa(db, settings, actorOf(request), request.params.id, originOf(request)),
  );
}
