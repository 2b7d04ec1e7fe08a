import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { DatabaseHandle } from '../../db/database.js';
import { actorOf } from '../../http/request-context.js';
import { DateTime } from '../../http/schemas.js';
import type { Keyring } from '../../keys/keyring.js';
import { IdParams, ifMatch, Nullable, Page, PageOf, Problems, Uuid, Version, NoContent } from '../common/crm.http.js';
import { createNote, deleteNote, getNote, listNotes, updateNote } from './notes.service.js';

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

export function registerNoteRoutes(server: FastifyInstance, database: DatabaseHandle, keyring: Keyring): void {
  const app = server.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = database;

  app.get(
    '/api/v1/notes',
    {
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
    { schema: { tags: ['notes'], summary: 'One note', params: IdParams, response: { 200: NoteSchema, ...Problems } } },
    async (request) => getNote(db, keyring, actorOf(request), request.params.id),
  );

  app.patch(
    '/api/v1/notes/:id',
    {
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
      schema: { tags: ['notes'], summary: 'Move a note to the recycle bin', params: IdParams, response: NoContent },
    },
    async (request, reply) => {
      await deleteNote(db, keyring, actorOf(request), request.params.id);
      return reply.status(204).send(null);
    },
  );
}
