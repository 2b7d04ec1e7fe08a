import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { DatabaseHandle } from '../../db/database.js';
import { actorOf } from '../../http/request-context.js';
import { DateTime } from '../../http/schemas.js';
import type { Keyring } from '../../keys/keyring.js';
import { IdParams, ifMatch, Language, Problems, Uuid } from '../privacy.http.js';
import {
  createPurpose,
  getNotice,
  getPurpose,
  LAWFUL_BASES,
  listNotices,
  listPurposes,
  publishNotice,
  updatePurpose,
} from './purposes.service.js';

const LawfulBasis = Type.Enum(LAWFUL_BASES, {
  description: 'The Art. 6(1) GDPR basis: consent, contract, legal_obligation, vital_interests, public_task or legitimate_interests',
});
const Status = Type.Enum(['active', 'retired'] as const);
const Short = (max = 200) => Type.String({ minLength: 1, maxLength: max });
const LiaText = Type.Optional(Type.String({ maxLength: 20_000 }));
const LiaInput = Type.Object(
  {
    purposeTest: LiaText,
    necessityTest: LiaText,
    balancingTest: LiaText,
    outcome: LiaText,
    reviewer: Type.Optional(Type.String({ maxLength: 200 })),
    reviewedAt: Type.Optional(Type.String({ maxLength: 40, description: 'The date of the review, YYYY-MM-DD' })),
  },
  {
    additionalProperties: false,
    description:
      'Legitimate Interests Assessment: every part is required while a legitimate_interests purpose is active (else 400 lia_required)',
  },
);
const LiaSchema = Type.Object({
  purposeTest: Type.String(),
  necessityTest: Type.String(),
  balancingTest: Type.String(),
  outcome: Type.String(),
  reviewer: Type.String(),
  reviewedAt: Type.String(),
});
const TransferSchema = Type.Object(
  {
    country: Short(100),
    safeguard: Type.String({ minLength: 1, maxLength: 500, description: 'e.g. adequacy decision, standard contractual clauses' }),
  },
  { additionalProperties: false },
);
const NoticeInput = Type.Object(
  { language: Language, text: Type.String({ minLength: 1, maxLength: 100_000, description: 'Stored and hashed exactly as given' }) },
  { additionalProperties: false },
);
const NoticeSummarySchema = Type.Object({
  id: Uuid(),
  purposeId: Uuid(),
  language: Language,
  version: Type.Integer(),
  sha256: Type.String({ description: 'Hex SHA-256 of the exact UTF-8 text' }),
  createdAt: DateTime(),
});
const NoticeSchema = Type.Object({
  ...NoticeSummarySchema.properties,
  text: Type.String(),
  createdBy: Type.Union([Uuid(), Type.Null()]),
});
const PurposeSchema = Type.Object({
  id: Uuid(),
  name: Type.String(),
  description: Type.String(),
  lawfulBasis: LawfulBasis,
  dataCategories: Type.Array(Type.String()),
  retentionDays: Type.Integer(),
  recipients: Type.Array(Type.String()),
  transfers: Type.Array(Type.Object({ country: Type.String(), safeguard: Type.String() })),
  marketing: Type.Boolean(),
  status: Status,
  lia: Type.Union([LiaSchema, Type.Null()]),
  version: Type.Integer(),
  createdBy: Type.Union([Uuid(), Type.Null()]),
  createdAt: DateTime(),
  updatedAt: DateTime(),
  hasNotice: Type.Object({ en: Type.Boolean(), nl: Type.Boolean() }),
  notices: Type.Array(NoticeSummarySchema, { description: 'The newest notice version per language' }),
  signUpPath: Type.Union([Type.String(), Type.Null()], {
    description: 'On GET /privacy/purposes/{id} of an active consent purpose: the public sign-up page (double opt-in); else null',
  }),
});
const PurposeFields = {
  description: Type.Optional(Type.String({ maxLength: 5_000 })),
  recipients: Type.Optional(Type.Array(Short(), { maxItems: 50, description: 'Categories of recipients' })),
  transfers: Type.Optional(Type.Array(TransferSchema, { maxItems: 50, description: 'Transfers outside the EU; none by default' })),
  marketing: Type.Optional(Type.Boolean({ description: 'Direct marketing: an objection (Art. 21(2)) withdraws it' })),
  lia: Type.Optional(Type.Union([LiaInput, Type.Null()])),
  status: Type.Optional(Status),
};
const Categories = Type.Array(Short(), { minItems: 1, maxItems: 50, description: 'Categories of personal data' });
const Retention = Type.Integer({ minimum: 1, maximum: 36_500, description: 'How long the data is kept, in days' });

export function registerPurposeRoutes(server: FastifyInstance, database: DatabaseHandle, keyring: Keyring): void {
  const app = server.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = database;
  const tags = ['privacy'];

  app.get(
    '/api/v1/privacy/purposes',
    {
      schema: {
        tags,
        summary: 'Every processing purpose of the tenant, active ones first (retired ones stay listed)',
        response: { 200: Type.Object({ items: Type.Array(PurposeSchema) }), ...Problems },
      },
    },
    async (request) => ({ items: await listPurposes(db, actorOf(request)) }),
  );

  app.post(
    '/api/v1/privacy/purposes',
    {
      schema: {
        tags,
        summary: 'Create a purpose; legitimate interests need a complete LIA (400 lia_required); a notice may come along',
        body: Type.Object(
          {
            name: Short(),
            lawfulBasis: LawfulBasis,
            dataCategories: Categories,
            retentionDays: Retention,
            ...PurposeFields,
            notice: Type.Optional(NoticeInput),
          },
          {
            additionalProperties: false,
            examples: [
              {
                name: 'Newsletter',
                lawfulBasis: 'consent',
                dataCategories: ['name', 'e-mail address'],
                retentionDays: 730,
                marketing: true,
                notice: { language: 'en', text: 'We send you our monthly newsletter until you unsubscribe.' },
              },
            ],
          },
        ),
        response: { 201: PurposeSchema, ...Problems },
      },
    },
    async (request, reply) => reply.status(201).send(await createPurpose(db, keyring, actorOf(request), request.body)),
  );

  app.get(
    '/api/v1/privacy/purposes/:id',
    { schema: { tags, summary: 'One purpose with its newest notices', params: IdParams, response: { 200: PurposeSchema, ...Problems } } },
    async (request) => getPurpose(db, actorOf(request), request.params.id),
  );

  app.patch(
    '/api/v1/privacy/purposes/:id',
    {
      schema: {
        tags,
        summary: 'Change or retire a purpose (status retired); a stale If-Match or `version` answers 409 version_conflict',
        params: IdParams,
        body: Type.Object(
          {
            name: Type.Optional(Short()),
            lawfulBasis: Type.Optional(LawfulBasis),
            dataCategories: Type.Optional(Categories),
            retentionDays: Type.Optional(Retention),
            ...PurposeFields,
            version: Type.Optional(Type.Integer({ minimum: 1, description: 'The version this change is based on (or send If-Match)' })),
          },
          { additionalProperties: false },
        ),
        response: { 200: PurposeSchema, ...Problems },
      },
    },
    async (request) => updatePurpose(db, keyring, actorOf(request), request.params.id, request.body, ifMatch(request)),
  );

  app.get(
    '/api/v1/privacy/purposes/:id/notices',
    {
      schema: {
        tags,
        summary: 'Every version of a purpose’s privacy notices, newest first, with their texts',
        params: IdParams,
        response: { 200: Type.Object({ items: Type.Array(NoticeSchema) }), ...Problems },
      },
    },
    async (request) => ({ items: await listNotices(db, actorOf(request), request.params.id) }),
  );

  app.post(
    '/api/v1/privacy/purposes/:id/notices',
    {
      schema: {
        tags,
        summary: 'Publish the next version of a purpose’s notice in one language; earlier versions stay readable',
        params: IdParams,
        body: NoticeInput,
        response: { 201: NoticeSummarySchema, ...Problems },
      },
    },
    async (request, reply) => {
      const notice = await publishNotice(db, keyring, actorOf(request), request.params.id, request.body);
      return reply.status(201).send(notice);
    },
  );

  app.get(
    '/api/v1/privacy/notices/:id',
    { schema: { tags, summary: 'One notice version with its text', params: IdParams, response: { 200: NoticeSchema, ...Problems } } },
    async (request) => getNotice(db, actorOf(request), request.params.id),
  );
}
