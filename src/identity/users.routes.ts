import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { DatabaseHandle } from '../db/database.js';
import { requireAuth } from './auth.js';
import { actorOf, originOf } from '../http/request-context.js';
import { ProblemSchema } from '../http/schemas.js';
import type { IdentitySettings } from './identity.service.js';
import { LanguageSchema, UserSchema } from './identity.routes.js';
import { INVITATION_TOKEN_DAYS } from './invitations.service.js';
import {
  createUserByAdmin,
  getTenantUser,
  listTenantUsers,
  resendUserInvitation,
  resetUserMfa,
  updateUserByAdmin,
} from './users.service.js';

const IdParams = Type.Object({ id: Type.String({ format: 'uuid' }) });
const Problems = { 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema, 404: ProblemSchema, 409: ProblemSchema };

const ManagedUserSchema = Type.Object({
  ...UserSchema.properties,
  invitationPending: Type.Boolean({
    description: 'Invited and has not chosen a password yet: cannot sign in until they do (POST /users/{id}/invitation sends a new link)',
  }),
});

/**
 * A body with neither a password nor `invite` gets the answer it got when the
 * schema required a password, so clients of the stable contract see no change.
 */
function missingPassword(): Error {
  return Object.assign(new Error("body must have required property 'password'"), {
    statusCode: 400,
    validation: [{ instancePath: '', message: "must have required property 'password'" }],
    validationContext: 'body',
  });
}

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
        response: { 200: Type.Object({ items: Type.Array(ManagedUserSchema) }), ...Problems },
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
        summary: 'Create a user (admins), with a password or invited by e-mail',
        description:
          `With \`invite: true\` and no password the user is made at once (roles, groups and ownership can be set) and ` +
          `e-mailed a link, valid ${INVITATION_TOKEN_DAYS} days and once, to choose their password; until then they cannot sign in. ` +
          'A password together with `invite` answers 400 `invitation_with_password`.',
        body: Type.Object(
          {
            email: Type.String({ minLength: 3, maxLength: 254 }),
            name: Type.String({ minLength: 1, maxLength: 200 }),
            password: Type.Optional(Type.String({ minLength: 1, maxLength: 1024, description: 'Required unless `invite`' })),
            invite: Type.Optional(Type.Boolean({ description: 'E-mail the user a link to choose their own password' })),
            isAdmin: Type.Optional(Type.Boolean()),
            roleId: Type.Optional(Type.String({ format: 'uuid' })),
            profileId: Type.Optional(Type.String({ format: 'uuid' })),
            language: Type.Optional(LanguageSchema),
          },
          { additionalProperties: false },
        ),
        response: { 201: ManagedUserSchema, ...Problems },
      },
    },
    async (request, reply) => {
      if (request.body.password === undefined && request.body.invite !== true) throw missingPassword();
      return reply.status(201).send(await createUserByAdmin(db, settings, actorOf(request), { ...request.body, ...originOf(request) }));
    },
  );

  app.post(
    '/api/v1/users/:id/invitation',
    {
      onRequest: admin,
      schema: {
        tags: ['users'],
        summary: 'E-mail an invited user a new link to choose their password (admins); the earlier link stops working',
        description: 'Answers 409 `invitation_not_pending` for a user who has chosen a password already or is deactivated.',
        params: IdParams,
        response: { 200: ManagedUserSchema, ...Problems },
      },
    },
    async (request) => resendUserInvitation(db, settings, actorOf(request), request.params.id, originOf(request)),
  );

  app.get(
    '/api/v1/users/:id',
    {
      onRequest: requireAuth(db, settings),
      schema: {
        tags: ['users'],
        summary: 'One user (admins, or yourself)',
        params: IdParams,
        response: { 200: ManagedUserSchema, ...Problems },
      },
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
        response: { 200: ManagedUserSchema, ...Problems },
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
        response: { 200: ManagedUserSchema, ...Problems },
      },
    },
    async (request) => resetUserMfa(db, settings, actorOf(request), request.params.id, originOf(request)),
  );
}
