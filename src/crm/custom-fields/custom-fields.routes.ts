import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { DatabaseHandle } from '../../db/database.js';
import { actorOf } from '../../http/request-context.js';
import type { Keyring } from '../../keys/keyring.js';
import { IdParams, OneOf, Problems, Uuid, NoContent } from '../common/crm.http.js';
import {
  CUSTOM_FIELD_MODULES,
  CUSTOM_FIELD_TYPES,
  createCustomField,
  deleteCustomField,
  listCustomFields,
  updateCustomField,
} from './custom-fields.service.js';

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

export function registerCustomFieldRoutes(server: FastifyInstance, database: DatabaseHandle, _keyring: Keyring): void {
  const app = server.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = database;

  app.get(
    '/api/v1/custom-fields',
    {
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
      schema: {
        tags: ['custom fields'],
        summary: 'Delete a custom field and its values (administrators)',
        params: IdParams,
        response: NoContent,
      },
    },
    async (request, reply) => {
      await deleteCustomField(db, actorOf(request), request.params.id);
      return reply.status(204).send(null);
    },
  );
}
