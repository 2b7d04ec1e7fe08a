import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { DatabaseHandle } from '../../db/database.js';
import { actorOf } from '../../http/request-context.js';
import { DateTime } from '../../http/schemas.js';
import type { Keyring } from '../../keys/keyring.js';
import { IdParams, Nullable, Page, PageOf, Problems, Uuid, NoContent } from '../common/crm.http.js';
import { deleteEmailMessage, getEmailMessage, listEmailMessages, logEmailMessage } from './email-messages.service.js';

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

export function registerEmailMessageRoutes(server: FastifyInstance, database: DatabaseHandle, keyring: Keyring): void {
  const app = server.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = database;

  app.get(
    '/api/v1/email-messages',
    {
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
      schema: { tags: ['email-messages'], summary: 'Delete a logged e-mail message', params: IdParams, response: NoContent },
    },
    async (request, reply) => {
      await deleteEmailMessage(db, keyring, actorOf(request), request.params.id);
      return reply.status(204).send(null);
    },
  );
}
