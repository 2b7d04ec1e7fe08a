import { Readable } from 'node:stream';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { DatabaseHandle } from '../../db/database.js';
import { actorOf } from '../../http/request-context.js';
import { DateTime } from '../../http/schemas.js';
import type { Keyring } from '../../keys/keyring.js';
import { CrmError } from '../common/crm.errors.js';
import { IdParams, Nullable, OneOf, Problems, Ranges, Uuid } from '../common/crm.http.js';
import { sendProblem } from '../../http/problem.js';
import { IMPORT_FIELDS } from './contact-csv.js';
import { exportContacts } from './exports.service.js';
import { declaredCharset } from './import-decoding.js';
import { getImport, importContacts, requireLawfulBasis } from './imports.service.js';
import { LAWFUL_BASES } from '../people/people.js';

// HTTP for CSV and vCard: imports stream their body straight into the parser
// (no body limit of the JSON routes, a limit of their own), exports stream
// their answer.

/** The media types an import takes; browsers on Windows send a .csv file as application/vnd.ms-excel. */
const CSV_TYPES = [
  'text/csv',
  'application/csv',
  'text/comma-separated-values',
  'text/tab-separated-values',
  'text/plain',
  'application/vnd.ms-excel',
];
const VCARD_TYPES = ['text/vcard', 'text/x-vcard', 'text/directory'];
/** After an answer given before the body was read, how long the rest of the upload is read (and dropped) before the connection is closed. */
const DRAIN_MS = 5000;

function mediaType(request: FastifyRequest): string {
  return (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

/**
 * An answer given before the body is read (a refusal, an error half-way)
 * must reach the client at once. Clients that read while they send (curl,
 * Node's http) have it at once; clients that send the whole body first
 * (Python's http.client, many SDKs) read it once their upload is done. So the
 * rest of the body is read and dropped — not parsed — for at most DRAIN_MS
 * and the import limit in bytes, then the socket is closed. A body left
 * unread instead stalls the upload until a timeout resets it (74 s measured).
 */
function drainAfterEarlyAnswer(request: FastifyRequest, reply: FastifyReply, maxBytes: number): void {
  if (request.raw.complete) return;
  reply.raw.once('finish', () => {
    const socket = request.raw.socket as typeof request.raw.socket | undefined;
    if (!socket || socket.destroyed || typeof socket.destroy !== 'function') return; // (app.inject has no real socket)
    let bytes = 0;
    const close = () => socket.destroy();
    const timer = setTimeout(close, DRAIN_MS);
    const done = () => clearTimeout(timer);
    request.raw.once('end', done);
    socket.once('close', done);
    request.raw.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > maxBytes) close();
    });
    request.raw.resume();
  });
}

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
  warnings: Type.Array(
    Type.Object({
      line: Type.Integer(),
      field: Type.String({
        description: 'The field left out: phones, emails, birthday, language, jobTitle, address.city, organization, tags, note, name …',
      }),
      message: Type.String({ description: 'Why; never the value itself' }),
    }),
    { description: 'Values left out of people who went in without them (a person is refused only when no name and no e-mail remain)' },
  ),
  warningCount: Type.Integer({ description: 'All warnings; `warnings` lists the first 1,000' }),
  format: OneOf(['csv', 'vcard'], { description: 'How the body was read' }),
  ignoredColumns: Type.Array(Type.String(), { description: 'Header names (vCard: property names) whose values were not used' }),
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

/** How large an uploaded contact file may be. */
export interface ImportLimits {
  maxBytes: number;
}

export function registerImportRoutes(server: FastifyInstance, database: DatabaseHandle, keyring: Keyring, limits: ImportLimits): void {
  const { db } = database;

  // CSV and vCard are accepted here only, and handed over as the raw stream.
  void server.register(async (scope) => {
    scope.addContentTypeParser([...CSV_TYPES, ...VCARD_TYPES], (_request, payload, done) => done(null, payload));
    scope.addHook('onSend', async (request, reply) => drainAfterEarlyAnswer(request, reply, limits.maxBytes));
    const app = scope.withTypeProvider<TypeBoxTypeProvider>();

    app.post(
      '/api/v1/imports/contacts',
      {
        // The lawful basis, the media type and its charset are checked before a byte of the file is read.
        preParsing: async (request, reply) => {
          requireLawfulBasis((request.query as { lawfulBasis?: string }).lawfulBasis);
          if (Number(request.headers['content-length'] ?? 0) > limits.maxBytes) {
            throw new CrmError('import_too_large', `an import is at most ${limits.maxBytes} bytes`);
          }
          const type = mediaType(request);
          if (type && !CSV_TYPES.includes(type) && !VCARD_TYPES.includes(type)) {
            return sendProblem(request, reply, 415, 'unsupported_media_type', `an import is ${[...CSV_TYPES, ...VCARD_TYPES].join(', ')}`);
          }
          declaredCharset(request.headers['content-type']);
          return undefined;
        },
        schema: {
          tags: ['imports'],
          summary:
            'Import contacts from CSV (text/csv) or vCard (text/vcard), streamed; bad rows are named by line while the good ones go in',
          description:
            'CSV: the header names the fields (firstName, lastName, email, phone, organization, jobTitle, street, postalCode, city, region, country, ' +
            'birthday, language, tags, note) or is the header of an export of Google Contacts, Outlook (classic and new), HubSpot, Salesforce, ' +
            'LinkedIn (its "Notes:" preamble is skipped) or a Dutch or German spreadsheet; the most specific column wins (`Job Title` over ' +
            "Outlook's honorific `Title`), every e-mail and phone column counts with its label, and columns not used are listed in " +
            '`ignoredColumns`. `mapping` names columns the header does not explain. Separator `,`, `;` or tab (from the header line); ' +
            'UTF-8 (BOM or not), UTF-16 with a BOM or Windows-1252 (found from the bytes, or `charset=` on the content-type); CRLF and quoted line breaks are fine. ' +
            'vCard 2.1, 3.0 and 4.0 (text/vcard, text/x-vcard): N, FN, EMAIL and TEL with their types, ORG, TITLE, ADR, BDAY (also --MMDD), NOTE, ' +
            'CATEGORIES; folded lines, quoted-printable and escapes are read; PHOTO is skipped. NOTE and a Notes column become notes on new contacts. ' +
            `People are matched by e-mail and skipped (or updated with duplicates=update), never doubled. At most ${limits.maxBytes} bytes. ` +
            'Example body:\n\n```\nfirstName,lastName,email,phone,organization\nAnna,de Vries,anna@example.com,+31 20 123 4567,Acme BV\n```',
          querystring: Type.Object(
            {
              lawfulBasis: Type.Optional(OneOf(LAWFUL_BASES, { description: 'Required: the GDPR basis for holding these people’s data' })),
              dryRun: Type.Optional(Type.Boolean({ default: false, description: 'Only report what would happen' })),
              duplicates: Type.Optional(
                OneOf(['skip', 'update'], { description: 'What to do with a row whose e-mail is known: skip (default) or update' }),
              ),
              importId: Type.Optional(
                Type.String({
                  format: 'uuid',
                  description:
                    'An id the client makes for this import (a random UUID, e.g. crypto.randomUUID()), so it can follow ' +
                    '`GET /imports/{id}` while the file uploads: the import exists (status running) before the body is read and its counts ' +
                    'grow after every batch that is written. An id the tenant has already used is 409 `import_exists`. Without it the server ' +
                    'makes the id, and the answer names it.',
                }),
              ),
              mapping: Type.Optional(
                Type.String({
                  maxLength: 4000,
                  description:
                    'CSV columns to read as a field, overriding the known header names: `Column:field` pairs separated by commas, ' +
                    'e.g. `Naam:lastName,Mail:email,Mobiel:phone.mobile,Intern:ignore` (header names match whatever their case, spaces and punctuation). ' +
                    `Fields: ${IMPORT_FIELDS.join(', ')}; email and phone take a label after a dot.`,
                }),
              ),
            },
            { additionalProperties: false },
          ),
          consumes: [...CSV_TYPES, ...VCARD_TYPES],
          response: { 200: ImportResultSchema, 413: Problems[400], 415: Problems[400], ...Problems },
        },
      },
      async (request) => {
        const query = request.query;
        // No content-type and no body reaches here without a stream: an empty file.
        const body = request.body instanceof Readable ? request.body : Readable.from([]);
        const charset = declaredCharset(request.headers['content-type']);
        return importContacts(db, keyring, actorOf(request), body, {
          lawfulBasis: query.lawfulBasis,
          dryRun: query.dryRun ?? false,
          duplicates: query.duplicates ?? 'skip',
          maxBytes: limits.maxBytes,
          format: VCARD_TYPES.includes(mediaType(request)) ? 'vcard' : 'csv',
          ...(charset ? { charset } : {}),
          ...(query.mapping !== undefined ? { mapping: query.mapping } : {}),
          ...(query.importId !== undefined ? { importId: query.importId } : {}),
        });
      },
    );
  });

  const app = server.withTypeProvider<TypeBoxTypeProvider>();

  app.get(
    '/api/v1/imports/:id',
    {
      schema: {
        tags: ['imports'],
        summary: 'An import and its progress (to the user who started it and to admins): rows read and written so far while it runs',
        params: IdParams,
        response: { 200: ImportStatusSchema, ...Problems },
      },
    },
    async (request) => getImport(db, actorOf(request), request.params.id),
  );

  app.get(
    '/api/v1/exports/contacts.csv',
    {
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
