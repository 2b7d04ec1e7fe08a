import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { pingDatabase, type DatabaseHandle } from '../db/database.js';
import { sendProblem } from './problem.js';

const Health = Type.Object({ status: Type.Literal('ok') });

export function registerOpsRoutes(app: FastifyInstance, database: DatabaseHandle): void {
  app.get('/healthz', { schema: { tags: ['operations'], summary: 'The process is alive', response: { 200: Health } } }, async () => ({
    status: 'ok' as const,
  }));

  app.get(
    '/readyz',
    {
      schema: {
        tags: ['operations'],
        summary: 'The database answers; take the node out of the load balancer when not',
        response: { 200: Type.Object({ status: Type.Literal('ok'), database: Type.String() }) },
      },
    },
    async (request, reply) => {
      try {
        await pingDatabase(database.db);
        return { status: 'ok' as const, database: database.kind };
      } catch {
        return sendProblem(request, reply, 503, 'database_unavailable', 'the database does not answer');
      }
    },
  );
}
