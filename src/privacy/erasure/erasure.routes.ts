import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { DatabaseHandle } from '../../db/database.js';
import { actorOf } from '../../http/request-context.js';
import { DateTime } from '../../http/schemas.js';
import type { Keyring } from '../../keys/keyring.js';
import { IdParams, Problems, Uuid } from '../privacy.http.js';
import { erasePerson, readmit, suppressionCount } from './erasure.service.js';

const ErasureReport = Type.Object({
  erased: Type.Literal(true),
  deleted: Type.Record(Type.String(), Type.Integer(), { description: 'Rows deleted per table' }),
  suppressed: Type.Integer({ description: 'Suppression entries added (keyed hashes of e-mail addresses and phone numbers)' }),
  at: DateTime(),
});

const LAWFUL_BASES = ['consent', 'contract', 'legal_obligation', 'vital_interests', 'public_task', 'legitimate_interests'] as const;

export function registerErasureRoutes(server: FastifyInstance, database: DatabaseHandle, keyring: Keyring): void {
  const app = server.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = database;

  for (const [path, table, noun] of [
    ['contacts', 'contacts', 'contact'],
    ['leads', 'leads', 'lead'],
  ] as const) {
    app.post(
      `/api/v1/${path}/:id/erase`,
      {
        schema: {
          tags: ['privacy'],
          summary: `Erase a ${noun} (Art. 17): shred their key, delete their records, suppress their addresses`,
          description:
            'One transaction: the e-mail addresses and phone numbers go on the suppression list as keyed hashes, the person key is ' +
            'destroyed (every value sealed under it, in the database and in backups, is unreadable from then on), and the person ' +
            'records, notes, activities about them, logged e-mails, deal links and consent events are deleted. The audit trail keeps ' +
            'the facts without readable values. Needs the privacy delete permission. Binned records can be erased too.',
          params: IdParams,
          body: Type.Optional(Type.Object({ requestId: Type.Optional(Uuid()) }, { additionalProperties: false })),
          response: { 200: ErasureReport, ...Problems },
        },
      },
      async (request) =>
        erasePerson(db, keyring, actorOf(request), { table, id: request.params.id }, { requestId: request.body?.requestId }),
    );
  }

  app.get(
    '/api/v1/privacy/suppressions',
    {
      schema: {
        tags: ['privacy'],
        summary: 'How many e-mail addresses and phone numbers are suppressed (never which)',
        response: { 200: Type.Object({ emails: Type.Integer(), phones: Type.Integer(), total: Type.Integer() }), ...Problems },
      },
    },
    async (request) => suppressionCount(db, actorOf(request)),
  );

  app.post(
    '/api/v1/privacy/suppressions/readmit',
    {
      schema: {
        tags: ['privacy'],
        summary: 'Re-admit a suppressed e-mail address or phone number by recording a new lawful basis',
        body: Type.Object(
          {
            email: Type.Optional(Type.String({ minLength: 3, maxLength: 254 })),
            phone: Type.Optional(Type.String({ minLength: 3, maxLength: 50 })),
            lawfulBasis: Type.Enum(LAWFUL_BASES),
            reason: Type.String({ minLength: 3, maxLength: 2000 }),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ removed: Type.Integer() }), ...Problems },
      },
    },
    async (request) => readmit(db, keyring, actorOf(request), request.body),
  );
}
