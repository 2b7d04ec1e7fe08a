import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { DatabaseHandle } from '../../db/database.js';
import { actorOf } from '../../http/request-context.js';
import { DateTime } from '../../http/schemas.js';
import type { Keyring } from '../../keys/keyring.js';
import { createContact, deleteContact, getContact, listContacts, updateContact } from './contacts.service.js';
import {
  AddressInput,
  AddressSchema,
  CustomValuesInput,
  CustomValuesSchema,
  IdParams,
  ifMatch,
  Nullable,
  OneOf,
  OwnerGroupIdInput,
  OwnerGroupIdOut,
  Page,
  PageOf,
  Problems,
  Ranges,
  TagsInput,
  Uuid,
  Version,
  NoContent,
} from '../common/crm.http.js';
import { convertLead, createLead, deleteLead, getLead, LEAD_RATINGS, LEAD_STATUSES, listLeads, updateLead } from './leads.service.js';
import { LAWFUL_BASES } from './people.js';

// HTTP for people: contacts and leads, which share their personal fields.

const Labelled = Type.Union([
  Type.String({ minLength: 1, maxLength: 254 }),
  Type.Object(
    { value: Type.String({ minLength: 1, maxLength: 254 }), label: Type.Optional(Nullable(Type.String({ maxLength: 50 }))) },
    { additionalProperties: false },
  ),
]);
const LabelledOut = Type.Object({ value: Type.String(), label: Nullable(Type.String()) });
const LawfulBasis = OneOf(LAWFUL_BASES);

const PersonOut = {
  id: Uuid(),
  subjectId: Type.String({ format: 'uuid', description: 'The data subject (the person) this record is about' }),
  ownerId: Uuid(),
  ownerGroupId: OwnerGroupIdOut,
  firstName: Type.Optional(Type.String()),
  lastName: Type.Optional(Type.String()),
  emails: Type.Optional(Type.Array(LabelledOut)),
  phones: Type.Optional(Type.Array(LabelledOut)),
  jobTitle: Type.Optional(Nullable(Type.String())),
  address: Type.Optional(Nullable(AddressSchema)),
  birthday: Type.Optional(Nullable(Type.String({ description: 'YYYY-MM-DD, or --MM-DD when the year is not known' }))),
  language: Type.Optional(Nullable(Type.String())),
  tags: Type.Optional(Type.Array(Type.String())),
  custom: CustomValuesSchema,
  lawfulBasis: Type.Optional(Nullable(LawfulBasis)),
  restricted: Type.Optional(
    Type.Boolean({ description: 'Processing is restricted (Art. 18): no edits, exports, imports or mailing until lifted' }),
  ),
  version: Type.Integer(),
  createdAt: DateTime(),
  updatedAt: DateTime(),
};

const PersonIn = {
  firstName: Type.Optional(Type.String({ maxLength: 200 })),
  lastName: Type.Optional(Type.String({ maxLength: 200 })),
  emails: Type.Optional(Type.Array(Labelled, { maxItems: 20 })),
  phones: Type.Optional(Type.Array(Labelled, { maxItems: 20 })),
  jobTitle: Type.Optional(Nullable(Type.String({ maxLength: 200 }))),
  address: Type.Optional(Nullable(AddressInput)),
  birthday: Type.Optional(Nullable(Type.String({ maxLength: 10, description: 'YYYY-MM-DD, or --MM-DD when the year is not known' }))),
  language: Type.Optional(Nullable(Type.String({ maxLength: 35, description: 'A language tag, e.g. nl or en-GB' }))),
  tags: Type.Optional(TagsInput),
  custom: Type.Optional(CustomValuesInput),
  lawfulBasis: Type.Optional(Nullable(LawfulBasis)),
  ownerId: Type.Optional(Uuid()),
  ownerGroupId: OwnerGroupIdInput,
};

const PersonQuery = {
  ...Page,
  ...Ranges,
  sort: Type.Optional(
    OneOf(['createdAt', '-createdAt', 'updatedAt', '-updatedAt'], { description: 'A non-personal column; - for descending' }),
  ),
  email: Type.Optional(Type.String({ minLength: 3, maxLength: 254, description: 'Exact e-mail address, any case' })),
  phone: Type.Optional(Type.String({ minLength: 3, maxLength: 40, description: 'Phone number, any formatting' })),
  q: Type.Optional(Type.String({ minLength: 2, maxLength: 100, description: 'Name words; the last may be a prefix of 2 letters or more' })),
};

// Fields a profile hides are absent, so each of them is optional here.
const ContactSchema = Type.Object({ ...PersonOut, organizationId: Type.Optional(Nullable(Uuid())), leadId: Nullable(Uuid()) });
const ContactBody = { ...PersonIn, organizationId: Type.Optional(Nullable(Uuid())) };

const LeadStatus = OneOf(LEAD_STATUSES);
const LeadRating = OneOf(LEAD_RATINGS);
const LeadSchema = Type.Object({
  ...PersonOut,
  company: Type.Optional(Nullable(Type.String())),
  source: Type.Optional(Nullable(Type.String())),
  status: Type.Optional(LeadStatus),
  rating: Type.Optional(Nullable(LeadRating)),
  convertedAt: Nullable(DateTime()),
  convertedContactId: Nullable(Uuid()),
  convertedOrganizationId: Nullable(Uuid()),
  convertedDealId: Nullable(Uuid()),
});
const LeadBody = {
  ...PersonIn,
  company: Type.Optional(Nullable(Type.String({ maxLength: 200 }))),
  source: Type.Optional(Nullable(Type.String({ maxLength: 100 }))),
  status: Type.Optional(OneOf(['new', 'contacted', 'qualified', 'unqualified'] as const)),
  rating: Type.Optional(Nullable(LeadRating)),
};

const contactExample = {
  firstName: 'Anna',
  lastName: 'de Vries',
  emails: ['anna@example.com', { value: 'a.devries@work.example', label: 'work' }],
  phones: ['+31 20 123 4567'],
  jobTitle: 'Buyer',
  tags: ['newsletter'],
};

export function registerPeopleRoutes(server: FastifyInstance, database: DatabaseHandle, keyring: Keyring): void {
  const app = server.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = database;

  app.get(
    '/api/v1/contacts',
    {
      schema: {
        tags: ['contacts'],
        summary: 'Contacts, a page at a time; `email`/`phone` find by exact value, `q` by name word or prefix',
        querystring: Type.Object({ ...PersonQuery, organizationId: Type.Optional(Uuid()) }, { additionalProperties: false }),
        response: { 200: PageOf(ContactSchema), ...Problems },
      },
    },
    async (request) => listContacts(db, keyring, actorOf(request), request.query),
  );

  app.post(
    '/api/v1/contacts',
    {
      schema: {
        tags: ['contacts'],
        summary: 'Create a contact; every personal field is encrypted under a key of its own',
        body: Type.Object(ContactBody, { additionalProperties: false, examples: [contactExample] }),
        response: { 201: ContactSchema, ...Problems },
      },
    },
    async (request, reply) => reply.status(201).send(await createContact(db, keyring, actorOf(request), request.body)),
  );

  app.get(
    '/api/v1/contacts/:id',
    {
      schema: { tags: ['contacts'], summary: 'One contact', params: IdParams, response: { 200: ContactSchema, ...Problems } },
    },
    async (request, reply) => {
      const contact = await getContact(db, keyring, actorOf(request), request.params.id);
      reply.header('etag', `"${contact.version}"`);
      return contact;
    },
  );

  app.patch(
    '/api/v1/contacts/:id',
    {
      schema: {
        tags: ['contacts'],
        summary: 'Change a contact; a stale If-Match or `version` answers 409',
        params: IdParams,
        body: Type.Object(
          { ...ContactBody, ...Version },
          { additionalProperties: false, examples: [{ jobTitle: 'Head of purchasing', version: 1 }] },
        ),
        response: { 200: ContactSchema, ...Problems },
      },
    },
    async (request) => updateContact(db, keyring, actorOf(request), request.params.id, request.body, ifMatch(request)),
  );

  app.delete(
    '/api/v1/contacts/:id',
    {
      schema: {
        tags: ['contacts'],
        summary: 'Move a contact to the recycle bin (restorable for 30 days)',
        params: IdParams,
        response: NoContent,
      },
    },
    async (request, reply) => {
      await deleteContact(db, keyring, actorOf(request), request.params.id);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/api/v1/leads',
    {
      schema: {
        tags: ['leads'],
        summary: 'Leads, a page at a time; filters by status and source, search like contacts',
        querystring: Type.Object(
          {
            ...PersonQuery,
            sort: Type.Optional(OneOf(['createdAt', '-createdAt', 'updatedAt', '-updatedAt', 'company', '-company'])),
            status: Type.Optional(LeadStatus),
            source: Type.Optional(Type.String({ maxLength: 100 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: PageOf(LeadSchema), ...Problems },
      },
    },
    async (request) => listLeads(db, keyring, actorOf(request), request.query),
  );

  app.post(
    '/api/v1/leads',
    {
      schema: {
        tags: ['leads'],
        summary: 'Create a lead; personal fields are encrypted like a contact’s',
        body: Type.Object(LeadBody, {
          additionalProperties: false,
          examples: [
            {
              firstName: 'Jan',
              lastName: 'Jansen',
              emails: ['jan@jansen.example'],
              company: 'Jansen BV',
              source: 'website',
              rating: 'warm',
            },
          ],
        }),
        response: { 201: LeadSchema, ...Problems },
      },
    },
    async (request, reply) => reply.status(201).send(await createLead(db, keyring, actorOf(request), request.body)),
  );

  app.get(
    '/api/v1/leads/:id',
    { schema: { tags: ['leads'], summary: 'One lead', params: IdParams, response: { 200: LeadSchema, ...Problems } } },
    async (request, reply) => {
      const lead = await getLead(db, keyring, actorOf(request), request.params.id);
      reply.header('etag', `"${lead.version}"`);
      return lead;
    },
  );

  app.patch(
    '/api/v1/leads/:id',
    {
      schema: {
        tags: ['leads'],
        summary: 'Change a lead; a stale If-Match or `version` answers 409; a converted lead is read-only',
        params: IdParams,
        body: Type.Object({ ...LeadBody, ...Version }, { additionalProperties: false, examples: [{ status: 'qualified', rating: 'hot' }] }),
        response: { 200: LeadSchema, ...Problems },
      },
    },
    async (request) => updateLead(db, keyring, actorOf(request), request.params.id, request.body, ifMatch(request)),
  );

  app.delete(
    '/api/v1/leads/:id',
    {
      schema: {
        tags: ['leads'],
        summary: 'Move a lead to the recycle bin (restorable for 30 days)',
        params: IdParams,
        response: NoContent,
      },
    },
    async (request, reply) => {
      await deleteLead(db, keyring, actorOf(request), request.params.id);
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/api/v1/leads/:id/convert',
    {
      // An empty POST converts with the defaults.
      preValidation: async (request) => {
        request.body ??= {};
      },
      schema: {
        tags: ['leads'],
        summary: 'Convert a lead into a contact of the same person, optionally with an organization and a deal',
        params: IdParams,
        body: Type.Object(
          {
            organizationId: Type.Optional(Uuid()),
            createOrganization: Type.Optional(
              Type.Boolean({ description: 'Make (or reuse by name) an organization from the company; default true' }),
            ),
            deal: Type.Optional(
              Type.Object(
                {
                  title: Type.Optional(Type.String({ maxLength: 200 })),
                  amount: Type.Integer({ minimum: 0, description: 'Minor units (cents)' }),
                  currency: Type.String({ minLength: 3, maxLength: 3 }),
                },
                { additionalProperties: false },
              ),
            ),
          },
          { additionalProperties: false, examples: [{ deal: { title: 'First order', amount: 250000, currency: 'EUR' } }] },
        ),
        response: {
          200: Type.Object({ contactId: Uuid(), organizationId: Nullable(Uuid()), dealId: Nullable(Uuid()), contact: ContactSchema }),
          ...Problems,
        },
      },
    },
    async (request) => convertLead(db, keyring, actorOf(request), request.params.id, request.body),
  );
}
