import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { DatabaseHandle } from '../../db/database.js';
import { actorOf } from '../../http/request-context.js';
import type { Keyring } from '../../keys/keyring.js';
import { Nullable, OneOf, Problems, Uuid } from '../common/crm.http.js';
import { searchEverything } from './search.service.js';

const HitSchema = Type.Object({
  module: OneOf(['contacts', 'leads', 'organizations', 'deals']),
  id: Uuid(),
  title: Type.String(),
  detail: Nullable(Type.String()),
});

export function registerSearchRoutes(server: FastifyInstance, database: DatabaseHandle, keyring: Keyring): void {
  const app = server.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = database;

  app.get(
    '/api/v1/search',
    {
      schema: {
        tags: ['search'],
        summary: 'Search contacts, leads, organizations and deals at once: an e-mail, a phone number or name words',
        querystring: Type.Object(
          {
            q: Type.String({ minLength: 2, maxLength: 100 }),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 20, default: 5, description: 'Hits per module' })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ items: Type.Array(HitSchema) }), ...Problems },
      },
    },
    async (request) => searchEverything(db, keyring, actorOf(request), request.query),
  );
}
