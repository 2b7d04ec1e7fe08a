import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type, type TSchema } from 'typebox';
import type { DatabaseHandle } from '../../db/database.js';
import { actorOf } from '../../http/request-context.js';
import { DateTime } from '../../http/schemas.js';
import type { Keyring } from '../../keys/keyring.js';
import { MAX_PAGE } from '../../shared/cursor.js';
import { IdParams, Language, Problems, Uuid } from '../privacy.http.js';
import {
  audienceSummary,
  createCampaign,
  getCampaign,
  listCampaigns,
  MAX_AUDIENCE,
  MAX_BODY,
  MAX_SUBJECT,
  sendCampaign,
  type CampaignSettings,
} from './campaigns.service.js';

const Reason = Type.Enum(['no_consent', 'objected', 'no_email', 'restricted', 'not_visible'] as const, {
  description:
    'no_consent: no current consent (marketing or consent purpose); objected: objected to direct marketing, or withdrew from this purpose; ' +
    'no_email: no address that takes mail; restricted: processing is restricted; not_visible: no such person, or not one you may read',
});
const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const PersonIds = {
  contactId: Type.Optional(Uuid()),
  leadId: Type.Optional(Uuid()),
};
const SkippedSchema = Type.Object({ ...PersonIds, reason: Reason });
const RecipientSchema = Type.Object({
  ...PersonIds,
  status: Type.Enum(['queued', 'skipped'] as const),
  reason: Nullable(Reason),
  messageId: Nullable(Uuid()),
});
const CampaignSchema = Type.Object({
  id: Uuid(),
  name: Type.String(),
  purposeId: Uuid(),
  purposeName: Type.String(),
  subject: Type.String(),
  body: Type.String(),
  language: Language,
  tag: Nullable(Type.String()),
  contactIds: Type.Array(Uuid()),
  leadIds: Type.Array(Uuid()),
  status: Type.Enum(['draft', 'sent'] as const),
  createdBy: Uuid(),
  createdAt: DateTime(),
  sentBy: Nullable(Uuid()),
  sentAt: Nullable(DateTime()),
  queued: Type.Integer({ description: 'Mails queued when it was sent' }),
  skippedCount: Type.Integer({ description: 'People skipped when it was sent' }),
});
const CampaignDetailSchema = Type.Object({
  ...CampaignSchema.properties,
  recipients: Type.Array(RecipientSchema, { description: "Every person's outcome, in audience order (empty while a draft)" }),
  skipped: Type.Array(SkippedSchema, { description: 'The skip report' }),
});
const Ids = Type.Array(Uuid(), { maxItems: MAX_AUDIENCE, uniqueItems: false });
const CampaignInput = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    purposeId: Uuid(),
    subject: Type.String({ minLength: 1, maxLength: MAX_SUBJECT, description: 'May use {{firstName}} and {{lastName}}' }),
    body: Type.String({
      minLength: 1,
      maxLength: MAX_BODY,
      description: 'Plain text; a blank line starts a new paragraph; may use {{firstName}} and {{lastName}}',
    }),
    language: Type.Optional(Language),
    tag: Type.Optional(
      Type.String({ minLength: 1, maxLength: 50, description: 'Everyone (contacts and leads) you may read with this tag' }),
    ),
    contactIds: Type.Optional(Ids),
    leadIds: Type.Optional(Ids),
  },
  {
    additionalProperties: false,
    examples: [
      {
        name: 'Spring newsletter',
        purposeId: '0190a6f2-8f5c-7cc1-9d4e-3b1f6e2a9c01',
        subject: 'Spring news for {{firstName}}',
        body: 'Hello {{firstName}},\n\nOur spring collection is here.',
        tag: 'newsletter',
      },
    ],
  },
);

export function registerCampaignRoutes(
  server: FastifyInstance,
  database: DatabaseHandle,
  keyring: Keyring,
  settings: CampaignSettings,
): void {
  const app = server.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = database;
  const campaignSettings: CampaignSettings = { publicUrl: settings.publicUrl, campaigns: settings.campaigns };

  app.get(
    '/api/v1/campaigns',
    {
      schema: {
        tags: ['campaigns'],
        summary: 'E-mail campaigns, newest first',
        querystring: Type.Object(
          {
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE, default: 50 })),
            cursor: Type.Optional(Type.String({ maxLength: 500 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ items: Type.Array(CampaignSchema), nextCursor: Nullable(Type.String()) }), ...Problems },
      },
    },
    async (request) => listCampaigns(db, actorOf(request), request.query),
  );

  app.post(
    '/api/v1/campaigns',
    {
      schema: {
        tags: ['campaigns'],
        summary: 'A draft campaign for one purpose, to a tag and/or people by id; nothing is sent yet',
        body: CampaignInput,
        response: { 201: CampaignSchema, ...Problems },
      },
    },
    async (request, reply) => reply.status(201).send(await createCampaign(db, keyring, actorOf(request), request.body)),
  );

  app.get(
    '/api/v1/campaigns/:id',
    {
      schema: {
        tags: ['campaigns'],
        summary: "A campaign, with every person's outcome and the skip report once sent",
        params: IdParams,
        response: { 200: CampaignDetailSchema, ...Problems },
      },
    },
    async (request) => getCampaign(db, actorOf(request), request.params.id),
  );

  app.get(
    '/api/v1/campaigns/:id/audience',
    {
      schema: {
        tags: ['campaigns'],
        summary: 'What sending would do now, without sending: the audience, who the consent ledger lets us mail, and the skips by reason',
        params: IdParams,
        response: {
          200: Type.Object({
            total: Type.Integer(),
            eligible: Type.Integer(),
            skipped: Type.Object({
              no_consent: Type.Integer(),
              objected: Type.Integer(),
              no_email: Type.Integer(),
              restricted: Type.Integer(),
              not_visible: Type.Integer(),
            }),
          }),
          ...Problems,
        },
      },
    },
    async (request) => audienceSummary(db, keyring, actorOf(request), request.params.id),
  );

  app.post(
    '/api/v1/campaigns/:id/send',
    {
      schema: {
        tags: ['campaigns'],
        summary:
          'Sends the campaign once, to those the consent ledger allows; everyone else is reported with the reason (409 campaign_sent after)',
        params: IdParams,
        response: { 200: Type.Object({ queued: Type.Integer(), skipped: Type.Array(SkippedSchema) }), ...Problems },
      },
    },
    async (request) => sendCampaign(db, keyring, campaignSettings, actorOf(request), request.params.id),
  );
}
