import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { DatabaseHandle } from '../../db/database.js';
import { actorOf } from '../../http/request-context.js';
import type { Keyring } from '../../keys/keyring.js';
import { IdParams, Nullable, Problems, Uuid, NoContent } from '../common/crm.http.js';
import { createTag, deleteTag, listTags, updateTag } from './tags.service.js';

const TagSchema = Type.Object({ id: Uuid(), name: Type.String(), color: Nullable(Type.String()) });

export function registerTagRoutes(server: FastifyInstance, database: DatabaseHandle, _keyring: Keyring): void {
  const app = server.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = database;

  app.get(
    '/api/v1/tags',
    {
      schema: { tags: ['tags'], summary: 'Every tag of the tenant, by name', response: { 200: Type.Array(TagSchema), ...Problems } },
    },
    async (request) => listTags(db, actorOf(request)),
  );

  app.post(
    '/api/v1/tags',
    {
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
      schema: {
        tags: ['tags'],
        summary: 'Delete a tag from every record (administrators)',
        params: IdParams,
        response: NoContent,
      },
    },
    async (request, reply) => {
      await deleteTag(db, actorOf(request), request.params.id);
      return reply.status(204).send(null);
    },
  );
}
