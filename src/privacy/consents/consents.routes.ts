import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { IdParams, Nullable, OneOf, Problems, Uuid } from '../../crm/common/crm.http.js';
import type { DatabaseHandle } from '../../db/database.js';
import { actorOf } from '../../http/request-context.js';
import { DateTime } from '../../http/schemas.js';
import type { Keyring } from '../../keys/keyring.js';
import { personConsents, recordPersonConsent, STAFF_SOURCES, type PersonRef } from './consents.service.js';

// The consent ledger of one person, as staff read and add to it. There is
// deliberately no PATCH, PUT or DELETE: an event, once recorded, is proof.

const SOURCES = ['form', 'double_opt_in', 'import', 'api', 'staff'] as const;
const PersonRefSchema = Type.Object({ kind: OneOf(['contacts', 'leads']), id: Uuid() });

const ConsentState = Type.Object({
  purposeId: Uuid(),
  purposeName: Nullable(Type.String()),
  marketing: Type.Boolean(),
  status: OneOf(['granted', 'withdrawn']),
  at: DateTime(),
  source: OneOf(SOURCES),
});

const ConsentItem = Type.Object({
  id: Uuid(),
  purposeId: Nullable(Type.String({ format: 'uuid', description: 'Null for an objection to direct marketing' })),
  purposeName: Nullable(Type.String()),
  action: OneOf(['grant', 'withdraw', 'confirm', 'object']),
  source: OneOf(SOURCES),
  at: DateTime(),
  noticeHash: Nullable(Type.String({ description: 'Hex SHA-256 of the exact notice text shown' })),
  noticeVersion: Nullable(Type.Integer()),
  noticeLanguage: Nullable(OneOf(['en', 'nl'])),
  ip: Nullable(Type.String({ description: 'Where the person acted themselves (public pages); stored encrypted' })),
  userAgent: Nullable(Type.String()),
  recordedBy: Nullable(Type.String({ format: 'uuid', description: 'The user who recorded the event; null for the person’s own act' })),
  recordedOn: PersonRefSchema,
});

const PurposeChoice = Type.Object({
  id: Uuid(),
  name: Type.String(),
  lawfulBasis: OneOf(['consent', 'contract', 'legal_obligation', 'vital_interests', 'public_task', 'legitimate_interests']),
  marketing: Type.Boolean(),
  status: OneOf(['active', 'retired']),
});

const PersonConsents = Type.Object({
  purposes: Type.Array(PurposeChoice, { description: 'The tenant’s purposes, active first, to record a consent for' }),
  current: Type.Array(ConsentState),
  objectedToMarketingAt: Nullable(DateTime()),
  items: Type.Array(ConsentItem, { description: 'The ledger, newest first' }),
});

const ConsentBody = Type.Object(
  {
    action: OneOf(['grant', 'withdraw', 'object'], {
      description: 'grant or withdraw one purpose; object: the person objects to direct marketing (withdraws every marketing purpose)',
    }),
    purposeId: Type.Optional(Uuid()),
    source: Type.Optional(
      OneOf(STAFF_SOURCES, { description: 'How the consent or withdrawal reached you; default staff (phone, letter, in person)' }),
    ),
    noticeId: Type.Optional(Uuid()),
  },
  {
    additionalProperties: false,
    examples: [
      { purposeId: '0190a6f2-8f5c-7cc1-9d4e-3b1f6e2a9c01', action: 'grant', source: 'staff' },
      { purposeId: '0190a6f2-8f5c-7cc1-9d4e-3b1f6e2a9c01', action: 'withdraw' },
      { action: 'object' },
    ],
  },
);

export function registerConsentRoutes(server: FastifyInstance, database: DatabaseHandle, keyring: Keyring): void {
  const app = server.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = database;

  for (const [kind, noun] of [
    ['contacts', 'contact'],
    ['leads', 'lead'],
  ] as const) {
    const person = (id: string): PersonRef => ({ kind, id });
    app.get(
      `/api/v1/${kind}/:id/consents`,
      {
        schema: {
          tags: ['consents'],
          summary: `The ${noun}'s consents: state per purpose and the whole ledger with its proof (recorded as a read)`,
          params: IdParams,
          response: { 200: PersonConsents, ...Problems },
        },
      },
      async (request) => personConsents(db, keyring, actorOf(request), person(request.params.id)),
    );

    app.post(
      `/api/v1/${kind}/:id/consents`,
      {
        schema: {
          tags: ['consents'],
          summary: `Record a grant, a withdrawal or an objection to direct marketing on the ${noun} (appended, never changed)`,
          params: IdParams,
          body: ConsentBody,
          response: { 201: Type.Object({ items: Type.Array(ConsentItem, { description: 'The events written' }) }), ...Problems },
        },
      },
      async (request, reply) =>
        reply
          .status(201)
          .send({ items: await recordPersonConsent(db, keyring, actorOf(request), person(request.params.id), request.body) }),
    );
  }
}
