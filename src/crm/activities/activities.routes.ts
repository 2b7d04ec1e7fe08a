import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { DatabaseHandle } from '../../db/database.js';
import { actorOf } from '../../http/request-context.js';
import { DateTime } from '../../http/schemas.js';
import type { Keyring } from '../../keys/keyring.js';
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
  Uuid,
  Version,
  NoContent,
} from '../common/crm.http.js';

const Custom = Type.Record(Type.String({ maxLength: 100 }), Type.Unknown(), { description: 'Custom field values by key' });
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
const Range = (what: string) => ({
  from: Type.Optional(Type.String({ format: 'date-time', description: `${what} at or after` })),
  to: Type.Optional(Type.String({ format: 'date-time', description: `${what} before` })),
});

export function registerActivityRoutes(server: FastifyInstance, database: DatabaseHandle, keyring: Keyring): void {
  const app = server.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = database;

  app.get(
    '/api/v1/activities',
    {
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
      schema: {
        tags: ['activities'],
        summary: 'Delete an activity (to the recycle bin for 30 days)',
        params: IdParams,
        response: NoContent,
      },
    },
    async (request, reply) => {
      await deleteActivity(db, keyring, actorOf(request), request.params.id);
      return reply.status(204).send(null);
    },
  );
}
