import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { DatabaseHandle } from '../../db/database.js';
import { actorOf } from '../../http/request-context.js';
import { ProblemSchema } from '../../http/schemas.js';
import type { Keyring } from '../../keys/keyring.js';
import { findActiveTenantBySlug } from '../../tenants/tenants.service.js';
import { PrivacyError, type PrivacyErrorCode } from '../privacy.errors.js';
import { Problems } from '../privacy.http.js';
import { acceptForms, acceptsPage, pageLanguage, sendPage, wantsJson, type PublicPage } from '../public/pages.js';
import { REQUEST_TYPES } from '../requests/requests.service.js';
import { checkInboxPage, formProblemPage, linkEndPage, openedPage, requestFormPage, verifyPage } from './public-requests.pages.js';
import {
  confirmPublicRequest,
  fileRequest,
  linkForToken,
  publicFormPath,
  type LinkState,
  type PublicRequestSettings,
} from './public-requests.service.js';

// The public request form under /api/v1/public/{tenant}/requests…: no sign-in.
// Bodies come as JSON or as plain HTML form posts. Browsers (Accept names
// text/html) get the small pages of public-requests.pages.ts, failures
// included; other clients get failures as problem+json with a code, and API
// clients (Accept: application/json) get JSON for success too.

const Lang = Type.Optional(Type.Union([Type.Literal('en'), Type.Literal('nl')], { description: 'Page and mail language' }));
const TenantParams = Type.Object({ tenant: Type.String({ minLength: 1, maxLength: 63, description: 'The tenant slug' }) });
const Token = Type.String({ maxLength: 200, description: 'The token from the e-mailed link' });
const RequestType = Type.Enum(REQUEST_TYPES, { description: 'The right exercised' });
const HtmlPage = (description: string) => ({ description, content: { 'text/html': { schema: Type.String() } } });
const PageOrProblem = (description: string) => ({
  description,
  content: { 'text/html': { schema: Type.String() }, 'application/problem+json': { schema: ProblemSchema } },
});

const FORM_TYPES = /^(application\/x-www-form-urlencoded|multipart\/form-data)/i;
const isFormPost = (request: FastifyRequest) => FORM_TYPES.test(String(request.headers['content-type'] ?? ''));

const LINK_PROBLEMS: Record<Exclude<LinkState, 'pending'>, [PrivacyErrorCode, string]> = {
  used: ['request_link_used', 'this request was confirmed before; nothing was changed'],
  expired: ['request_link_expired', 'this confirmation link has expired; nothing was changed'],
  invalid: ['request_link_invalid', 'this confirmation link is not valid; nothing was changed'],
};

async function noBodyIsEmpty(request: FastifyRequest): Promise<void> {
  request.body ??= {};
}

function answerPage(request: FastifyRequest, reply: FastifyReply, page: PublicPage, problem?: [PrivacyErrorCode, string] | null) {
  if (problem && !acceptsPage(request)) throw new PrivacyError(problem[0], problem[1]);
  return sendPage(reply, page);
}

export function registerPublicRequestRoutes(
  server: FastifyInstance,
  database: DatabaseHandle,
  keyring: Keyring,
  settings: PublicRequestSettings,
): void {
  const { db } = database;
  void server.register(async (scope) => {
    acceptForms(scope);
    const app = scope.withTypeProvider<TypeBoxTypeProvider>();

    app.get(
      '/api/v1/public/:tenant/requests/new',
      {
        schema: {
          tags: ['public'],
          summary: "The tenant's public data-subject request form (an HTML page posting to /requests)",
          params: TenantParams,
          querystring: Type.Object({ lang: Lang }),
          produces: ['text/html'],
          response: { 200: HtmlPage('The form'), 404: PageOrProblem('No such form') },
        },
      },
      async (request, reply) => {
        const tenant = await findActiveTenantBySlug(db, request.params.tenant);
        const form = tenant ? { tenantName: tenant.name, tenantSlug: tenant.slug } : undefined;
        return answerPage(
          request,
          reply,
          requestFormPage(pageLanguage(request), form),
          form ? null : ['request_form_not_found', 'there is no request form here'],
        );
      },
    );

    app.post(
      '/api/v1/public/:tenant/requests',
      {
        attachValidation: true,
        schema: {
          tags: ['public'],
          summary:
            'File a data-subject request (access, rectification, erasure, restriction, objection, portability) with an e-mail address: always 202, whatever happens, so it reveals nothing; a confirmation link is mailed when the tenant and limits allow',
          params: TenantParams,
          body: Type.Object(
            {
              email: Type.String({ format: 'email', maxLength: 254 }),
              type: RequestType,
              website: Type.Optional(Type.String({ maxLength: 500, description: 'Honeypot: leave empty' })),
              lang: Lang,
            },
            { additionalProperties: false },
          ),
          response: { 202: Type.Object({ status: Type.Literal('accepted') }), 400: ProblemSchema },
        },
      },
      async (request, reply) => {
        const form = isFormPost(request);
        const lang = pageLanguage(request);
        if (request.validationError) {
          if (form) return sendPage(reply, formProblemPage(lang));
          throw request.validationError;
        }
        const outcome = await fileRequest(db, keyring, settings, {
          tenantSlug: request.params.tenant,
          email: request.body.email,
          type: request.body.type,
          website: request.body.website,
          language: lang,
          ip: request.ip,
        });
        request.log.info({ outcome }, 'public data-subject request');
        if (form) return sendPage(reply, checkInboxPage(lang, settings.subscriptions.confirmDays));
        return reply.status(202).send({ status: 'accepted' as const });
      },
    );

    app.get(
      '/api/v1/public/:tenant/requests/verify',
      {
        schema: {
          tags: ['public'],
          summary: 'The page of a request confirmation link: shows the request with a Confirm button; opening it changes nothing',
          params: TenantParams,
          querystring: Type.Object({ token: Type.Optional(Token), lang: Lang }),
          produces: ['text/html'],
          response: {
            200: HtmlPage('The confirmation page'),
            404: ProblemSchema,
            409: ProblemSchema,
            410: HtmlPage('The link does not work'),
          },
        },
      },
      async (request, reply) => {
        const token = request.query.token ?? '';
        const view = await linkForToken(db, request.params.tenant, token);
        const problem = view.state === 'pending' || view.state === 'used' ? null : LINK_PROBLEMS[view.state];
        return answerPage(request, reply, verifyPage(pageLanguage(request, view.language), request.params.tenant, token, view), problem);
      },
    );

    app.post(
      '/api/v1/public/:tenant/requests/verify',
      {
        preValidation: noBodyIsEmpty,
        schema: {
          tags: ['public'],
          summary:
            'Confirm a request (the page form posts the token): once only; opens the case as verified by e-mail link and mails a receipt with the due date',
          params: TenantParams,
          body: Type.Object({ token: Type.Optional(Token), lang: Lang }, { additionalProperties: false }),
          response: {
            200: {
              description: 'Filed: a thank-you page, or { status, reference, dueAt } for Accept: application/json',
              content: {
                'text/html': { schema: Type.String() },
                'application/json': {
                  schema: Type.Object({ status: Type.Literal('opened'), reference: Type.String(), dueAt: Type.String({ format: 'date' }) }),
                },
              },
            },
            404: ProblemSchema,
            409: ProblemSchema,
            410: HtmlPage('Nothing was changed: the link is invalid or expired'),
          },
        },
      },
      async (request, reply) => {
        const userAgent = request.headers['user-agent'];
        const view = await confirmPublicRequest(db, keyring, {
          tenantSlug: request.params.tenant,
          token: request.body.token ?? '',
          ip: request.ip,
          userAgent: typeof userAgent === 'string' ? userAgent : undefined,
          requestId: request.id,
        });
        const lang = pageLanguage(request, view.language);
        request.log.info({ state: view.opened ? 'opened' : view.state }, 'public request confirmation');
        if (view.opened) {
          if (wantsJson(request)) return reply.send({ status: 'opened' as const, ...view.opened });
          return sendPage(reply, openedPage(lang, view, view.opened));
        }
        const state = view.state === 'pending' ? 'invalid' : view.state;
        // A second click in a browser is told politely that it was confirmed before (200); other clients get 409.
        const quiet = state === 'used' && acceptsPage(request) && !wantsJson(request);
        return answerPage(request, reply, linkEndPage(lang, { ...view, state })!, quiet ? null : LINK_PROBLEMS[state]);
      },
    );
  });
}

/** For signed-in staff: where the tenant's public request form is, to link from their website. */
export function registerPublicFormAddressRoute(server: FastifyInstance, database: DatabaseHandle): void {
  server.withTypeProvider<TypeBoxTypeProvider>().get(
    '/api/v1/privacy/requests/public-form',
    {
      schema: {
        tags: ['privacy'],
        summary: "Where the tenant's public request form is (a path on this server, for the tenant's website to link to)",
        response: { 200: Type.Object({ path: Type.String({ description: '/api/v1/public/<tenant>/requests/new' }) }), ...Problems },
      },
    },
    async (request) => ({ path: await publicFormPath(database.db, actorOf(request)) }),
  );
}
