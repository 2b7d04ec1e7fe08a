import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type, type Static, type TObject, type TProperties, type TSchema } from 'typebox';
import type { DatabaseHandle } from '../../db/database.js';
import { actorOf } from '../../http/request-context.js';
import { DateTime } from '../../http/schemas.js';
import type { Keyring } from '../../keys/keyring.js';
import { IdParams, Problems, Uuid } from '../privacy.http.js';
import {
  addRequestNote,
  completeRequest,
  extendRequest,
  getRequest,
  listRequests,
  openRequest,
  type PrivacyRequest,
  refuseRequest,
  REQUEST_CHANNELS,
  REQUEST_STATUSES,
  REQUEST_TYPES,
  startRequest,
  updateRequest,
  VERIFICATION_METHODS,
  verifyRequest,
} from './requests.service.js';

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const RequestType = Type.Enum(REQUEST_TYPES, {
  description:
    'The right exercised: access (Art. 15), rectification (16), erasure (17), restriction (18), objection (21), portability (20)',
});
const Status = Type.Enum(REQUEST_STATUSES);
const Channel = Type.Enum(REQUEST_CHANNELS, { description: 'How the request reached you' });
const Method = Type.Enum(VERIFICATION_METHODS, { description: "How the requester's identity was verified" });
const Step = Type.Enum(['verify', 'start', 'extend', 'complete', 'refuse'] as const);
const CalendarDate = (description: string) => Type.String({ format: 'date', description });
const Text = (max: number, description?: string) => Type.String({ minLength: 1, maxLength: max, ...(description ? { description } : {}) });

const RequestSchema = Type.Object({
  id: Uuid(),
  reference: Type.String({ description: 'A short reference for people (R-XXXXXXXX), as reminder mails name the case' }),
  type: RequestType,
  status: Status,
  channel: Channel,
  contactId: Nullable(Uuid()),
  leadId: Nullable(Uuid()),
  hasEmail: Type.Boolean({ description: 'The case holds the address the request came from (shown on GET /privacy/requests/{id})' }),
  receivedAt: DateTime(),
  dueAt: CalendarDate('The due date (UTC calendar date): one calendar month after receipt, plus any extension'),
  originalDueAt: CalendarDate('One calendar month after receipt'),
  extensionMonths: Type.Integer({ minimum: 0, maximum: 2 }),
  extendedAt: Nullable(DateTime()),
  informPersonOfExtensionBy: Nullable(
    CalendarDate('When extended: the person must be told of the extension and its reasons by this date (Art. 12(3))'),
  ),
  overdue: Type.Boolean(),
  daysLeft: Nullable(Type.Integer({ description: 'Days to the due date, negative once past; null once closed' })),
  assigneeId: Nullable(Uuid()),
  verification: Nullable(Type.Object({ method: Type.String(), at: DateTime(), by: Nullable(Uuid()) })),
  startedAt: Nullable(DateTime()),
  closedAt: Nullable(DateTime()),
  closedBy: Nullable(Uuid()),
  refusalLegalBasis: Nullable(Type.String()),
  nextSteps: Type.Array(Step, { description: 'The steps the case allows now' }),
  createdBy: Nullable(Uuid()),
  createdAt: DateTime(),
  updatedAt: DateTime(),
  version: Type.Integer(),
});

const StepSchema = Type.Object({
  id: Uuid(),
  action: Type.String(),
  at: DateTime(),
  actorUserId: Nullable(Uuid()),
  fromStatus: Nullable(Type.String()),
  toStatus: Nullable(Type.String()),
  details: Type.Record(Type.String(), Type.Unknown()),
  text: Nullable(Type.String({ description: 'The note or reason; null when none, or once the person was erased' })),
});

const RequestDetailSchema = Type.Object({
  ...RequestSchema.properties,
  email: Nullable(Type.String()),
  steps: Type.Array(StepSchema),
});

const tags = ['privacy requests'];

export function registerRequestRoutes(server: FastifyInstance, database: DatabaseHandle, keyring: Keyring): void {
  const app = server.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = database;

  app.post(
    '/api/v1/privacy/requests',
    {
      schema: {
        tags,
        summary: 'Open a data-subject request case; due one calendar month after receipt',
        description:
          'Name the person by contactId or leadId, or give the e-mail address the request came from: it is looked up and ' +
          'linked when exactly one person you may see has it, and kept sealed on the case either way.',
        body: Type.Object(
          {
            type: RequestType,
            contactId: Type.Optional(Uuid()),
            leadId: Type.Optional(Uuid()),
            email: Type.Optional(Type.String({ format: 'email', maxLength: 254 })),
            receivedAt: Type.Optional(Type.String({ format: 'date-time', description: 'When the request was received; default now' })),
            channel: Type.Optional(Channel),
            assigneeId: Type.Optional(Nullable(Uuid())),
            note: Type.Optional(Type.String({ maxLength: 10_000 })),
          },
          {
            additionalProperties: false,
            examples: [{ type: 'access', email: 'anneke@example.test', receivedAt: '2027-01-31T09:30:00Z', channel: 'email' }],
          },
        ),
        response: { 201: RequestDetailSchema, ...Problems },
      },
    },
    async (request, reply) => reply.status(201).send(await openRequest(db, keyring, actorOf(request), request.body)),
  );

  app.get(
    '/api/v1/privacy/requests',
    {
      schema: {
        tags,
        summary: 'Request cases by due date, earliest first; open ones unless status says otherwise',
        querystring: Type.Object(
          {
            status: Type.Optional(Type.Enum([...REQUEST_STATUSES, 'open', 'closed', 'all'] as const, { default: 'open' })),
            overdue: Type.Optional(Type.Boolean({ description: 'true: only open cases past their due date; false: none of those' })),
            assigneeId: Type.Optional(Uuid()),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
            cursor: Type.Optional(Type.String({ maxLength: 500 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ items: Type.Array(RequestSchema), nextCursor: Nullable(Type.String()) }), ...Problems },
      },
    },
    async (request) => listRequests(db, actorOf(request), request.query),
  );

  app.get(
    '/api/v1/privacy/requests/:id',
    {
      schema: {
        tags,
        summary: 'One case with its address, notes and history (the read is on record)',
        params: IdParams,
        response: { 200: RequestDetailSchema, ...Problems },
      },
    },
    async (request) => getRequest(db, keyring, actorOf(request), request.params.id),
  );

  const transition = <P extends TProperties>(
    path: string,
    summary: string,
    body: P,
    run: (actor: ReturnType<typeof actorOf>, id: string, body: Static<TObject<P>>) => Promise<PrivacyRequest>,
  ) =>
    app.post(
      `/api/v1/privacy/requests/:id/${path}`,
      {
        schema: {
          tags,
          summary,
          params: IdParams,
          body: Type.Object(body, { additionalProperties: false }),
          response: { 200: RequestSchema, ...Problems },
        },
      },
      async (request) => run(actorOf(request), request.params.id, request.body as Static<TObject<P>>),
    );

  transition(
    'verify',
    "Record how the requester's identity was verified (received → verified)",
    { method: Method, note: Type.Optional(Type.String({ maxLength: 10_000 })) },
    (actor, id, body) => verifyRequest(db, keyring, actor, id, body),
  );
  transition('start', 'Start work on a verified request (verified → in_progress)', {}, (actor, id) => startRequest(db, keyring, actor, id));
  transition(
    'extend',
    'Extend the deadline by 1 or 2 months (at most 2 in all, only before the first month ends); the person must be told why',
    {
      months: Type.Integer({ minimum: 1, maximum: 2 }),
      reason: Text(10_000, 'Why the request needs longer (its complexity or number): kept on the case, to be told to the person'),
    },
    (actor, id, body) => extendRequest(db, keyring, actor, id, body),
  );
  transition(
    'complete',
    'The request was carried out (verified or in_progress → completed)',
    { note: Type.Optional(Type.String({ maxLength: 10_000 })) },
    (actor, id, body) => completeRequest(db, keyring, actor, id, body),
  );
  transition(
    'refuse',
    'Refuse the request with its reason and legal basis (any open status → refused)',
    {
      reason: Text(10_000, 'Why the request is refused: kept on the case, to be told to the person with their right to complain'),
      legalBasis: Type.Optional(Type.String({ maxLength: 200, description: 'e.g. "Art. 12(5)(b) manifestly unfounded", "Art. 17(3)(b)"' })),
    },
    (actor, id, body) => refuseRequest(db, keyring, actor, id, body),
  );
  transition('notes', 'Add an internal note to the case (sealed)', { text: Text(10_000) }, (actor, id, body) =>
    addRequestNote(db, keyring, actor, id, body),
  );

  app.patch(
    '/api/v1/privacy/requests/:id',
    {
      schema: {
        tags,
        summary: 'Assign the case (null unassigns); a stale version answers 409',
        params: IdParams,
        body: Type.Object(
          { assigneeId: Type.Optional(Nullable(Uuid())), version: Type.Integer({ minimum: 1 }) },
          { additionalProperties: false },
        ),
        response: { 200: RequestSchema, ...Problems },
      },
    },
    async (request) => updateRequest(db, keyring, actorOf(request), request.params.id, request.body),
  );
}
