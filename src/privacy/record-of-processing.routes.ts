import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { DatabaseHandle } from '../db/database.js';
import { actorOf } from '../http/request-context.js';
import { DateTime } from '../http/schemas.js';
import type { Keyring } from '../keys/keyring.js';
import { Language, Problems } from './privacy.http.js';
import { recordAsCsv, recordAsHtml, recordOfProcessing, type BackupSettings } from './record-of-processing.js';

const RecordPurposeSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  description: Type.String(),
  lawfulBasis: Type.String(),
  lawfulBasisLabel: Type.String(),
  marketing: Type.Boolean(),
  dataCategories: Type.Array(Type.String()),
  dataSubjects: Type.Array(Type.String()),
  recipients: Type.Array(Type.String()),
  transfers: Type.Array(Type.Object({ country: Type.String(), safeguard: Type.String() })),
  retentionDays: Type.Integer(),
  liaReviewedAt: Type.Union([Type.String(), Type.Null()]),
  notices: Type.Array(Type.Object({ language: Language, version: Type.Integer(), sha256: Type.String() })),
});
const RecordSchema = Type.Object({
  generatedAt: DateTime(),
  language: Language,
  controller: Type.Object({ name: Type.String() }),
  dataSubjectCategories: Type.Array(Type.Object({ key: Type.String(), label: Type.String() })),
  purposes: Type.Array(RecordPurposeSchema, { description: 'Every active purpose' }),
  retiredPurposes: Type.Array(RecordPurposeSchema),
  securityMeasures: Type.Array(
    Type.Object({
      key: Type.String(),
      title: Type.String(),
      description: Type.String(),
      facts: Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null()])),
    }),
    { description: 'What this instance really does, computed from its keys, the tenant’s policy and its users' },
  ),
});

export function registerRecordOfProcessingRoutes(
  server: FastifyInstance,
  database: DatabaseHandle,
  keyring: Keyring,
  settings: { backups: BackupSettings },
): void {
  const app = server.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = database;

  app.get(
    '/api/v1/privacy/record-of-processing',
    {
      schema: {
        tags: ['privacy'],
        summary: 'The Art. 30 record of processing activities as JSON, CSV or a printable HTML page (recorded as an export)',
        querystring: Type.Object(
          {
            format: Type.Optional(Type.Enum(['json', 'csv', 'html'] as const, { default: 'json' })),
            lang: Type.Optional(Language),
          },
          { additionalProperties: false },
        ),
        response: {
          200: {
            description: 'The record',
            content: {
              'application/json': { schema: RecordSchema },
              'text/csv': { schema: Type.String({ description: 'One row per active purpose under a header row; UTF-8 with a BOM' }) },
              'text/html': { schema: Type.String({ description: 'A self-contained printable page' }) },
            },
          },
          ...Problems,
        },
      },
    },
    async (request, reply) => {
      const format = request.query.format ?? 'json';
      const record = await recordOfProcessing(db, keyring, actorOf(request), {
        format,
        language: request.query.lang,
        backups: settings.backups,
      });
      const day = record.generatedAt.toISOString().slice(0, 10);
      reply.header('cache-control', 'no-store');
      if (format === 'csv')
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="record-of-processing-${day}.csv"`)
          .send(recordAsCsv(record));
      if (format === 'html')
        return reply
          .type('text/html; charset=utf-8')
          .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'")
          .send(recordAsHtml(record));
      return reply.type('application/json; charset=utf-8').send(record);
    },
  );
}
