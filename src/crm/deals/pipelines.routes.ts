import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { DatabaseHandle } from '../../db/database.js';
import { actorOf } from '../../http/request-context.js';
import { DateTime } from '../../http/schemas.js';
import type { Keyring } from '../../keys/keyring.js';
import { IdParams, ifMatch, PageOf, Problems, Uuid, Version, NoContent } from '../common/crm.http.js';
import { createPipeline, deletePipeline, getPipeline, listPipelines, updatePipeline } from './pipelines.service.js';

const StageKind = Type.Union([Type.Literal('open'), Type.Literal('won'), Type.Literal('lost')]);
const Probability = Type.Integer({ minimum: 0, maximum: 100, description: 'Chance of winning, in percent' });
const StageSchema = Type.Object({
  id: Uuid(),
  name: Type.String(),
  position: Type.Integer(),
  probability: Type.Integer(),
  kind: StageKind,
});
const PipelineSchema = Type.Object({
  id: Uuid(),
  name: Type.String(),
  position: Type.Integer(),
  isDefault: Type.Boolean(),
  stages: Type.Array(StageSchema),
  version: Type.Integer(),
  createdAt: DateTime(),
  updatedAt: DateTime(),
});
const StageBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    probability: Probability,
    kind: Type.Optional(StageKind),
  },
  { additionalProperties: false },
);
const StagePatch = Type.Object(
  {
    id: Type.Optional(Uuid()),
    name: Type.String({ minLength: 1, maxLength: 100 }),
    probability: Probability,
    kind: Type.Optional(StageKind),
  },
  { additionalProperties: false },
);

export function registerPipelineRoutes(server: FastifyInstance, database: DatabaseHandle, _keyring: Keyring): void {
  const app = server.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = database;

  app.get(
    '/api/v1/pipelines',
    {
      schema: {
        tags: ['pipelines'],
        summary: 'The pipelines of the tenant with their stages, in board order',
        response: { 200: PageOf(PipelineSchema), ...Problems },
      },
    },
    async (request) => listPipelines(db, actorOf(request)),
  );

  app.post(
    '/api/v1/pipelines',
    {
      schema: {
        tags: ['pipelines'],
        summary: 'Create a pipeline with its ordered stages',
        body: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 100 }),
            stages: Type.Array(StageBody, { minItems: 1, maxItems: 30 }),
            position: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000 })),
            isDefault: Type.Optional(Type.Boolean()),
          },
          {
            additionalProperties: false,
            examples: [
              {
                name: 'Renewals',
                stages: [
                  { name: 'Due', probability: 50 },
                  { name: 'Quoted', probability: 80 },
                  { name: 'Renewed', probability: 100, kind: 'won' },
                  { name: 'Churned', probability: 0, kind: 'lost' },
                ],
              },
            ],
          },
        ),
        response: { 201: PipelineSchema, ...Problems },
      },
    },
    async (request, reply) => reply.status(201).send(await createPipeline(db, actorOf(request), request.body)),
  );

  app.get(
    '/api/v1/pipelines/:id',
    {
      schema: {
        tags: ['pipelines'],
        summary: 'One pipeline with its stages',
        params: IdParams,
        response: { 200: PipelineSchema, ...Problems },
      },
    },
    async (request) => getPipeline(db, actorOf(request), request.params.id),
  );

  app.patch(
    '/api/v1/pipelines/:id',
    {
      schema: {
        tags: ['pipelines'],
        summary: 'Rename, reorder or make default; `stages` is the whole new ordered list (by id to keep, without to add)',
        params: IdParams,
        body: Type.Object(
          {
            name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
            position: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000 })),
            isDefault: Type.Optional(Type.Boolean()),
            stages: Type.Optional(Type.Array(StagePatch, { minItems: 1, maxItems: 30 })),
            ...Version,
          },
          { additionalProperties: false },
        ),
        response: { 200: PipelineSchema, ...Problems },
      },
    },
    async (request) => updatePipeline(db, actorOf(request), request.params.id, request.body, ifMatch(request)),
  );

  app.delete(
    '/api/v1/pipelines/:id',
    {
      schema: {
        tags: ['pipelines'],
        summary: 'Delete a pipeline; not the default one, nor one with deals (409)',
        params: IdParams,
        response: NoContent,
      },
    },
    async (request, reply) => {
      await deletePipeline(db, actorOf(request), request.params.id);
      return reply.status(204).send(null);
    },
  );
}
