import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { DatabaseHandle } from '../../db/database.js';
import { actorOf } from '../../http/request-context.js';
import { DateTime } from '../../http/schemas.js';
import type { Keyring } from '../../keys/keyring.js';
import { Nullable, OneOf, Page, PageOf, Problems, Uuid, NoContent } from '../common/crm.http.js';
import { listRecycleBin, purgeFromBin, restoreFromBin } from './recycle-bin.service.js';

const Module = OneOf(['contacts', 'leads', 'organizations', 'deals', 'activities', 'notes', 'email-messages']);
const BinParams = Type.Object({ module: Module, id: Uuid() });
const BinItemSchema = Type.Object({
  module: Type.String(),
  id: Uuid(),
  title: Nullable(Type.String()),
  deletedAt: DateTime(),
  purgeAfter: DateTime({ description: 'When it is purged for good; restorable until then' }),
});

export function registerRecycleBinRoutes(server: FastifyInstance, database: DatabaseHandle, keyring: Keyring): void {
  const app = server.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = database;

  app.get(
    '/api/v1/recycle-bin',
    {
      schema: {
        tags: ['recycle bin'],
        summary: 'Deleted records, newest first (administrators see all, others their own); purged 30 days after deletion',
        querystring: Type.Object({ ...Page, module: Type.Optional(Module) }, { additionalProperties: false }),
        response: { 200: PageOf(BinItemSchema), ...Problems },
      },
    },
    async (request) => listRecycleBin(db, keyring, actorOf(request), request.query),
  );

  app.post(
    '/api/v1/recycle-bin/:module/:id/restore',
    {
      schema: {
        tags: ['recycle bin'],
        summary: 'Restore a deleted record (within 30 days)',
        params: BinParams,
        response: { 200: Type.Object({ module: Type.String(), id: Uuid() }), ...Problems },
      },
    },
    async (request) => restoreFromBin(db, keyring, actorOf(request), request.params.module, request.params.id),
  );

  app.delete(
    '/api/v1/recycle-bin/:module/:id',
    {
      schema: {
        tags: ['recycle bin'],
        summary: 'Purge a deleted record now, for good (administrators); a person’s key goes with their last record',
        params: BinParams,
        response: NoContent,
      },
    },
    async (request, reply) => {
      await purgeFromBin(db, keyring, actorOf(request), request.params.module, request.params.id);
      return reply.status(204).send(null);
    },
  );
}
