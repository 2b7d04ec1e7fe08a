import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { DatabaseHandle } from '../db/database.js';
import { actorOf, requireAuth } from '../http/auth.js';
import { DateTime } from '../http/schemas.js';
import type { IdentitySettings } from '../identity/identity.service.js';
import { ACTIVITY_SORTS, createActivity, deleteActivity, getActivity, listActivities, updateActivity } from './activities.service.js';
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
} from './crm.http.js';
import { createDeal, DEAL_SORTS, dealHistory, deleteDeal, getDeal, listDeals, updateDeal } from './deals.service.js';
import { deleteEmailMessage, getEmailMessage, listEmailMessages, logEmailMessage } from './email-messages.service.js';
import { createPipeline, deletePipeline, getPipeline, listPipelines, updatePipeline } from './pipelines.service.js';

// Deals and their pipelines, activities and logged e-mail messages.

const StageKind = Type.Union([Type.Literal('open'), Type.Literal('won'), Type.Literal('lost')]);
const Probability = Type.Integer({ minimum: 0, maximum: 100, description: 'Chance of winning, in percent' });

const StageSchema = Type.Object({
  id: Uuid(),
  name: Type.String(),
  position: Type.Integer(),
  probability: Type.Integer(),
  kind: StageKind,
});
const PipelineSchema = Type.Object({
  id: Uuid(),
  name: Type.String(),
  position: Type.Integer(),
  isDefault: Type.Boolean(),
  stages: Type.Array(StageSchema),
  version: Type.Integer(),
  createdAt: DateTime(),
  updatedAt: DateTime(),
});
const StageBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    probability: Probability,
    kind: Type.Optional(StageKind),
  },
  { additionalProperties: false },
);
const StagePatch = Type.Object(
  {
    id: Type.Optional(Uuid()),
    name: Type.String({ minLength: 1, maxLength: 100 }),
    probability: Probability,
    kind: Type.Optional(StageKind),
  },
  { additionalProperties: false },
);

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

// Fields a profile hides are absent from answers, so each of them is optional here.
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

const ActivityType = Type.Union([Type.Literal('task'), Type.Literal('call'), Type.Literal('meeting')]);
const ActivitySchema = Type.Object({
  id: Uuid(),
  type: ActivityType,
  subject: Type.String(),
  description: Type.Optional(Nullable(Type.String())),
  dueAt: Type.Optional(Nullable(DateTime())),
  startAt: Type.Optional(Nullable(DateTime())),
  endAt: Type.Optional(Nullable(DateTime())),
  done: Type.Boolean(),
  doneAt: Nullable(DateTime()),
  assigneeId: Uuid(),
  ownerId: Uuid(),
  ownerGroupId: OwnerGroupIdOut,
  contactId: Type.Optional(Nullable(Uuid())),
  leadId: Type.Optional(Nullable(Uuid())),
  organizationId: Type.Optional(Nullable(Uuid())),
  dealId: Type.Optional(Nullable(Uuid())),
  custom: Custom,
  version: Type.Integer(),
  createdAt: DateTime(),
  updatedAt: DateTime(),
});
const When = Type.Optional(Nullable(Type.String({ format: 'date-time' })));
const ActivityFields = {
  description: Type.Optional(Nullable(Type.String({ maxLength: 100_000 }))),
  dueAt: When,
  startAt: When,
  endAt: When,
  done: Type.Optional(Type.Boolean()),
  assigneeId: Type.Optional(Uuid()),
  ownerId: Type.Optional(Uuid()),
  ownerGroupId: OwnerGroupIdInput,
  contactId: Type.Optional(Nullable(Uuid())),
  leadId: Type.Optional(Nullable(Uuid())),
  organizationId: Type.Optional(Nullable(Uuid())),
  dealId: Type.Optional(Nullable(Uuid())),
  custom: Type.Optional(Custom),
};

const EmailAddress = Type.String({ minLength: 3, maxLength: 320, description: 'address@example.com or "Name <address@example.com>"' });
const EmailMessageSchema = Type.Object({
  id: Uuid(),
  direction: Type.Union([Type.Literal('inbound'), Type.Literal('outbound')]),
  from: Type.String(),
  to: Type.Array(Type.String()),
  subject: Type.String(),
  body: Type.String(),
  sentAt: DateTime(),
  contactId: Nullable(Uuid()),
  dealId: Nullable(Uuid()),
  loggedBy: Uuid(),
  createdAt: DateTime(),
});

const Range = (what: string) => ({
  from: Type.Optional(Type.String({ format: 'date-time', description: `${what} at or after` })),
  to: Type.Optional(Type.String({ format: 'date-time', description: `${what} before` })),
});

export function registerDealRoutes(server: FastifyInstance, database: DatabaseHandle, settings: IdentitySettings): void {
  const app = server.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = database;
  const { keyring } = settings;
  const auth = requireAuth(db, settings);
  const noContent = { 204: Type.Null(), ...Problems };

  // --- pipelines ------------------------------------------------------------------

  app.get(
    '/api/v1/pipelines',
    {
      onRequest: auth,
      schema: {
        tags: ['pipelines'],
        summary: 'The pipelines of the tenant with their stages, in board order',
        response: { 200: PageOf(PipelineSchema), ...Problems },
      },
    },
    async (request) => listPipelines(db, actorOf(request)),
  );

  app.post(
    '/api/v1/pipelines',
    {
      onRequest: auth,
      schema: {
        tags: ['pipelines'],
        summary: 'Create a pipeline with its ordered stages',
        body: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 100 }),
            stages: Type.Array(StageBody, { minItems: 1, maxItems: 30 }),
            position: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000 })),
            isDefault: Type.Optional(Type.Boolean()),
          },
          {
            additionalProperties: false,
            examples: [
              {
                name: 'Renewals',
                stages: [
                  { name: 'Due', probability: 50 },
                  { name: 'Quoted', probability: 80 },
                  { name: 'Renewed', probability: 100, kind: 'won' },
                  { name: 'Churned', probability: 0, kind: 'lost' },
                ],
              },
            ],
          },
        ),
        response: { 201: PipelineSchema, ...Problems },
      },
    },
    async (request, reply) => reply.status(201).send(await createPipeline(db, actorOf(request), request.body)),
  );

  app.get(
    '/api/v1/pipelines/:id',
    {
      onRequest: auth,
      schema: {
        tags: ['pipelines'],
        summary: 'One pipeline with its stages',
        params: IdParams,
        response: { 200: PipelineSchema, ...Problems },
      },
    },
    async (request) => getPipeline(db, actorOf(request), request.params.id),
  );

  app.patch(
    '/api/v1/pipelines/:id',
    {
      onRequest: auth,
      schema: {
        tags: ['pipelines'],
        summary: 'Rename, reorder or make default; `stages` is the whole new ordered list (by id to keep, without to add)',
        params: IdParams,
        body: Type.Object(
          {
            name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
            position: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000 })),
            isDefault: Type.Optional(Type.Boolean()),
            stages: Type.Optional(Type.Array(StagePatch, { minItems: 1, maxItems: 30 })),
            ...Version,
          },
          { additionalProperties: false },
        ),
        response: { 200: PipelineSchema, ...Problems },
      },
    },
    async (request) => updatePipeline(db, actorOf(request), request.params.id, request.body, ifMatch(request)),
  );

  app.delete(
    '/api/v1/pipelines/:id',
    {
      onRequest: auth,
      schema: {
        tags: ['pipelines'],
        summary: 'Delete a pipeline; not the default one, nor one with deals (409)',
        params: IdParams,
        response: noContent,
      },
    },
    async (request, reply) => {
      await deletePipeline(db, actorOf(request), request.params.id);
      return reply.status(204).send(null);
    },
  );

  // --- deals ------------------------------------------------------------------------

  app.get(
    '/api/v1/deals',
    {
      onRequest: auth,
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
      onRequest: auth,
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
    { onRequest: auth, schema: { tags: ['deals'], summary: 'One deal', params: IdParams, response: { 200: DealSchema, ...Problems } } },
    async (request, reply) => {
      const deal = await getDeal(db, actorOf(request), request.params.id);
      reply.header('etag', `"${deal.version}"`);
      return deal;
    },
  );

  app.patch(
    '/api/v1/deals/:id',
    {
      onRequest: auth,
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
      onRequest: auth,
      schema: { tags: ['deals'], summary: 'Delete a deal (to the recycle bin for 30 days)', params: IdParams, response: noContent },
    },
    async (request, reply) => {
      await deleteDeal(db, actorOf(request), request.params.id);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/api/v1/deals/:id/history',
    {
      onRequest: auth,
      schema: {
        tags: ['deals'],
        summary: 'The stages a deal went through, oldest first',
        params: IdParams,
        response: { 200: Type.Object({ items: Type.Array(StageChangeSchema) }), ...Problems },
      },
    },
    async (request) => dealHistory(db, actorOf(request), request.params.id),
  );

  // --- activities -------------------------------------------------------------------

  app.get(
    '/api/v1/activities',
    {
      onRequest: auth,
      schema: {
        tags: ['activities'],
        summary: 'Activities, a page at a time; `mine=true&open=true` are my open tasks, `overdue=true` what is late',
        querystring: Type.Object(
          {
            ...Page,
            sort: Type.Optional(
              Type.Union(
                ACTIVITY_SORTS.map((s) => Type.Literal(s)),
                { default: 'dueAt', description: 'dueAt puts undated ones last' },
              ),
            ),
            type: Type.Optional(ActivityType),
            assigneeId: Type.Optional(Uuid()),
            ownerGroupId: Type.Optional(Uuid()),
            mine: Type.Optional(Type.Boolean({ description: 'Only those assigned to me' })),
            open: Type.Optional(Type.Boolean({ description: 'Only those not done' })),
            overdue: Type.Optional(Type.Boolean({ description: 'Only those not done and past due' })),
            contactId: Type.Optional(Uuid()),
            leadId: Type.Optional(Uuid()),
            organizationId: Type.Optional(Uuid()),
            dealId: Type.Optional(Uuid()),
            dueFrom: Range('due').from,
            dueTo: Range('due').to,
          },
          { additionalProperties: false },
        ),
        response: { 200: PageOf(ActivitySchema), ...Problems },
      },
    },
    async (request) => listActivities(db, keyring, actorOf(request), request.query),
  );

  app.post(
    '/api/v1/activities',
    {
      onRequest: auth,
      schema: {
        tags: ['activities'],
        summary: 'Create a task, call or meeting; assigned to you unless assigneeId says otherwise',
        body: Type.Object(
          { type: ActivityType, subject: Type.String({ minLength: 1, maxLength: 300 }), ...ActivityFields },
          { additionalProperties: false, examples: [{ type: 'task', subject: 'Send the renewal quote', dueAt: '2025-03-14T16:00:00Z' }] },
        ),
        response: { 201: ActivitySchema, ...Problems },
      },
    },
    async (request, reply) => reply.status(201).send(await createActivity(db, keyring, actorOf(request), request.body)),
  );

  app.get(
    '/api/v1/activities/:id',
    {
      onRequest: auth,
      schema: { tags: ['activities'], summary: 'One activity', params: IdParams, response: { 200: ActivitySchema, ...Problems } },
    },
    async (request, reply) => {
      const activity = await getActivity(db, keyring, actorOf(request), request.params.id);
      reply.header('etag', `"${activity.version}"`);
      return activity;
    },
  );

  app.patch(
    '/api/v1/activities/:id',
    {
      onRequest: auth,
      schema: {
        tags: ['activities'],
        summary: 'Change an activity (done: true marks it done); a stale If-Match or `version` answers 409',
        params: IdParams,
        body: Type.Object(
          {
            type: Type.Optional(ActivityType),
            subject: Type.Optional(Type.String({ minLength: 1, maxLength: 300 })),
            ...ActivityFields,
            ...Version,
          },
          { additionalProperties: false },
        ),
        response: { 200: ActivitySchema, ...Problems },
      },
    },
    async (request) => updateActivity(db, keyring, actorOf(request), request.params.id, request.body, ifMatch(request)),
  );

  app.delete(
    '/api/v1/activities/:id',
    {
      onRequest: auth,
      schema: {
        tags: ['activities'],
        summary: 'Delete an activity (to the recycle bin for 30 days)',
        params: IdParams,
        response: noContent,
      },
    },
    async (request, reply) => {
      await deleteActivity(db, keyring, actorOf(request), request.params.id);
      return reply.status(204).send(null);
    },
  );

  // --- logged e-mail messages -------------------------------------------------------

  app.get(
    '/api/v1/email-messages',
    {
      onRequest: auth,
      schema: {
        tags: ['email-messages'],
        summary: 'Logged e-mail messages, newest first, of a contact or a deal',
        querystring: Type.Object(
          { ...Page, contactId: Type.Optional(Uuid()), dealId: Type.Optional(Uuid()) },
          { additionalProperties: false },
        ),
        response: { 200: PageOf(EmailMessageSchema), ...Problems },
      },
    },
    async (request) => listEmailMessages(db, keyring, actorOf(request), request.query),
  );

  app.post(
    '/api/v1/email-messages',
    {
      onRequest: auth,
      schema: {
        tags: ['email-messages'],
        summary: 'Log an e-mail message on a contact and/or a deal; every part of it is encrypted',
        body: Type.Object(
          {
            direction: Type.Union([Type.Literal('inbound'), Type.Literal('outbound')]),
            from: EmailAddress,
            to: Type.Array(EmailAddress, { minItems: 1, maxItems: 100 }),
            subject: Type.Optional(Type.String({ maxLength: 1000 })),
            body: Type.String({ maxLength: 1_000_000 }),
            sentAt: Type.Optional(Type.String({ format: 'date-time' })),
            contactId: Type.Optional(Uuid()),
            dealId: Type.Optional(Uuid()),
          },
          {
            additionalProperties: false,
            examples: [
              {
                direction: 'outbound',
                from: 'Sam Sales <sam@example.com>',
                to: ['ann@acme.example'],
                subject: 'Your quote',
                body: 'Hello Ann, please find the quote attached.',
                sentAt: '2025-03-01T09:30:00Z',
                contactId: '01950000-0000-7000-8000-000000000001',
              },
            ],
          },
        ),
        response: { 201: EmailMessageSchema, ...Problems },
      },
    },
    async (request, reply) => reply.status(201).send(await logEmailMessage(db, keyring, actorOf(request), request.body)),
  );

  app.get(
    '/api/v1/email-messages/:id',
    {
      onRequest: auth,
      schema: {
        tags: ['email-messages'],
        summary: 'One logged e-mail message',
        params: IdParams,
        response: { 200: EmailMessageSchema, ...Problems },
      },
    },
    async (request) => getEmailMessage(db, keyring, actorOf(request), request.params.id),
  );

  app.delete(
    '/api/v1/email-messages/:id',
    {
      onRequest: auth,
      schema: { tags: ['email-messages'], summary: 'Delete a logged e-mail message', params: IdParams, response: noContent },
    },
    async (request, reply) => {
      await deleteEmailMessage(db, keyring, actorOf(request), request.params.id);
      return reply.status(204).send(null);
    },
  );
}
