import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { DatabaseHandle } from '../db/database.js';
import { actorOf, requireAuth } from '../http/auth.js';
import { DateTime } from '../http/schemas.js';
import type { IdentitySettings } from '../identity/identity.service.js';
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
} from './crm.http.js';
import {
  CUSTOM_FIELD_MODULES,
  CUSTOM_FIELD_TYPES,
  createCustomField,
  deleteCustomField,
  listCustomFields,
  updateCustomField,
} from './custom-fields.service.js';
import { createNote, deleteNote, getNote, listNotes, updateNote } from './notes.service.js';
import { createOrganization, deleteOrganization, getOrganization, listOrganizations, updateOrganization } from './organizations.service.js';
import { registerPeopleRoutes } from './people.routes.js';
import { registerRecycleBinRoutes } from './recycle-bin.routes.js';
import { createTag, deleteTag, listTags, updateTag } from './tags.service.js';

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

const NoteParents = {
  contactId: Type.Optional(Uuid()),
  leadId: Type.Optional(Uuid()),
  organizationId: Type.Optional(Uuid()),
  dealId: Type.Optional(Uuid()),
};
const NoteSchema = Type.Object({
  id: Uuid(),
  contactId: Nullable(Uuid()),
  leadId: Nullable(Uuid()),
  organizationId: Nullable(Uuid()),
  dealId: Nullable(Uuid()),
  authorId: Uuid(),
  body: Type.String(),
  version: Type.Integer(),
  createdAt: DateTime(),
  updatedAt: DateTime(),
});

const TagSchema = Type.Object({ id: Uuid(), name: Type.String(), color: Nullable(Type.String()) });
const Module = OneOf(CUSTOM_FIELD_MODULES);
const FieldType = OneOf(CUSTOM_FIELD_TYPES);
const CustomFieldSchema = Type.Object({
  id: Uuid(),
  module: Module,
  key: Type.String(),
  label: Type.String(),
  type: FieldType,
  options: Type.Array(Type.String()),
  personal: Type.Boolean(),
  position: Type.Integer(),
});
const Options = Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: 200 });

export function registerCrmRoutes(server: FastifyInstance, database: DatabaseHandle, settings: IdentitySettings): void {
  const app = server.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = database;
  const { keyring } = settings;
  const auth = requireAuth(db, settings);

  registerPeopleRoutes(server, database, settings);
  registerRecycleBinRoutes(server, database, settings);

  app.get(
    '/api/v1/organizations',
    {
      onRequest: auth,
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
      onRequest: auth,
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
      onRequest: auth,
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
      onRequest: auth,
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
      onRequest: auth,
      schema: {
        tags: ['organizations'],
        summary: 'Move an organization to the recycle bin',
        params: IdParams,
        response: { 204: Type.Null(), ...Problems },
      },
    },
    async (request, reply) => {
      await deleteOrganization(db, actorOf(request), request.params.id);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/api/v1/notes',
    {
      onRequest: auth,
      schema: {
        tags: ['notes'],
        summary: 'Notes, newest first, optionally of one record',
        querystring: Type.Object({ ...Page, ...NoteParents }, { additionalProperties: false }),
        response: { 200: PageOf(NoteSchema), ...Problems },
      },
    },
    async (request) => listNotes(db, keyring, actorOf(request), request.query),
  );

  app.post(
    '/api/v1/notes',
    {
      onRequest: auth,
      schema: {
        tags: ['notes'],
        summary: 'Add a note to one record (contact, lead, organization or deal); the body is encrypted',
        body: Type.Object(
          { body: Type.String({ minLength: 1, maxLength: 100_000 }), ...NoteParents },
          {
            additionalProperties: false,
            examples: [{ body: 'Called; wants a quote by Friday.', contactId: '0190a6f2-8f5c-7cc1-9d4e-3b1f6e2a9c01' }],
          },
        ),
        response: { 201: NoteSchema, ...Problems },
      },
    },
    async (request, reply) => reply.status(201).send(await createNote(db, keyring, actorOf(request), request.body)),
  );

  app.get(
    '/api/v1/notes/:id',
    { onRequest: auth, schema: { tags: ['notes'], summary: 'One note', params: IdParams, response: { 200: NoteSchema, ...Problems } } },
    async (request) => getNote(db, keyring, actorOf(request), request.params.id),
  );

  app.patch(
    '/api/v1/notes/:id',
    {
      onRequest: auth,
      schema: {
        tags: ['notes'],
        summary: 'Change a note; a stale If-Match or `version` answers 409',
        params: IdParams,
        body: Type.Object({ body: Type.String({ minLength: 1, maxLength: 100_000 }), ...Version }, { additionalProperties: false }),
        response: { 200: NoteSchema, ...Problems },
      },
    },
    async (request) => updateNote(db, keyring, actorOf(request), request.params.id, request.body, ifMatch(request)),
  );

  app.delete(
    '/api/v1/notes/:id',
    {
      onRequest: auth,
      schema: { tags: ['notes'], summary: 'Move a note to the recycle bin', params: IdParams, response: { 204: Type.Null(), ...Problems } },
    },
    async (request, reply) => {
      await deleteNote(db, keyring, actorOf(request), request.params.id);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/api/v1/tags',
    {
      onRequest: auth,
      schema: { tags: ['tags'], summary: 'Every tag of the tenant, by name', response: { 200: Type.Array(TagSchema), ...Problems } },
    },
    async (request) => listTags(db, actorOf(request)),
  );

  app.post(
    '/api/v1/tags',
    {
      onRequest: auth,
      schema: {
        tags: ['tags'],
        summary: 'Create a tag (naming a new tag on a record creates it too)',
        body: Type.Object(
          { name: Type.String({ minLength: 1, maxLength: 50 }), color: Type.Optional(Nullable(Type.String({ maxLength: 7 }))) },
          { additionalProperties: false, examples: [{ name: 'VIP', color: '#d97706' }] },
        ),
        response: { 201: TagSchema, ...Problems },
      },
    },
    async (request, reply) => reply.status(201).send(await createTag(db, actorOf(request), request.body)),
  );

  app.patch(
    '/api/v1/tags/:id',
    {
      onRequest: auth,
      schema: {
        tags: ['tags'],
        summary: 'Rename or recolor a tag (administrators)',
        params: IdParams,
        body: Type.Object(
          {
            name: Type.Optional(Type.String({ minLength: 1, maxLength: 50 })),
            color: Type.Optional(Nullable(Type.String({ maxLength: 7 }))),
          },
          { additionalProperties: false },
        ),
        response: { 200: TagSchema, ...Problems },
      },
    },
    async (request) => updateTag(db, actorOf(request), request.params.id, request.body),
  );

  app.delete(
    '/api/v1/tags/:id',
    {
      onRequest: auth,
      schema: {
        tags: ['tags'],
        summary: 'Delete a tag from every record (administrators)',
        params: IdParams,
        response: { 204: Type.Null(), ...Problems },
      },
    },
    async (request, reply) => {
      await deleteTag(db, actorOf(request), request.params.id);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/api/v1/custom-fields',
    {
      onRequest: auth,
      schema: {
        tags: ['custom fields'],
        summary: 'Custom field definitions, optionally of one module',
        querystring: Type.Object({ module: Type.Optional(Module) }, { additionalProperties: false }),
        response: { 200: Type.Array(CustomFieldSchema), ...Problems },
      },
    },
    async (request) => listCustomFields(db, actorOf(request), request.query.module),
  );

  app.post(
    '/api/v1/custom-fields',
    {
      onRequest: auth,
      schema: {
        tags: ['custom fields'],
        summary: 'Define a custom field (administrators); personal fields of contacts and leads are encrypted',
        body: Type.Object(
          {
            module: Module,
            key: Type.String({ pattern: '^[a-z][a-z0-9_]{0,63}$', description: 'The name in `custom`, e.g. shoe_size' }),
            label: Type.String({ minLength: 1, maxLength: 100 }),
            type: FieldType,
            options: Type.Optional(Options),
            personal: Type.Optional(Type.Boolean()),
            position: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000 })),
          },
          {
            additionalProperties: false,
            examples: [{ module: 'contacts', key: 'dietary_needs', label: 'Dietary needs', type: 'text', personal: true }],
          },
        ),
        response: { 201: CustomFieldSchema, ...Problems },
      },
    },
    async (request, reply) => reply.status(201).send(await createCustomField(db, actorOf(request), request.body)),
  );

  app.patch(
    '/api/v1/custom-fields/:id',
    {
      onRequest: auth,
      schema: {
        tags: ['custom fields'],
        summary: 'Relabel, reorder or change the options of a custom field (its key, type and personal flag stay)',
        params: IdParams,
        body: Type.Object(
          {
            label: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
            options: Type.Optional(Options),
            position: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: CustomFieldSchema, ...Problems },
      },
    },
    async (request) => updateCustomField(db, actorOf(request), request.params.id, request.body),
  );

  app.delete(
    '/api/v1/custom-fields/:id',
    {
      onRequest: auth,
      schema: {
        tags: ['custom fields'],
        summary: 'Delete a custom field and its values (administrators)',
        params: IdParams,
        response: { 204: Type.Null(), ...Problems },
      },
    },
    async (request, reply) => {
      await deleteCustomField(db, actorOf(request), request.params.id);
      return reply.status(204).send(null);
    },
  );
}
