import type { Readable } from 'node:stream';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { DatabaseHandle } from '../db/database.js';
import { actorOf, requireAuth } from '../http/auth.js';
import { DateTime } from '../http/schemas.js';
import type { IdentitySettings } from '../identity/identity.service.js';
import { IdParams, Nullable, OneOf, Problems, Ranges, Uuid } from './crm.http.js';
import { exportContacts } from './exports.service.js';
import { getImport, importContacts, requireLawfulBasis } from './imports.service.js';
import { LAWFUL_BASES } from './people.js';

// HTTP for CSV: imports stream their body straight into the parser (no body
// limit of the JSON routes, a limit of their own), exports stream their answer.

const ImportErrors = Type.Array(Type.Object({ line: Type.Integer(), message: Type.String() }));
const ImportResultSchema = Type.Object({
  id: Uuid(),
  dryRun: Type.Boolean(),
  rows: Type.Integer({ description: 'Data rows read (the header not counted)' }),
  created: Type.Integer(),
  updated: Type.Integer(),
  skipped: Type.Integer({ description: 'Rows matching an existing person by e-mail, left as they were' }),
  errors: ImportErrors,
  errorCount: Type.Integer({ description: 'All bad rows; `errors` lists the first 1,000' }),
  ignoredColumns: Type.Array(Type.String()),
});
const ImportStatusSchema = Type.Object({
  id: Uuid(),
  module: Type.String(),
  status: OneOf(['running', 'done', 'failed']),
  dryRun: Type.Boolean(),
  lawfulBasis: Type.String(),
  duplicates: Type.String(),
  rows: Type.Integer(),
  created: Type.Integer(),
  updated: Type.Integer(),
  skipped: Type.Integer(),
  errorCount: Type.Integer(),
  errors: ImportErrors,
  bytes: Type.Integer(),
  startedBy: Uuid(),
  startedAt: DateTime(),
  updatedAt: DateTime(),
  finishedAt: Nullable(DateTime()),
});

export function registerImportRoutes(server: FastifyInstance, database: DatabaseHandle, settings: IdentitySettings, limits: { maxBytes: number }): void {
  const { db } = database;
  const { keyring } = settings;
  const auth = requireAuth(db, settings);

  // CSV is accepted here only, and handed over as the raw stream.
  void server.register(async (scope) => {
    scope.addContentTypeParser(['text/csv', 'application/csv'], (_request, payload, done) => done(null, payload));
    const app = scope.withTypeProvider<TypeBoxTypeProvider>();

    app.post(
      '/api/v1/imports/contacts',
      {
        onRequest: auth,
        // The lawful basis is checked before a byte of the file is read.
        preParsing: async (request) => {
          requireLawfulBasis((request.query as { lawfulBasis?: string }).lawfulBasis);
        },
        schema: {
          tags: ['imports'],
          summary: 'Import contacts from CSV (text/csv), streamed; bad rows are named by line while the good ones go in',
          description:
            'The header names the fields (firstName, lastName, email, phone, organization, jobTitle, street, postalCode, city, region, country, ' +
            'birthday, language, tags — and the names Google Contacts and Outlook export). Separator `,` or `;`, a UTF-8 BOM and quoted line breaks are fine. ' +
            `People are matched by e-mail and skipped (or updated with duplicates=update), never doubled. At most ${limits.maxBytes} bytes. ` +
            'Example body:\n\n```\nfirstName,lastName,email,phone,organization\nAnna,de Vries,anna@example.com,+31 20 123 4567,Acme BV\n```',
          querystring: Type.Object(
            {
              lawfulBasis: Type.Optional(OneOf(LAWFUL_BASES, { description: 'Required: the GDPR basis for holding these people’s data' })),
              dryRun: Type.Optional(Type.Boolean({ default: false, description: 'Only report what would happen' })),
              duplicates: Type.Optional(OneOf(['skip', 'update'], { description: 'What to do with a row whose e-mail is known: skip (default) or update' })),
            },
            { additionalProperties: false },
          ),
          consumes: ['text/csv'],
          response: { 200: ImportResultSchema, 413: Problems[400], ...Problems },
        },
      },
      async (request) => {
        const query = request.query;
        return importContacts(db, keyring, actorOf(request), request.body as Readable, {
          lawfulBasis: query.lawfulBasis,
          dryRun: query.dryRun ?? false,
          duplicates: query.duplicates ?? 'skip',
          maxBytes: limits.maxBytes,
        });
      },
    );
  });

  const app = server.withTypeProvider<TypeBoxTypeProvider>();

  app.get(
    '/api/v1/imports/:id',
    { onRequest: auth, schema: { tags: ['imports'], summary: 'An import and its progress', params: IdParams, response: { 200: ImportStatusSchema, ...Problems } } },
    async (request) => getImport(db, actorOf(request), request.params.id),
  );

  app.get(
    '/api/v1/exports/contacts.csv',
    {
      onRequest: auth,
      schema: {
        tags: ['exports'],
        summary: 'The contacts the caller may export, as CSV (streamed); takes the list filters',
        querystring: Type.Object({ ...Ranges, organizationId: Type.Optional(Uuid()) }, { additionalProperties: false }),
        produces: ['text/csv'],
        response: { 200: Type.Unsafe<Readable>({ type: 'string', description: 'CSV, UTF-8 with a BOM' }), ...Problems },
      },
    },
    async (request, reply) => {
      const stream = await exportContacts(db, keyring, actorOf(request), request.query);
      const day = new Date().toISOString().slice(0, 10);
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="contacts-${day}.csv"`)
        .header('cache-control', 'no-store')
        .send(stream);
    },
  );
}
