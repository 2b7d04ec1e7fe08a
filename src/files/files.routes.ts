import type { Readable } from 'node:stream';
import multipart, { type MultipartFile } from '@fastify/multipart';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { IdParams, Nullable, NoContent, OneOf, Page, PageOf, Problems, Uuid } from '../crm/common/crm.http.js';
import type { DatabaseHandle } from '../db/database.js';
import { sendProblem } from '../http/problem.js';
import { actorOf, type SignInHooks } from '../http/request-context.js';
import { DateTime, ProblemSchema } from '../http/schemas.js';
import type { Keyring } from '../keys/keyring.js';
import type { ObjectStore } from '../storage/object-store.js';
import { contentDisposition, servedType } from './content.js';
import { FileError } from './files.errors.js';
import {
  createFile,
  deleteFile,
  FILE_PARENTS,
  getFile,
  listFiles,
  listVersions,
  openContent,
  restoreVersion,
  stageUpload,
  uploadVersion,
  type FileLimits,
  type FileParentRef,
  type FilesContext,
} from './files.service.js';

// HTTP for files: multipart uploads streamed into the service (the multipart
// parser is registered for these routes only), downloads streamed out with
// headers that keep a browser from running what was uploaded.

const Parents = Object.fromEntries(FILE_PARENTS.map((p) => [p, Type.Optional(Uuid())])) as Record<
  (typeof FILE_PARENTS)[number],
  ReturnType<typeof Type.Optional<ReturnType<typeof Uuid>>>
>;

const FileSchema = Type.Object({
  id: Uuid(),
  name: Type.String({ description: 'Sanitized on upload: no path, no control characters, at most 200 characters' }),
  size: Type.Integer({ description: 'Bytes of the current version' }),
  contentType: Type.String({ description: 'Detected from the bytes, not taken from the client' }),
  version: Type.Integer({ description: 'The current version' }),
  contactId: Nullable(Uuid()),
  leadId: Nullable(Uuid()),
  organizationId: Nullable(Uuid()),
  dealId: Nullable(Uuid()),
  activityId: Nullable(Uuid()),
  createdBy: Nullable(Uuid()),
  createdAt: DateTime(),
  updatedAt: DateTime(),
});

const VersionSchema = Type.Object({
  version: Type.Integer(),
  size: Type.Integer(),
  contentType: Type.String(),
  checksum: Type.String({ description: 'SHA-256 of the content, hex' }),
  createdAt: DateTime(),
  createdBy: Nullable(Type.Object({ id: Uuid(), name: Type.String() })),
  restoredFrom: Nullable(Type.Integer({ description: 'The version whose content a restore copied into this one' })),
  expired: Type.Boolean({ description: 'Its content is gone (version tiers); the metadata stays' }),
  expiredAt: Nullable(DateTime()),
  current: Type.Boolean(),
});

const UploadBody = (withParents: boolean) =>
  Type.Object(
    {
      file: Type.Optional(Type.Unsafe<unknown>({ type: 'string', format: 'binary', description: 'The content (one file per request)' })),
      ...(withParents ? Parents : {}),
    },
    {
      description: withParents
        ? 'multipart/form-data: `file` and exactly one of contactId, leadId, organizationId, dealId, activityId (before or after the file)'
        : 'multipart/form-data: `file`',
    },
  );

const TooLarge = { 413: ProblemSchema, 423: ProblemSchema };

export function registerFileRoutes(
  server: FastifyInstance,
  database: DatabaseHandle,
  keyring: Keyring,
  signIn: SignInHooks,
  files: { store: ObjectStore; limits: FileLimits },
): void {
  const ctx: FilesContext = { db: database.db, keyring, store: files.store, limits: files.limits };

  void server.register(async (scope) => {
    scope.addHook('onRequest', signIn.user);
    await scope.register(multipart, {
      throwFileSizeLimit: true,
      limits: { fileSize: files.limits.maxFileBytes + 1, files: 1, fields: 10, fieldSize: 200, parts: 12, headerPairs: 100 },
    });
    // The multipart stream is read by the handler, not parsed into a body: the schema only documents it.
    const noBody = async (request: FastifyRequest) => {
      if (request.isMultipart()) request.body = {};
    };
    scope.addHook('onSend', async (request, reply) => drainAfterEarlyAnswer(request, reply, files.limits.maxFileBytes));
    const app = scope.withTypeProvider<TypeBoxTypeProvider>();

    app.get(
      '/api/v1/files',
      {
        schema: {
          tags: ['files'],
          summary: 'Files, newest first, of one record (or of every record the caller sees)',
          querystring: Type.Object({ ...Page, ...Parents }, { additionalProperties: false }),
          response: { 200: PageOf(FileSchema), ...Problems },
        },
      },
      async (request) => listFiles(ctx, actorOf(request), request.query),
    );

    app.post(
      '/api/v1/files',
      {
        preValidation: noBody,
        schema: {
          tags: ['files'],
          summary: 'Upload a file to one record (streamed, encrypted); its type is detected from the bytes',
          description:
            `At most ${files.limits.maxFileBytes} bytes (413 \`file_too_large\`); a tenant stores at most ${files.limits.tenantQuotaBytes} ` +
            'bytes of all versions (409 `quota_exceeded`). The record may also be named in the query string.',
          consumes: ['multipart/form-data'],
          querystring: Type.Object(Parents, { additionalProperties: false }),
          body: UploadBody(true),
          response: { 201: FileSchema, ...Problems, ...TooLarge },
        },
      },
      async (request, reply) => {
        const actor = actorOf(request);
        const fields: FileParentRef = { ...request.query };
        const known = () => FILE_PARENTS.some((p) => fields[p] !== undefined);
        let created: Awaited<ReturnType<typeof createFile>> | undefined;
        let staged: Awaited<ReturnType<typeof stageUpload>> | undefined;
        try {
          for await (const part of request.parts()) {
            if (part.type === 'field') {
              if ((FILE_PARENTS as readonly string[]).includes(part.fieldname) && typeof part.value === 'string')
                fields[part.fieldname as keyof FileParentRef] = part.value;
              continue;
            }
            if (part.fieldname !== 'file' || created || staged) {
              part.file.resume();
              throw new FileError('invalid_upload', 'one file per request, in the field `file`');
            }
            // The record decides the key: when it comes after the file, the bytes wait encrypted under a key of their own.
            if (known()) created = await createFile(ctx, actor, fields, upload(part));
            else staged = await stageUpload(ctx, actor, upload(part));
          }
          if (staged) created = await createFile(ctx, actor, fields, { stream: await staged.open(), filename: staged.filename });
        } catch (error) {
          throw uploadError(error);
        } finally {
          await staged?.discard();
        }
        if (!created) throw new FileError('invalid_upload', 'send the content in the multipart field `file`');
        return reply.status(201).send(created);
      },
    );

    app.get(
      '/api/v1/files/:id',
      { schema: { tags: ['files'], summary: 'One file', params: IdParams, response: { 200: FileSchema, ...Problems } } },
      async (request) => getFile(ctx, actorOf(request), request.params.id),
    );

    app.delete(
      '/api/v1/files/:id',
      {
        schema: {
          tags: ['files'],
          summary: 'Delete a file with every version, for good (its content is removed from the store)',
          params: IdParams,
          response: { ...NoContent, 423: ProblemSchema },
        },
      },
      async (request, reply) => {
        await deleteFile(ctx, actorOf(request), request.params.id);
        return reply.status(204).send(null);
      },
    );

    app.get(
      '/api/v1/files/:id/versions',
      {
        schema: {
          tags: ['files'],
          summary: 'Every version of a file, newest first: who stored it, when, size, checksum, expired or not',
          params: IdParams,
          response: { 200: Type.Object({ items: Type.Array(VersionSchema) }), ...Problems },
        },
      },
      async (request) => listVersions(ctx, actorOf(request), request.params.id),
    );

    app.post(
      '/api/v1/files/:id/versions',
      {
        preValidation: noBody,
        schema: {
          tags: ['files'],
          summary: 'Upload a new version of a file; it becomes the current one',
          consumes: ['multipart/form-data'],
          params: IdParams,
          body: UploadBody(false),
          response: { 201: VersionSchema, ...Problems, ...TooLarge },
        },
      },
      async (request, reply) => {
        const actor = actorOf(request);
        let stored: Awaited<ReturnType<typeof uploadVersion>> | undefined;
        try {
          for await (const part of request.parts()) {
            if (part.type === 'field') continue;
            if (part.fieldname !== 'file' || stored) {
              part.file.resume();
              throw new FileError('invalid_upload', 'one file per request, in the field `file`');
            }
            stored = await uploadVersion(ctx, actor, request.params.id, upload(part));
          }
        } catch (error) {
          throw uploadError(error);
        }
        if (!stored) throw new FileError('invalid_upload', 'send the content in the multipart field `file`');
        return reply.status(201).send(stored);
      },
    );

    app.post(
      '/api/v1/files/:id/restore',
      {
        schema: {
          tags: ['files'],
          summary: 'Make an earlier version the newest again (a new version with its content; nothing is lost)',
          params: IdParams,
          body: Type.Object({ version: Type.Integer({ minimum: 1 }) }, { additionalProperties: false }),
          response: { 201: VersionSchema, ...Problems, ...TooLarge },
        },
      },
      async (request, reply) =>
        reply.status(201).send(await restoreVersion(ctx, actorOf(request), request.params.id, request.body.version)),
    );

    app.get(
      '/api/v1/files/:id/content',
      {
        schema: {
          tags: ['files'],
          summary: 'Download a version (the current one without `version`), streamed; one byte range with Range',
          description:
            'Served as an attachment with X-Content-Type-Options: nosniff and a sandboxing Content-Security-Policy. Images, PDF and ' +
            'plain text keep their type (with `inline=1` they are served inline, for previews); anything else is application/octet-stream.',
          params: IdParams,
          querystring: Type.Object(
            {
              version: Type.Optional(Type.Integer({ minimum: 1 })),
              inline: Type.Optional(
                OneOf(['1', '0', 'true', 'false'], { description: 'Inline for previews (images, PDF, plain text only)' }),
              ),
            },
            { additionalProperties: false },
          ),
          produces: ['application/octet-stream'],
          response: {
            200: Type.Unsafe<Readable>({ type: 'string', format: 'binary' }),
            206: Type.Unsafe<Readable>({ type: 'string', format: 'binary' }),
            ...Problems,
            416: ProblemSchema,
            423: ProblemSchema,
          },
        },
      },
      async (request, reply) => {
        let content: Awaited<ReturnType<typeof openContent>>;
        try {
          content = await openContent(ctx, actorOf(request), request.params.id, {
            version: request.query.version,
            range: request.headers.range,
          });
        } catch (error) {
          if (error instanceof FileError && error.code === 'range_not_satisfiable') {
            reply.header('content-range', `bytes */${(error.details?.size as number | undefined) ?? '*'}`);
            return sendProblem(request, reply, 416, error.code, error.message);
          }
          throw error;
        }
        const served = servedType(content.contentType);
        const inline = request.query.inline === '1' || request.query.inline === 'true';
        const disposition = inline && served.inline ? 'inline' : 'attachment';
        reply
          .type(served.type)
          .header('content-disposition', contentDisposition(disposition, content.file.name))
          .header('x-content-type-options', 'nosniff')
          .header('content-security-policy', securityPolicy(disposition, served.type))
          .header('accept-ranges', 'bytes')
          .header('etag', `"${content.file.id}.${content.version}"`)
          .header('cache-control', 'private, no-store');
        if (content.range) {
          const { start, end } = content.range;
          reply
            .status(206)
            .header('content-range', `bytes ${start}-${end}/${content.size}`)
            .header('content-length', end - start + 1);
        } else reply.header('content-length', content.size);
        return reply.send(content.body);
      },
    );
  });
}

/**
 * The content's own Content-Security-Policy: a sandbox with nothing allowed,
 * so an upload opened directly can run nothing as this origin. A PDF shown
 * inline for the web app's preview is the exception: Chrome refuses to start
 * its PDF viewer in a sandboxed document (and under default-src 'none'), so
 * it gets only frame-ancestors 'self' — its type is fixed to application/pdf
 * with nosniff, so it is rendered as a PDF or not at all, and the viewer runs
 * isolated from the page.
 */
function securityPolicy(disposition: 'inline' | 'attachment', type: string): string {
  if (disposition === 'inline' && type === 'application/pdf') return "frame-ancestors 'self'";
  return "default-src 'none'; frame-ancestors 'self'; sandbox";
}

/** After an answer given before the upload was read to its end, how long the rest is read (and dropped) before the connection is closed. */
const DRAIN_MS = 5000;

/**
 * A refusal in the middle of an upload (too large, over quota, restricted)
 * must reach a client that sends the whole body before it reads: the rest of
 * the body is read and dropped, for at most DRAIN_MS and the size limit, then
 * the connection is closed (as imports do, crm/import-export/imports.routes.ts).
 */
function drainAfterEarlyAnswer(request: FastifyRequest, reply: FastifyReply, maxBytes: number): void {
  if (request.raw.complete || !request.isMultipart()) return;
  reply.raw.once('finish', () => {
    const socket = request.raw.socket as typeof request.raw.socket | undefined;
    if (!socket || socket.destroyed || typeof socket.destroy !== 'function') return; // (app.inject has no real socket)
    let bytes = 0;
    const close = () => socket.destroy();
    const timer = setTimeout(close, DRAIN_MS);
    timer.unref();
    const done = () => clearTimeout(timer);
    request.raw.once('end', done);
    socket.once('close', done);
    request.raw.unpipe();
    request.raw.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > maxBytes) close();
    });
    request.raw.resume();
  });
}

function upload(part: MultipartFile) {
  return { stream: part.file as Readable, filename: part.filename };
}

/** The multipart parser's own limits, as the API's codes. */
function uploadError(error: unknown): unknown {
  const code = (error as { code?: string }).code;
  if (code === 'FST_REQ_FILE_TOO_LARGE') return new FileError('file_too_large', 'the file is larger than allowed');
  if (code === 'FST_FILES_LIMIT' || code === 'FST_PARTS_LIMIT' || code === 'FST_FIELDS_LIMIT')
    return new FileError('invalid_upload', 'one file per request, in the field `file`, with the record it belongs to');
  if (code === 'FST_INVALID_MULTIPART_CONTENT_TYPE') return new FileError('invalid_upload', 'an upload is multipart/form-data');
  return error;
}
