import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { DatabaseHandle } from '../../db/database.js';
import { actorOf } from '../../http/request-context.js';
import { DateTime } from '../../http/schemas.js';
import type { Keyring } from '../../keys/keyring.js';
import { IdParams, Problems, Uuid } from '../privacy.http.js';
import { liftRestriction, restrictPerson } from './restriction.service.js';

const State = Type.Object({ restricted: Type.Boolean(), since: Type.Union([DateTime(), Type.Null()]) });
const Reason = Type.String({
  minLength: 3,
  maxLength: 2000,
  description: 'Why (stored sealed under the person key, shown in the audit trail)',
});

export function registerRestrictionRoutes(server: FastifyInstance, database: DatabaseHandle, keyring: Keyring): void {
  const app = server.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = database;

  for (const [path, table, noun] of [
    ['contacts', 'contacts', 'contact'],
    ['leads', 'leads', 'lead'],
  ] as const) {
    app.post(
      `/api/v1/${path}/:id/restriction`,
      {
        schema: {
          tags: ['privacy'],
          summary: `Restrict processing of a ${noun} (Art. 18)`,
          description:
            'The data is kept; edits, deletion, conversion, exports, imports that would update the person and campaigns are refused ' +
            'with 423 processing_restricted (each attempt audited) until the restriction is lifted. Needs the privacy edit permission.',
          params: IdParams,
          body: Type.Object({ reason: Reason, requestId: Type.Optional(Uuid()) }, { additionalProperties: false }),
          response: { 200: State, ...Problems },
        },
      },
      async (request) => restrictPerson(db, keyring, actorOf(request), { table, id: request.params.id }, request.body),
    );
    app.post(
      `/api/v1/${path}/:id/restriction/lift`,
      {
        schema: {
          tags: ['privacy'],
          summary: `Lift the restriction of a ${noun}: a recorded decision with a reason`,
          params: IdParams,
          body: Type.Object({ reason: Reason }, { additionalProperties: false }),
          response: { 200: State, ...Problems },
        },
      },
      async (request) => liftRestriction(db, keyring, actorOf(request), { table, id: request.params.id }, request.body),
    );
  }
}
