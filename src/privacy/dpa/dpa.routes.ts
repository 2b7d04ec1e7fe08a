import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { DatabaseHandle } from '../../db/database.js';
import { actorOf } from '../../http/request-context.js';
import { DateTime } from '../../http/schemas.js';
import type { Keyring } from '../../keys/keyring.js';
import { Language, Problems, Uuid } from '../privacy.http.js';
import { acceptDpa, dpaFor, dpaStatus } from './dpa.service.js';

const AcceptanceSchema = Type.Object({
  id: Uuid(),
  version: Type.String(),
  language: Language,
  textSha256: Type.String({ description: 'Hex SHA-256 of the exact text accepted' }),
  userId: Uuid(),
  name: Type.String(),
  title: Type.String(),
  ip: Type.Union([Type.String(), Type.Null()]),
  acceptedAt: DateTime(),
});
const DpaSchema = Type.Object({
  current: Type.Object({
    version: Type.String(),
    language: Language,
    text: Type.String({ description: 'Markdown, in the reader’s language when published in it' }),
    sha256: Type.String(),
    publishedAt: DateTime(),
  }),
  subProcessors: Type.Array(Type.Object({ name: Type.String(), service: Type.String(), location: Type.String() })),
  acceptances: Type.Array(AcceptanceSchema, { description: 'This tenant’s acceptances, newest first' }),
  pending: Type.Boolean({ description: 'The current version is not yet accepted by this tenant' }),
});

export function registerDpaRoutes(server: FastifyInstance, database: DatabaseHandle, keyring: Keyring): void {
  const app = server.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = database;
  const tags = ['privacy'];

  app.get(
    '/api/v1/privacy/dpa',
    {
      schema: {
        tags,
        summary: 'The current data processing agreement, its sub-processors and this tenant’s acceptances',
        response: { 200: DpaSchema, ...Problems },
      },
    },
    async (request) => dpaFor(db, keyring, actorOf(request)),
  );

  app.get(
    '/api/v1/privacy/dpa/status',
    {
      schema: {
        tags,
        summary: 'Whether a newer DPA waits for an administrator’s acceptance (always false for other users)',
        response: { 200: Type.Object({ version: Type.String(), pending: Type.Boolean() }), ...Problems },
      },
    },
    async (request) => dpaStatus(db, actorOf(request)),
  );

  app.post(
    '/api/v1/privacy/dpa/accept',
    {
      schema: {
        tags,
        summary: 'Accept the current DPA (administrators only); another version answers 409 dpa_not_current',
        body: Type.Object(
          {
            version: Type.String({ minLength: 1, maxLength: 40 }),
            name: Type.String({ minLength: 1, maxLength: 200, description: 'Who accepts, for the tenant' }),
            title: Type.String({ minLength: 1, maxLength: 200, description: 'Their title or function' }),
          },
          { additionalProperties: false, examples: [{ version: '2026-12', name: 'Anna de Vries', title: 'Managing director' }] },
        ),
        response: { 201: AcceptanceSchema, ...Problems },
      },
    },
    async (request, reply) => reply.status(201).send(await acceptDpa(db, keyring, actorOf(request), request.body)),
  );
}
