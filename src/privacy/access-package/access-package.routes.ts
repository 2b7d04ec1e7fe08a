import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { DatabaseHandle } from '../../db/database.js';
import { actorOf } from '../../http/request-context.js';
import { DateTime } from '../../http/schemas.js';
import type { Keyring } from '../../keys/keyring.js';
import { IdParams, Language, Problems } from '../privacy.http.js';
import { compileAccessPackage, FORMAT, recordPackageDelivered } from './access-package.service.js';
import { packageFileName, packageZip } from './package-files.js';
import { openPackagedFile } from '../../files/files.service.js';
import { openObjectStore } from '../../storage/open-store.js';
import type { Config } from '../../config.js';

const List = (description: string) => Type.Array(Type.Unknown(), { description });

const PackageSchema = Type.Object(
  {
    format: Type.Literal(FORMAT),
    generatedAt: DateTime(),
    language: Language,
    controller: Type.Object({ name: Type.String() }),
    request: Type.Object({
      id: Type.String({ format: 'uuid' }),
      reference: Type.String(),
      type: Type.String(),
      receivedAt: DateTime(),
      dueAt: Type.String({ format: 'date' }),
    }),
    subjectId: Type.String({ format: 'uuid' }),
    contacts: List('Contact records of the person (every field, opened)'),
    leads: List('Lead records of the person'),
    organizations: List('Organizations the person is linked to'),
    deals: List('Deals the person takes part in'),
    activities: List('Activities about the person'),
    notes: List('Notes about the person'),
    emailMessages: List('Logged e-mail messages with the person'),
    consents: Type.Object({
      current: List('The current state per purpose'),
      objectedToMarketingAt: Type.Union([DateTime(), Type.Null()]),
      events: List('Every consent event with its proof: notice hash, IP address, user agent'),
    }),
    purposes: List('The purposes that apply, with lawful basis, recipients, transfers and retention'),
    accessLog: List('The audit trail about the person: who accessed or changed their data, when (no values)'),
    accessLogTruncated: Type.Boolean(),
    files: List(
      'Files about the person, each with every version’s metadata (who, when, size, checksum); the zip also holds each file’s current content',
    ),
  },
  { additionalProperties: false },
);

export function registerAccessPackageRoutes(
  server: FastifyInstance,
  database: DatabaseHandle,
  keyring: Keyring,
  settings: Pick<Config, 'files' | 's3'>,
): void {
  const { db } = database;
  const filesStore = openObjectStore(settings.files.store, settings.s3);
  const app = server.withTypeProvider<TypeBoxTypeProvider>();

  app.get(
    '/api/v1/privacy/requests/:id/export',
    {
      schema: {
        tags: ['privacy'],
        summary:
          'The access/portability package of a verified or in-progress access or portability request: a zip (summary.html, data.json, a CSV per record type), or with Accept: application/json the same content as one JSON document; the delivery is recorded',
        params: IdParams,
        querystring: Type.Object({ lang: Type.Optional(Language) }, { additionalProperties: false }),
        produces: ['application/zip', 'application/json'],
        response: {
          200: {
            description: 'The package',
            content: {
              'application/zip': {
                schema: Type.Unsafe<Readable>({ type: 'string', format: 'binary', description: 'Streamed; never written to disk' }),
              },
              'application/json': { schema: PackageSchema },
            },
          },
          ...Problems,
        },
      },
    },
    async (request, reply) => {
      const actor = actorOf(request);
      const json = /application\/json/i.test(request.headers.accept ?? '') && !/application\/zip/i.test(request.headers.accept ?? '');
      const pkg = await compileAccessPackage(db, keyring, actor, request.params.id, request.query.lang);
      await recordPackageDelivered(db, keyring, actor, pkg, json ? 'json' : 'zip');
      reply.header('cache-control', 'no-store');
      if (json) return reply.type('application/json; charset=utf-8').send(pkg);
      return reply
        .type('application/zip')
        .header('content-disposition', `attachment; filename="${packageFileName(pkg)}"`)
        .send(packageZip(pkg, (file) => openPackagedFile(db, keyring, filesStore, actor.tenantId, file)));
    },
  );
}
