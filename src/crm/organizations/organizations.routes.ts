import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { DatabaseHandle } from '../../db/database.js';
import { actorOf } from '../../http/request-context.js';
import { DateTime } from '../../http/schemas.js';
import type { Keyring } from '../../keys/keyring.js';
import {
  AddressInput,
  AddressSchema,
  CustomValuesInput,
  CustomValuesSchema,
  IdParams,
  ifMatch,
  Nullable,
  OneOf,
  OwnerGroupIdInput,
  OwnerGroupIdOut,
  Page,
  PageOf,
  Problems,
  Ranges,
  TagsInput,
  Uuid,
  Version,
  NoContent,
} from '../common/crm.http.js';
import { createOrganization, deleteOrganization, getOrganization, listOrganizations, updateOrganization } from './organizations.service.js';

const NullableText = (max: number) => Type.Optional(Nullable(Type.String({ maxLength: max })));
const OrganizationBody = {
  domain: NullableText(200),
  industry: NullableText(200),
  website: NullableText(500),
  phone: NullableText(50),
  address: Type.Optional(Nullable(AddressInput)),
  ownerId: Type.Optional(Uuid()),
  ownerGroupId: OwnerGroupIdInput,
  tags: Type.Optional(TagsInput),
  custom: Type.Optional(CustomValuesInput),
};
const OrganizationSchema = Type.Object({
  id: Uuid(),
  ownerId: Uuid(),
  ownerGroupId: OwnerGroupIdOut,
  name: Type.String(),
  domain: Type.Optional(Nullable(Type.String())),
  industry: Type.Optional(Nullable(Type.String())),
  website: Type.Optional(Nullable(Type.String())),
  phone: Type.Optional(Nullable(Type.String())),
  address: Type.Optional(Nullable(AddressSchema)),
  tags: Type.Optional(Type.Array(Type.String())),
  custom: CustomValuesSchema,
  version: Type.Integer(),
  createdAt: DateTime(),
  updatedAt: DateTime(),
});

export function registerOrganizationRoutes(server: FastifyInstance, database: DatabaseHandle, _keyring: Keyring): void {
  const app = server.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = database;

  app.get(
    '/api/v1/organizations',
    {
      schema: {
        tags: ['organizations'],
        summary: 'Organizations by name (or another sort); `q` matches part of the name or domain',
        querystring: Type.Object(
          {
            ...Page,
            ...Ranges,
            sort: Type.Optional(OneOf(['name', '-name', 'createdAt', '-createdAt', 'updatedAt', '-updatedAt'])),
            q: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
            industry: Type.Optional(Type.String({ maxLength: 200 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: PageOf(OrganizationSchema), ...Problems },
      },
    },
    async (request) => listOrganizations(db, actorOf(request), request.query),
  );

  app.post(
    '/api/v1/organizations',
    {
      schema: {
        tags: ['organizations'],
        summary: 'Create an organization',
        body: Type.Object(
          { name: Type.String({ minLength: 1, maxLength: 200 }), ...OrganizationBody },
          {
            additionalProperties: false,
            examples: [{ name: 'Acme BV', domain: 'acme.example', industry: 'Manufacturing', tags: ['customer'] }],
          },
        ),
        response: { 201: OrganizationSchema, ...Problems },
      },
    },
    async (request, reply) => reply.status(201).send(await createOrganization(db, actorOf(request), request.body)),
  );

  app.get(
    '/api/v1/organizations/:id',
    {
      schema: {
        tags: ['organizations'],
        summary: 'One organization',
        params: IdParams,
        response: { 200: OrganizationSchema, ...Problems },
      },
    },
    async (request, reply) => {
      const organization = await getOrganization(db, actorOf(request), request.params.id);
      reply.header('etag', `"${organization.version}"`);
      return organization;
    },
  );

  app.patch(
    '/api/v1/organizations/:id',
    {
      schema: {
        tags: ['organizations'],
        summary: 'Change an organization; a stale If-Match or `version` answers 409',
        params: IdParams,
        body: Type.Object(
          { name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })), ...OrganizationBody, ...Version },
          { additionalProperties: false, examples: [{ industry: 'Retail', version: 1 }] },
        ),
        response: { 200: OrganizationSchema, ...Problems },
      },
    },
    async (request) => updateOrganization(db, actorOf(request), request.params.id, request.body, ifMatch(request)),
  );

  app.delete(
    '/api/v1/organizations/:id',
    {
      schema: {
        tags: ['organizations'],
        summary: 'Move an organization to the recycle bin',
        params: IdParams,
        response: NoContent,
      },
    },
    async (request, reply) => {
      await deleteOrganization(db, actorOf(request), request.params.id);
      return reply.status(204).send(null);
    },
  );
}
