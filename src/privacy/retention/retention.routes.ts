import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type, type TSchema } from 'typebox';
import type { DatabaseHandle } from '../../db/database.js';
import { actorOf } from '../../http/request-context.js';
import { DateTime } from '../../http/schemas.js';
import type { Keyring } from '../../keys/keyring.js';
import { IdParams, Problems, Uuid } from '../privacy.http.js';
import {
  applyTwoYearPreset,
  createRule,
  deleteRule,
  listHolds,
  listRules,
  listRuns,
  placeHold,
  releaseHold,
  runRetention,
  updateRule,
} from './retention.service.js';

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const Module = Type.Enum(['contacts', 'leads', 'deals'] as const, {
  description: 'contacts and leads: the person records; deals: the people on closed deals',
});
const Basis = Type.Enum(['last_activity', 'created', 'updated', 'closed', 'consent_withdrawn'] as const, {
  description:
    'last_activity: the latest of the record’s own change and its activities, notes and logged e-mails; closed: when the deal closed (deals only); ' +
    'consent_withdrawn: when the person withdrew consent for the rule’s purpose (needs purposeId; people with a current grant for any purpose are never expired)',
});
const PurposeId = Nullable(
  Type.String({
    format: 'uuid',
    description: 'contacts and leads only: the rule covers only people with a consent event for this purpose; null: everyone',
  }),
);
const Action = Type.Enum(['erase', 'anonymize'] as const, {
  description: 'erase for contacts and leads; anonymize for deals (the people on the deal are erased, the deal stays)',
});
const AfterDays = Type.Integer({ minimum: 1, maximum: 36_500, description: 'Days after the moment basedOn names' });
const PersonTable = Type.Enum(['contacts', 'leads'] as const);
const Reason = Type.String({ minLength: 1, maxLength: 2000 });

const RuleSchema = Type.Object({
  id: Uuid(),
  module: Module,
  afterDays: Type.Integer(),
  basedOn: Basis,
  action: Action,
  purposeId: PurposeId,
  createdBy: Nullable(Uuid()),
  createdAt: DateTime(),
  updatedAt: DateTime(),
});

const HoldSchema = Type.Object({
  id: Uuid(),
  personTable: Type.Enum(['contacts', 'leads', 'deals'] as const, { description: 'The held record: a person, or a deal (all its people)' }),
  personId: Uuid(),
  reason: Nullable(Type.String({ description: 'null once the person was erased' })),
  active: Type.Boolean(),
  placedBy: Nullable(Uuid()),
  placedAt: DateTime(),
  releasedAt: Nullable(DateTime()),
  releasedBy: Nullable(Uuid()),
  releaseReason: Nullable(Type.String()),
});

const RuleCount = Type.Object({
  ruleId: Uuid(),
  module: Module,
  action: Action,
  erased: Type.Integer(),
  anonymized: Type.Integer(),
  held: Type.Integer(),
  failed: Type.Integer(),
});

const Counts = {
  erased: Type.Integer({ description: 'People erased (in a dry run: who would be) by erase rules' }),
  anonymized: Type.Integer({ description: 'People erased from closed deals by anonymize rules; the deals stay' }),
  held: Type.Integer({ description: 'People a rule has expired but a legal hold or a restriction of processing keeps' }),
  failed: Type.Integer({ description: 'Erasures that failed; the next run tries again' }),
  perRule: Type.Array(RuleCount),
};

const ReportSchema = Type.Object({
  id: Uuid(),
  dryRun: Type.Boolean(),
  ...Counts,
  candidates: Type.Array(
    Type.Object({
      table: PersonTable,
      id: Uuid(),
      ruleId: Uuid(),
      action: Action,
      held: Type.Boolean(),
      heldBy: Nullable(Type.Enum(['legal_hold', 'restriction'] as const)),
    }),
    { maxItems: 500, description: 'The people concerned, ids only, at most 500' },
  ),
  candidatesTruncated: Type.Boolean(),
  startedAt: DateTime(),
  finishedAt: Nullable(DateTime()),
});

const RunSchema = Type.Object({
  id: Uuid(),
  dryRun: Type.Boolean(),
  by: Type.Enum(['user', 'system'] as const),
  userId: Nullable(Uuid()),
  status: Type.Enum(['running', 'done', 'failed'] as const),
  ...Counts,
  startedAt: DateTime(),
  finishedAt: Nullable(DateTime()),
});

const tags = ['privacy retention'];

export function registerRetentionRoutes(server: FastifyInstance, database: DatabaseHandle, keyring: Keyring): void {
  const app = server.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = database;

  app.get(
    '/api/v1/privacy/retention-rules',
    {
      schema: {
        tags,
        summary: 'The retention rules of the tenant',
        response: { 200: Type.Object({ items: Type.Array(RuleSchema) }), ...Problems },
      },
    },
    async (request) => ({ items: await listRules(db, actorOf(request)) }),
  );

  app.post(
    '/api/v1/privacy/retention-rules',
    {
      schema: {
        tags,
        summary: 'Add a retention rule',
        description:
          'contacts and leads: basedOn last_activity, created or updated, action erase (a person record anonymized is a person erased: ' +
          'anonymize is refused with retention_action_unsupported). deals: basedOn closed, action anonymize — the contacts all of whose ' +
          'deals closed before the date, and with no activity since, are erased; the deals stay. purposeId (contacts and leads only, ' +
          'else retention_purpose_unsupported; unknown: 404 purpose_not_found) narrows the rule to people with a consent event for the ' +
          'purpose; basedOn consent_withdrawn needs it (retention_purpose_required).',
        body: Type.Object(
          { module: Module, afterDays: AfterDays, basedOn: Basis, action: Action, purposeId: Type.Optional(PurposeId) },
          { additionalProperties: false, examples: [{ module: 'leads', afterDays: 730, basedOn: 'last_activity', action: 'erase' }] },
        ),
        response: { 201: RuleSchema, ...Problems },
      },
    },
    async (request, reply) => reply.status(201).send(await createRule(db, keyring, actorOf(request), request.body)),
  );

  app.post(
    '/api/v1/privacy/retention-rules/presets/two-years',
    {
      schema: {
        tags,
        summary: 'The preset "2 years after last contact": contacts and leads erased 730 days after their last activity',
        description: 'Adds the rules the tenant does not have yet; answers all rules of the tenant.',
        response: { 200: Type.Object({ items: Type.Array(RuleSchema) }), ...Problems },
      },
    },
    async (request) => ({ items: await applyTwoYearPreset(db, keyring, actorOf(request)) }),
  );

  app.patch(
    '/api/v1/privacy/retention-rules/:id',
    {
      schema: {
        tags,
        summary: 'Change a retention rule (its module stays)',
        params: IdParams,
        body: Type.Object(
          {
            afterDays: Type.Optional(AfterDays),
            basedOn: Type.Optional(Basis),
            action: Type.Optional(Action),
            purposeId: Type.Optional(PurposeId),
          },
          { additionalProperties: false, minProperties: 1 },
        ),
        response: { 200: RuleSchema, ...Problems },
      },
    },
    async (request) => updateRule(db, keyring, actorOf(request), request.params.id, request.body),
  );

  app.delete(
    '/api/v1/privacy/retention-rules/:id',
    { schema: { tags, summary: 'Remove a retention rule', params: IdParams, response: { 204: Type.Null(), ...Problems } } },
    async (request, reply) => {
      await deleteRule(db, keyring, actorOf(request), request.params.id);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/api/v1/privacy/legal-holds',
    {
      schema: {
        tags,
        summary: 'Legal holds, active ones first',
        querystring: Type.Object(
          {
            active: Type.Optional(Type.Boolean({ description: 'true: active holds only' })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 200 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ items: Type.Array(HoldSchema) }), ...Problems },
      },
    },
    async (request) => ({ items: await listHolds(db, keyring, actorOf(request), request.query) }),
  );

  app.post(
    '/api/v1/privacy/legal-holds',
    {
      schema: {
        tags,
        summary: 'Place a legal hold on a person: no retention rule touches them (lead and converted contact alike) until released',
        body: Type.Object(
          { contactId: Type.Optional(Uuid()), leadId: Type.Optional(Uuid()), dealId: Type.Optional(Uuid()), reason: Reason },
          {
            additionalProperties: false,
            examples: [{ contactId: '0192f0a0-0000-7000-8000-000000000001', reason: 'Pending claim 2027/14' }],
          },
        ),
        response: { 201: HoldSchema, ...Problems },
      },
    },
    async (request, reply) => reply.status(201).send(await placeHold(db, keyring, actorOf(request), request.body)),
  );

  app.post(
    '/api/v1/privacy/legal-holds/:id/release',
    {
      schema: {
        tags,
        summary: 'Release a legal hold; the rules apply to the person again',
        params: IdParams,
        body: Type.Object({ reason: Reason }, { additionalProperties: false }),
        response: { 200: HoldSchema, ...Problems },
      },
    },
    async (request) => releaseHold(db, keyring, actorOf(request), request.params.id, request.body),
  );

  app.post(
    '/api/v1/privacy/retention/run',
    {
      schema: {
        tags,
        summary: 'Apply the retention rules now (or, with dryRun, report what that would do)',
        description:
          'Each person is erased in a transaction of their own. People under a legal hold or a restriction of processing are kept and ' +
          'counted as held. 409 retention_run_in_progress while another run of the tenant is going on.',
        body: Type.Object({ dryRun: Type.Boolean() }, { additionalProperties: false }),
        response: { 200: ReportSchema, ...Problems },
      },
    },
    async (request) => runRetention(db, keyring, actorOf(request), request.body),
  );

  app.get(
    '/api/v1/privacy/retention/runs',
    {
      schema: {
        tags,
        summary: 'The last retention runs, newest first: counts per rule, never who',
        querystring: Type.Object(
          { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ items: Type.Array(RunSchema) }), ...Problems },
      },
    },
    async (request) => ({ items: await listRuns(db, actorOf(request), request.query) }),
  );
}
