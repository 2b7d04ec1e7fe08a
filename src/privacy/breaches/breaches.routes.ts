import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type, type TSchema } from 'typebox';
import type { DatabaseHandle } from '../../db/database.js';
import { actorOf } from '../../http/request-context.js';
import { DateTime } from '../../http/schemas.js';
import type { Keyring } from '../../keys/keyring.js';
import { IdParams, Problems, Uuid } from '../privacy.http.js';
import { BREACH_STATUSES, getBreach, listBreaches, recordBreach, updateBreach } from './breaches.service.js';

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const Status = Type.Enum(BREACH_STATUSES);
const Text = (description: string) => Type.String({ minLength: 1, maxLength: 20_000, description });
const Reason = (description: string) => Type.Optional(Nullable(Type.String({ maxLength: 20_000, description })));
const Moment = (description: string) => Type.String({ format: 'date-time', description });
const Categories = (description: string) =>
  Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: 50, uniqueItems: true, description });
const Count = (description: string) => Type.Integer({ minimum: 0, maximum: 2_000_000_000, description });

const BreachSchema = Type.Object({
  id: Uuid(),
  detectedAt: DateTime(),
  occurredAt: Nullable(DateTime()),
  notifyAuthorityBy: DateTime({ description: 'detectedAt + 72 hours: the deadline for notifying the supervisory authority (Art. 33(1))' }),
  nature: Nullable(Type.String()),
  categories: Type.Array(Type.String()),
  subjectCategories: Type.Array(Type.String()),
  approxSubjects: Type.Integer(),
  approxRecords: Type.Integer(),
  consequences: Nullable(Type.String()),
  measures: Nullable(Type.String()),
  status: Status,
  authorityNotificationRequired: Type.Boolean(),
  noNotificationReason: Nullable(Type.String()),
  authorityNotifiedAt: Nullable(DateTime()),
  authorityReference: Nullable(Type.String()),
  notifiedLate: Type.Boolean(),
  delayReason: Nullable(Type.String()),
  subjectsInformed: Nullable(Type.Boolean()),
  informReason: Nullable(Type.String()),
  subjectsInformedAt: Nullable(DateTime()),
  overdue: Type.Boolean({ description: 'Notification required, not yet made, and the 72 hours are past' }),
  createdBy: Nullable(Uuid()),
  createdAt: DateTime(),
  updatedAt: DateTime(),
  version: Type.Integer(),
});

const tags = ['privacy breaches'];

export function registerBreachRoutes(server: FastifyInstance, database: DatabaseHandle, keyring: Keyring): void {
  const app = server.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = database;

  app.post(
    '/api/v1/privacy/breaches',
    {
      schema: {
        tags,
        summary: 'Record a personal data breach; the authority must be notified within 72 hours of detection',
        body: Type.Object(
          {
            detectedAt: Moment('When you became aware of the breach: the 72 hours run from here'),
            occurredAt: Type.Optional(Nullable(Moment('When the breach happened, if known'))),
            nature: Text('What happened'),
            categories: Categories('Categories of personal data concerned (e.g. contact details, financial)'),
            subjectCategories: Type.Optional(Categories('Categories of people concerned (e.g. customers, employees)')),
            approxSubjects: Count('Approximate number of people concerned'),
            approxRecords: Count('Approximate number of personal data records concerned'),
            consequences: Text('Likely consequences'),
            measures: Text('Measures taken or proposed'),
            status: Type.Optional(Status),
            authorityNotificationRequired: Type.Optional(
              Type.Boolean({ description: 'false when the breach is unlikely to result in a risk (then give noNotificationReason)' }),
            ),
            noNotificationReason: Reason('Why the authority is not notified'),
          },
          {
            additionalProperties: false,
            examples: [
              {
                detectedAt: '2027-03-01T09:00:00Z',
                nature: 'A laptop with an unencrypted export was stolen',
                categories: ['contact details'],
                approxSubjects: 120,
                approxRecords: 120,
                consequences: 'Phishing of the people in the export',
                measures: 'Remote wipe requested; people to be warned',
              },
            ],
          },
        ),
        response: { 201: BreachSchema, ...Problems },
      },
    },
    async (request, reply) => reply.status(201).send(await recordBreach(db, keyring, actorOf(request), request.body)),
  );

  app.get(
    '/api/v1/privacy/breaches',
    {
      schema: {
        tags,
        summary: 'The breach register, newest detection first; overdue ones flagged',
        querystring: Type.Object(
          {
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
            cursor: Type.Optional(Type.String({ maxLength: 500 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ items: Type.Array(BreachSchema), nextCursor: Nullable(Type.String()) }), ...Problems },
      },
    },
    async (request) => listBreaches(db, keyring, actorOf(request), request.query),
  );

  app.get(
    '/api/v1/privacy/breaches/:id',
    { schema: { tags, summary: 'One breach', params: IdParams, response: { 200: BreachSchema, ...Problems } } },
    async (request) => getBreach(db, keyring, actorOf(request), request.params.id),
  );

  app.patch(
    '/api/v1/privacy/breaches/:id',
    {
      schema: {
        tags,
        summary: 'Update a breach: measures, status, the notification of the authority, the decision on informing the people',
        params: IdParams,
        body: Type.Object(
          {
            occurredAt: Type.Optional(Nullable(Moment('When the breach happened'))),
            nature: Type.Optional(Text('What happened')),
            categories: Type.Optional(Categories('Categories of personal data concerned')),
            subjectCategories: Type.Optional(Categories('Categories of people concerned')),
            approxSubjects: Type.Optional(Count('Approximate number of people concerned')),
            approxRecords: Type.Optional(Count('Approximate number of records concerned')),
            consequences: Type.Optional(Text('Likely consequences')),
            measures: Type.Optional(Text('Measures taken or proposed')),
            status: Type.Optional(Status),
            authorityNotificationRequired: Type.Optional(Type.Boolean()),
            noNotificationReason: Reason('Why the authority is not notified (required when authorityNotificationRequired is false)'),
            authorityNotifiedAt: Type.Optional(Nullable(Moment('When the supervisory authority was notified'))),
            authorityReference: Type.Optional(Nullable(Type.String({ maxLength: 200, description: "The authority's case reference" }))),
            delayReason: Reason('Why the notification came after 72 hours (required then)'),
            subjectsInformed: Type.Optional(
              Nullable(Type.Boolean({ description: 'The decision on informing the people (Art. 34); null: undecided' })),
            ),
            informReason: Reason('The reason for that decision (required with it)'),
            subjectsInformedAt: Type.Optional(Nullable(Moment('When the people were informed'))),
            version: Type.Integer({ minimum: 1 }),
          },
          { additionalProperties: false },
        ),
        response: { 200: BreachSchema, ...Problems },
      },
    },
    async (request) => updateBreach(db, keyring, actorOf(request), request.params.id, request.body),
  );
}
