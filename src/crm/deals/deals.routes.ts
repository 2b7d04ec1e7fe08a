import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { DatabaseHandle } from '../../db/database.js';
import { actorOf } from '../../http/request-context.js';
import { DateTime } from '../../http/schemas.js';
import type { Keyring } from '../../keys/keyring.js';
import {
  IdParams,
  ifMatch,
  Nullable,
  OwnerGroupIdInput,
  OwnerGroupIdOut,
  Page,
  PageOf,
  Problems,
  TagsInput,
  Uuid,
  Version,
  NoContent,
} from '../common/crm.http.js';
import { createDeal, DEAL_SORTS, dealHistory, deleteDeal, getDeal, listDeals, updateDeal } from './deals.service.js';

const Money = {
  amount: Type.Integer({
    minimum: 0,
    maximum: Number.MAX_SAFE_INTEGER,
    description: 'Integer minor units of the currency: 1250 with EUR is EUR 12.50',
  }),
  currency: Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217 code, upper case' }),
};
const Custom = Type.Record(Type.String({ maxLength: 100 }), Type.Unknown(), { description: 'Custom field values by key' });
const DealStatus = Type.Union([Type.Literal('open'), Type.Literal('won'), Type.Literal('lost')]);
const CalendarDate = Type.String({ format: 'date', description: 'YYYY-MM-DD' });
const DealSchema = Type.Object({
  id: Uuid(),
  title: Type.String(),
  amount: Type.Optional(Money.amount),
  currency: Type.Optional(Money.currency),
  pipelineId: Uuid(),
  stageId: Uuid(),
  status: DealStatus,
  probability: Type.Integer(),
  lostReason: Type.Optional(Nullable(Type.String())),
  closedAt: Nullable(DateTime()),
  expectedCloseDate: Type.Optional(Nullable(Type.String({ format: 'date' }))),
  organizationId: Type.Optional(Nullable(Uuid())),
  contactIds: Type.Optional(Type.Array(Uuid())),
  tags: Type.Optional(Type.Array(Type.String())),
  ownerId: Uuid(),
  ownerGroupId: OwnerGroupIdOut,
  custom: Custom,
  version: Type.Integer(),
  createdAt: DateTime(),
  updatedAt: DateTime(),
});
const DealFields = {
  pipelineId: Type.Optional(Uuid()),
  stageId: Type.Optional(Uuid()),
  expectedCloseDate: Type.Optional(Nullable(CalendarDate)),
  organizationId: Type.Optional(Nullable(Uuid())),
  contactIds: Type.Optional(Type.Array(Uuid(), { maxItems: 50 })),
  tags: Type.Optional(TagsInput),
  ownerId: Type.Optional(Uuid()),
  ownerGroupId: OwnerGroupIdInput,
  lostReason: Type.Optional(Nullable(Type.String({ maxLength: 1000 }))),
  custom: Type.Optional(Custom),
};
const StageChangeSchema = Type.Object({
  id: Uuid(),
  fromStageId: Nullable(Uuid()),
  fromStageName: Nullable(Type.String()),
  toStageId: Uuid(),
  toStageName: Type.String(),
  changedBy: Uuid(),
  changedAt: DateTime(),
});
const Range = (what: string) => ({
  from: Type.Optional(Type.String({ format: 'date-time', description: `${what} at or after` })),
  to: Type.Optional(Type.String({ format: 'date-time', description: `${what} before` })),
});

export function registerDealRoutes(server: FastifyInstance, database: DatabaseHandle, _keyring: Keyring): void {
  const app = server.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = database;

  app.get(
    '/api/v1/deals',
    {
      schema: {
        tags: ['deals'],
        summary: 'Deals, a page at a time, filtered and sorted on non-personal columns',
        querystring: Type.Object(
          {
            ...Page,
            sort: Type.Optional(
              Type.Union(
                DEAL_SORTS.map((s) => Type.Literal(s)),
                { default: 'createdAt', description: 'A leading - sorts descending' },
              ),
            ),
            ownerId: Type.Optional(Uuid()),
            ownerGroupId: Type.Optional(Uuid()),
            pipelineId: Type.Optional(Uuid()),
            stageId: Type.Optional(Uuid()),
            status: Type.Optional(DealStatus),
            organizationId: Type.Optional(Uuid()),
            contactId: Type.Optional(Uuid()),
            tag: Type.Optional(Type.String({ minLength: 1, maxLength: 50, description: 'Only deals with this tag (by name)' })),
            q: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'Part of the title' })),
            createdFrom: Range('created').from,
            createdTo: Range('created').to,
            updatedFrom: Range('changed').from,
            updatedTo: Range('changed').to,
          },
          { additionalProperties: false },
        ),
        response: { 200: PageOf(DealSchema), ...Problems },
      },
    },
    async (request) => listDeals(db, actorOf(request), request.query),
  );

  app.post(
    '/api/v1/deals',
    {
      schema: {
        tags: ['deals'],
        summary: 'Create a deal; without pipelineId/stageId it starts in the first stage of the default pipeline',
        body: Type.Object(
          { title: Type.String({ minLength: 1, maxLength: 300 }), ...Money, status: Type.Optional(DealStatus), ...DealFields },
          {
            additionalProperties: false,
            examples: [{ title: 'Acme renewal 2025', amount: 1250000, currency: 'EUR', expectedCloseDate: '2025-06-30' }],
          },
        ),
        response: { 201: DealSchema, ...Problems },
      },
    },
    async (request, reply) => reply.status(201).send(await createDeal(db, actorOf(request), request.body)),
  );

  app.get(
    '/api/v1/deals/:id',
    { schema: { tags: ['deals'], summary: 'One deal', params: IdParams, response: { 200: DealSchema, ...Problems } } },
    async (request, reply) => {
      const deal = await getDeal(db, actorOf(request), request.params.id);
      reply.header('etag', `"${deal.version}"`);
      return deal;
    },
  );

  app.patch(
    '/api/v1/deals/:id',
    {
      schema: {
        tags: ['deals'],
        summary:
          'Change a deal; a new stage is recorded in its history, a won/lost stage closes it; a stale If-Match or `version` answers 409',
        params: IdParams,
        body: Type.Object(
          {
            title: Type.Optional(Type.String({ minLength: 1, maxLength: 300 })),
            amount: Type.Optional(Money.amount),
            currency: Type.Optional(Money.currency),
            status: Type.Optional(DealStatus),
            ...DealFields,
            ...Version,
          },
          { additionalProperties: false },
        ),
        response: { 200: DealSchema, ...Problems },
      },
    },
    async (request) => updateDeal(db, actorOf(request), request.params.id, request.body, ifMatch(request)),
  );

  app.delete(
    '/api/v1/deals/:id',
    {
      schema: { tags: ['deals'], summary: 'Delete a deal (to the recycle bin for 30 days)', params: IdParams, response: NoContent },
    },
    async (request, reply) => {
      await deleteDeal(db, actorOf(request), request.params.id);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/api/v1/deals/:id/history',
    {
      schema: {
        tags: ['deals'],
        summary: 'The stages a deal went through, oldest first',
        params: IdParams,
        response: { 200: Type.Object({ items: Type.Array(StageChangeSchema) }), ...Problems },
      },
    },
    async (request) => dealHistory(db, actorOf(request), request.params.id),
  );
}
