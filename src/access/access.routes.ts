import type { Keyring } from '../keys/keyring.js';
import type { SignInHooks } from '../http/request-context.js';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { DatabaseHandle } from '../db/database.js';
import { actorOf } from '../http/request-context.js';
import { ProblemSchema } from '../http/schemas.js';
import {
  createGroup,
  createProfile,
  createRole,
  createSharingRule,
  deleteGroup,
  deleteProfile,
  deleteRole,
  deleteSharingRule,
  listGroups,
  listProfiles,
  listRoles,
  listSharingRules,
  setSharingDefaults,
  sharingDefaults,
  updateGroup,
  updateProfile,
  updateRole,
} from './access.service.js';
import { ACTIONS, MODULES, RECORD_MODULES } from './policy.js';

// HTTP for the access model: administrators change it, everyone may read roles and profiles.

const Uuid = () => Type.String({ format: 'uuid' });
const IdParams = Type.Object({ id: Uuid() });
const Problems = { 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema, 404: ProblemSchema, 409: ProblemSchema };
const Level = Type.Enum(['private', 'public_read', 'public_write']);
const Kind = Type.Enum(['role', 'group']);
const Actions = Type.Object(
  {
    ...Object.fromEntries(ACTIONS.map((a) => [a, Type.Optional(Type.Boolean())])),
    allValues: Type.Optional(
      Type.Boolean({
        description:
          'audit only: every old and new value in the audit trail, also of records and fields this profile withholds (for a privacy officer; off unless granted; every use is recorded)',
      }),
    ),
  },
  { additionalProperties: false },
);
const Permissions = Type.Record(Type.String({ maxLength: 30 }), Actions, {
  description: `Per module (${MODULES.join(', ')}): view, create, edit, delete, export (absent = no); the audit module also allValues`,
});
const FieldRules = Type.Record(
  Type.String({ maxLength: 30 }),
  Type.Record(Type.String({ maxLength: 64 }), Type.Enum(['hidden', 'readonly'])),
  {
    description: `Per module (${RECORD_MODULES.join(', ')}) and field: hidden or readonly (absent = editable)`,
  },
);

const RoleSchema = Type.Object({ id: Uuid(), name: Type.String(), parentId: Type.Union([Uuid(), Type.Null()]) });
const ProfileSchema = Type.Object({
  id: Uuid(),
  name: Type.String(),
  isAdmin: Type.Boolean(),
  permissions: Type.Record(Type.String(), Type.Record(Type.String(), Type.Boolean())),
  fields: Type.Record(Type.String(), Type.Record(Type.String(), Type.String())),
});
const GroupSchema = Type.Object({ id: Uuid(), name: Type.String(), memberIds: Type.Array(Uuid()), roleIds: Type.Array(Uuid()) });
const End = Type.Object({ kind: Kind, id: Uuid() }, { additionalProperties: false });
const RuleSchema = Type.Object({ id: Uuid(), module: Type.String(), from: End, to: End, access: Type.Enum(['read', 'write']) });
const Defaults = Type.Object(Object.fromEntries(RECORD_MODULES.map((m) => [m, Type.Optional(Level)])), { additionalProperties: false });

export function registerAccessRoutes(server: FastifyInstance, database: DatabaseHandle, keyring: Keyring, signIn: SignInHooks): void {
  const app = server.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = database;
  const auth = signIn.user;
  const admin = signIn.admin;
  const tags = ['access control'];

  app.get(
    '/api/v1/roles',
    {
      onRequest: auth,
      schema: {
        tags,
        summary: 'The role tree, root first',
        response: { 200: Type.Object({ items: Type.Array(RoleSchema) }), ...Problems },
      },
    },
    async (request) => ({
      items: await listRoles(db, actorOf(request)),
    }),
  );
  app.post(
    '/api/v1/roles',
    {
      onRequest: admin,
      schema: {
        tags,
        summary: 'Create a role under another (the root by default)',
        body: Type.Object(
          { name: Type.String({ minLength: 1, maxLength: 100 }), parentId: Type.Optional(Uuid()) },
          { additionalProperties: false, examples: [{ name: 'Sales manager' }] },
        ),
        response: { 201: RoleSchema, ...Problems },
      },
    },
    async (request, reply) => reply.status(201).send(await createRole(db, keyring, actorOf(request), request.body)),
  );
  app.patch(
    '/api/v1/roles/:id',
    {
      onRequest: admin,
      schema: {
        tags,
        summary: 'Rename a role or move it (with its subtree) under another; never under itself',
        params: IdParams,
        body: Type.Object(
          { name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })), parentId: Type.Optional(Uuid()) },
          { additionalProperties: false },
        ),
        response: { 200: RoleSchema, ...Problems },
      },
    },
    async (request) => updateRole(db, keyring, actorOf(request), request.params.id, request.body),
  );
  app.delete(
    '/api/v1/roles/:id',
    {
      onRequest: admin,
      schema: {
        tags,
        summary: 'Delete a role without sub-roles; its users move to `moveUsersTo`',
        params: IdParams,
        querystring: Type.Object({ moveUsersTo: Type.Optional(Uuid()) }, { additionalProperties: false }),
        response: { 204: Type.Null(), ...Problems },
      },
    },
    async (request, reply) => {
      await deleteRole(db, keyring, actorOf(request), request.params.id, request.query.moveUsersTo);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/api/v1/profiles',
    {
      onRequest: auth,
      schema: { tags, summary: 'Profiles', response: { 200: Type.Object({ items: Type.Array(ProfileSchema) }), ...Problems } },
    },
    async (request) => ({
      items: await listProfiles(db, actorOf(request)),
    }),
  );
  app.post(
    '/api/v1/profiles',
    {
      onRequest: admin,
      schema: {
        tags,
        summary: 'Create a profile: per module the actions allowed, per field hidden or read-only',
        body: Type.Object(
          { name: Type.String({ minLength: 1, maxLength: 100 }), permissions: Permissions, fields: Type.Optional(FieldRules) },
          {
            additionalProperties: false,
            examples: [
              {
                name: 'Sales rep',
                permissions: { contacts: { view: true, create: true, edit: true } },
                fields: { contacts: { phones: 'hidden' } },
              },
            ],
          },
        ),
        response: { 201: ProfileSchema, ...Problems },
      },
    },
    async (request, reply) => reply.status(201).send(await createProfile(db, keyring, actorOf(request), request.body)),
  );
  app.patch(
    '/api/v1/profiles/:id',
    {
      onRequest: admin,
      schema: {
        tags,
        summary: 'Change a profile (the Administrator profile stays as it is)',
        params: IdParams,
        body: Type.Object(
          {
            name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
            permissions: Type.Optional(Permissions),
            fields: Type.Optional(FieldRules),
          },
          { additionalProperties: false },
        ),
        response: { 200: ProfileSchema, ...Problems },
      },
    },
    async (request) => updateProfile(db, keyring, actorOf(request), request.params.id, request.body),
  );
  app.delete(
    '/api/v1/profiles/:id',
    {
      onRequest: admin,
      schema: { tags, summary: 'Delete a profile no user has', params: IdParams, response: { 204: Type.Null(), ...Problems } },
    },
    async (request, reply) => {
      await deleteProfile(db, keyring, actorOf(request), request.params.id);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/api/v1/groups',
    {
      onRequest: auth,
      schema: { tags, summary: 'Groups', response: { 200: Type.Object({ items: Type.Array(GroupSchema) }), ...Problems } },
    },
    async (request) => ({
      items: await listGroups(db, actorOf(request)),
    }),
  );
  app.post(
    '/api/v1/groups',
    {
      onRequest: admin,
      schema: {
        tags,
        summary: 'Create a group of users (and of roles: everyone in them)',
        body: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 100 }),
            memberIds: Type.Optional(Type.Array(Uuid(), { maxItems: 10_000 })),
            roleIds: Type.Optional(Type.Array(Uuid(), { maxItems: 1000 })),
          },
          { additionalProperties: false, examples: [{ name: 'Key accounts', memberIds: [] }] },
        ),
        response: { 201: GroupSchema, ...Problems },
      },
    },
    async (request, reply) => reply.status(201).send(await createGroup(db, keyring, actorOf(request), request.body)),
  );
  app.patch(
    '/api/v1/groups/:id',
    {
      onRequest: admin,
      schema: {
        tags,
        summary: 'Rename a group or replace its members',
        params: IdParams,
        body: Type.Object(
          {
            name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
            memberIds: Type.Optional(Type.Array(Uuid(), { maxItems: 10_000 })),
            roleIds: Type.Optional(Type.Array(Uuid(), { maxItems: 1000 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: GroupSchema, ...Problems },
      },
    },
    async (request) => updateGroup(db, keyring, actorOf(request), request.params.id, request.body),
  );
  app.delete(
    '/api/v1/groups/:id',
    {
      onRequest: admin,
      schema: { tags, summary: 'Delete a group and its sharing rules', params: IdParams, response: { 204: Type.Null(), ...Problems } },
    },
    async (request, reply) => {
      await deleteGroup(db, keyring, actorOf(request), request.params.id);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/api/v1/sharing/defaults',
    { onRequest: auth, schema: { tags, summary: 'Organization-wide defaults per module', response: { 200: Defaults, ...Problems } } },
    async (request) => sharingDefaults(db, actorOf(request)),
  );
  app.put(
    '/api/v1/sharing/defaults',
    {
      onRequest: admin,
      schema: {
        tags,
        summary: 'Set organization-wide defaults: private (owner and roles above), public_read or public_write',
        body: Type.Object(Defaults.properties, {
          additionalProperties: false,
          examples: [{ contacts: 'private', organizations: 'public_read' }],
        }),
        response: { 200: Defaults, ...Problems },
      },
    },
    async (request) => setSharingDefaults(db, keyring, actorOf(request), request.body),
  );
  app.get(
    '/api/v1/sharing/rules',
    {
      onRequest: admin,
      schema: { tags, summary: 'Sharing rules', response: { 200: Type.Object({ items: Type.Array(RuleSchema) }), ...Problems } },
    },
    async (request) => ({
      items: await listSharingRules(db, actorOf(request)),
    }),
  );
  app.post(
    '/api/v1/sharing/rules',
    {
      onRequest: admin,
      schema: {
        tags,
        summary: 'Share records owned by a role or group with another role or group, to read or to change',
        body: Type.Object(
          { module: Type.Enum([...RECORD_MODULES]), from: End, to: End, access: Type.Enum(['read', 'write']) },
          { additionalProperties: false },
        ),
        response: { 201: RuleSchema, ...Problems },
      },
    },
    async (request, reply) => reply.status(201).send(await createSharingRule(db, keyring, actorOf(request), request.body)),
  );
  app.delete(
    '/api/v1/sharing/rules/:id',
    { onRequest: admin, schema: { tags, summary: 'Delete a sharing rule', params: IdParams, response: { 204: Type.Null(), ...Problems } } },
    async (request, reply) => {
      await deleteSharingRule(db, keyring, actorOf(request), request.params.id);
      return reply.status(204).send(null);
    },
  );
}
