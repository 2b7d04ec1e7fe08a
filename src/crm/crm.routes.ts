import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { DatabaseHandle } from '../db/database.js';
import { actorOf, requireAuth } from '../http/auth.js';
import { DateTime } from '../http/schemas.js';
import type { IdentitySettings } from '../identity/identity.service.js';
import { createContact, deleteContact, getContact, listContacts, updateContact } from './contacts.service.js';
import { IdParams, ifMatch, Page, Problems } from './crm.http.js';
import { createNote, deleteNote, getNote, listNotes, updateNote } from './notes.service.js';
import { createOrganization, deleteOrganization, getOrganization, listOrganizations, updateOrganization } from './organizations.service.js';

const Labelled = Type.Union([
  Type.String({ minLength: 1, maxLength: 254 }),
  Type.Object({ value: Type.String({ minLength: 1, maxLength: 254 }), label: Type.Optional(Type.Union([Type.String({ maxLength: 50 }), Type.Null()])) }),
]);
const LabelledOut = Type.Object({ value: Type.String(), label: Type.Union([Type.String(), Type.Null()]) });

const ContactSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  ownerId: Type.String({ format: 'uuid' }),
  firstName: Type.String(),
  lastName: Type.String(),
  emails: Type.Array(LabelledOut),
  phones: Type.Array(LabelledOut),
  organizationId: Type.Union([Type.String({ format: 'uuid' }), Type.Null()]),
  version: Type.Integer(),
  createdAt: DateTime(),
  updatedAt: DateTime(),
});

const ContactBody = {
  firstName: Type.Optional(Type.String({ maxLength: 200 })),
  lastName: Type.Optional(Type.String({ maxLength: 200 })),
  emails: Type.Optional(Type.Array(Labelled, { maxItems: 20 })),
  phones: Type.Optional(Type.Array(Labelled, { maxItems: 20 })),
  organizationId: Type.Optional(Type.Union([Type.String({ format: 'uuid' }), Type.Null()])),
};

const Nullable = (max: number) => Type.Optional(Type.Union([Type.String({ maxLength: max }), Type.Null()]));
const OrganizationBody = {
  domain: Nullable(200),
  industry: Nullable(200),
  website: Nullable(500),
  phone: Nullable(50),
};
const OrganizationSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  ownerId: Type.String({ format: 'uuid' }),
  name: Type.String(),
  domain: Type.Union([Type.String(), Type.Null()]),
  industry: Type.Union([Type.String(), Type.Null()]),
  website: Type.Union([Type.String(), Type.Null()]),
  phone: Type.Union([Type.String(), Type.Null()]),
  version: Type.Integer(),
  createdAt: DateTime(),
  updatedAt: DateTime(),
});

const NoteSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  contactId: Type.String({ format: 'uuid' }),
  authorId: Type.String({ format: 'uuid' }),
  body: Type.String(),
  version: Type.Integer(),
  createdAt: DateTime(),
  updatedAt: DateTime(),
});


export function registerCrmRoutes(server: FastifyInstance, database: DatabaseHandle, settings: IdentitySettings): void {
  const app = server.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = database;
  const { keyring } = settings;
  const auth = requireAuth(db, settings);

  app.get(
    '/api/v1/contacts',
    {
      onRequest: auth,
      schema: {
        tags: ['contacts'],
        summary: 'Contacts, a page at a time; `email` finds by exact address, `q` by name word or prefix',
        querystring: Type.Object(
          {
            ...Page,
            email: Type.Optional(Type.String({ minLength: 3, maxLength: 254 })),
            q: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
            organizationId: Type.Optional(Type.String({ format: 'uuid' })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ items: Type.Array(ContactSchema), nextCursor: Type.Union([Type.String(), Type.Null()]) }), ...Problems },
      },
    },
    async (request) => listContacts(db, keyring, actorOf(request), request.query),
  );

  app.post(
    '/api/v1/contacts',
    {
      onRequest: auth,
      schema: {
        tags: ['contacts'],
        summary: 'Create a contact; every personal field is encrypted under a key of its own',
        body: Type.Object(ContactBody, { additionalProperties: false }),
        response: { 201: ContactSchema, ...Problems },
      },
    },
    async (request, reply) => reply.status(201).send(await createContact(db, keyring, actorOf(request), request.body)),
  );

  app.get(
    '/api/v1/contacts/:id',
    { onRequest: auth, schema: { tags: ['contacts'], summary: 'One contact', params: IdParams, response: { 200: ContactSchema, ...Problems } } },
    async (request, reply) => {
      const contact = await getContact(db, keyring, actorOf(request), request.params.id);
      reply.header('etag', `"${contact.version}"`);
      return contact;
    },
  );

  app.patch(
    '/api/v1/contacts/:id',
    {
      onRequest: auth,
      schema: {
        tags: ['contacts'],
        summary: 'Change a contact; a stale If-Match or `version` answers 409',
        params: IdParams,
        body: Type.Object({ ...ContactBody, version: Type.Optional(Type.Integer({ minimum: 1 })) }, { additionalProperties: false }),
        response: { 200: ContactSchema, ...Problems },
      },
    },
    async (request) => updateContact(db, keyring, actorOf(request), request.params.id, request.body, ifMatch(request)),
  );

  app.delete(
    '/api/v1/contacts/:id',
    { onRequest: auth, schema: { tags: ['contacts'], summary: 'Delete a contact', params: IdParams, response: { 204: Type.Null(), ...Problems } } },
    async (request, reply) => {
      await deleteContact(db, actorOf(request), request.params.id);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/api/v1/organizations',
    {
      onRequest: auth,
      schema: {
        tags: ['organizations'],
        summary: 'Organizations by name; `q` matches part of the name or domain',
        querystring: Type.Object({ ...Page, q: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })) }, { additionalProperties: false }),
        response: { 200: Type.Object({ items: Type.Array(OrganizationSchema), nextCursor: Type.Union([Type.String(), Type.Null()]) }), ...Problems },
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
        body: Type.Object({ name: Type.String({ minLength: 1, maxLength: 200 }), ...OrganizationBody }, { additionalProperties: false }),
        response: { 201: OrganizationSchema, ...Problems },
      },
    },
    async (request, reply) => reply.status(201).send(await createOrganization(db, actorOf(request), request.body)),
  );

  app.get(
    '/api/v1/organizations/:id',
    { onRequest: auth, schema: { tags: ['organizations'], summary: 'One organization', params: IdParams, response: { 200: OrganizationSchema, ...Problems } } },
    async (request) => getOrganization(db, actorOf(request), request.params.id),
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
          { name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })), ...OrganizationBody, version: Type.Optional(Type.Integer({ minimum: 1 })) },
          { additionalProperties: false },
        ),
        response: { 200: OrganizationSchema, ...Problems },
      },
    },
    async (request) => updateOrganization(db, actorOf(request), request.params.id, request.body, ifMatch(request)),
  );

  app.delete(
    '/api/v1/organizations/:id',
    { onRequest: auth, schema: { tags: ['organizations'], summary: 'Delete an organization', params: IdParams, response: { 204: Type.Null(), ...Problems } } },
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
        summary: 'Notes, optionally of one contact',
        querystring: Type.Object({ ...Page, contactId: Type.Optional(Type.String({ format: 'uuid' })) }, { additionalProperties: false }),
        response: { 200: Type.Object({ items: Type.Array(NoteSchema), nextCursor: Type.Union([Type.String(), Type.Null()]) }), ...Problems },
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
        summary: 'Add a note to a contact',
        body: Type.Object(
          { body: Type.String({ minLength: 1, maxLength: 100_000 }), contactId: Type.String({ format: 'uuid' }) },
          { additionalProperties: false },
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
        body: Type.Object({ body: Type.String({ minLength: 1, maxLength: 100_000 }), version: Type.Optional(Type.Integer({ minimum: 1 })) }, { additionalProperties: false }),
        response: { 200: NoteSchema, ...Problems },
      },
    },
    async (request) => updateNote(db, keyring, actorOf(request), request.params.id, request.body, ifMatch(request)),
  );

  app.delete(
    '/api/v1/notes/:id',
    { onRequest: auth, schema: { tags: ['notes'], summary: 'Delete a note', params: IdParams, response: { 204: Type.Null(), ...Problems } } },
    async (request, reply) => {
      await deleteNote(db, keyring, actorOf(request), request.params.id);
      return reply.status(204).send(null);
    },
  );
}
