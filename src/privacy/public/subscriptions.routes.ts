import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { DatabaseHandle } from '../../db/database.js';
import { ProblemSchema } from '../../http/schemas.js';
import type { Keyring } from '../../keys/keyring.js';
import { PrivacyError, type PrivacyErrorCode } from '../privacy.errors.js';
import { acceptForms, acceptsPage, pageLanguage, sendPage, wantsJson, type PublicPage } from './pages.js';
import {
  checkInboxPage,
  confirmedPage,
  confirmPage,
  formProblemPage,
  signupFormPage,
  unsubscribePage,
  withdrawnPage,
} from './subscriptions.pages.js';
import {
  confirmSignup,
  signupForm,
  signupForToken,
  subscribe,
  withdrawalForToken,
  withdrawByLink,
  type SignupState,
  type SubscriptionSettings,
} from './subscriptions.service.js';

// Public double opt-in under /api/v1/public/{tenant}/…: no sign-in. Bodies come
// as JSON or as plain HTML form posts (urlencoded; multipart too for RFC 8058
// one-click unsubscribes), so this scope has its own form parsers. Browsers
// (Accept names text/html) get the small pages of subscriptions.pages.ts,
// failures included; every other client gets failures as problem+json with a
// code, and API clients (Accept: application/json) get JSON for success too.

const Lang = Type.Optional(Type.Union([Type.Literal('en'), Type.Literal('nl')], { description: 'Page and mail language' }));
const TenantParams = Type.Object({ tenant: Type.String({ minLength: 1, maxLength: 63, description: 'The tenant slug' }) });
const Token = Type.String({ maxLength: 200, description: 'The token from the e-mailed link' });
const HtmlPage = (description: string) => ({
  description,
  content: { 'text/html': { schema: Type.String() } },
});
/** A failure: a page for browsers, problem+json for every other client. */
const PageOrProblem = (description: string) => ({
  description,
  content: { 'text/html': { schema: Type.String() }, 'application/problem+json': { schema: ProblemSchema } },
});
const Accepted = Type.Object({ status: Type.Literal('accepted') });

const FORM_TYPES = /^(application\/x-www-form-urlencoded|multipart\/form-data)/i;
const isFormPost = (request: FastifyRequest) => FORM_TYPES.test(String(request.headers['content-type'] ?? ''));

const SIGNUP_PROBLEMS: Record<Exclude<SignupState, 'pending'>, [PrivacyErrorCode, string]> = {
  confirmed: ['signup_already_confirmed', 'this sign-up was confirmed before; nothing was changed'],
  expired: ['signup_link_expired', 'this confirmation link has expired; nothing was changed'],
  invalid: ['signup_link_invalid', 'this confirmation link is not valid; nothing was changed'],
  unavailable: ['signup_unavailable', 'this sign-up can no longer be confirmed; nothing was changed'],
};

/** A POST without a body (a one-click unsubscribe may send none) is an empty form, not a malformed one. */
async function noBodyIsEmpty(request: FastifyRequest): Promise<void> {
  request.body ??= {};
}

/** A page, or — for a failure asked by a client that does not read pages — the problem it stands for. */
function answerPage(request: FastifyRequest, reply: FastifyReply, page: PublicPage, problem?: [PrivacyErrorCode, string] | null) {
  if (problem && !acceptsPage(request)) throw new PrivacyError(problem[0], problem[1]);
  return sendPage(reply, page);
}

const signupProblem = (state: SignupState) => (state === 'pending' ? null : SIGNUP_PROBLEMS[state]);

function origin(request: FastifyRequest) {
  const userAgent = request.headers['user-agent'];
  return { ip: request.ip, userAgent: typeof userAgent === 'string' ? userAgent : undefined, requestId: request.id };
}

export function registerSubscriptionRoutes(
  server: FastifyInstance,
  database: DatabaseHandle,
  keyring: Keyring,
  settings: SubscriptionSettings,
): void {
  const { db } = database;
  void server.register(async (scope) => {
    acceptForms(scope);
    const app = scope.withTypeProvider<TypeBoxTypeProvider>();

    app.post(
      '/api/v1/public/:tenant/subscriptions',
      {
        attachValidation: true,
        schema: {
          tags: ['public'],
          summary:
            'Sign up for a consent purpose (double opt-in): always 202, whatever happens, so it reveals nothing; a confirmation link is mailed when the tenant, purpose and limits allow',
          params: TenantParams,
          body: Type.Object(
            {
              email: Type.String({ format: 'email', maxLength: 254 }),
              firstName: Type.Optional(Type.String({ maxLength: 100 })),
              purposeId: Type.String({ format: 'uuid' }),
              website: Type.Optional(Type.String({ maxLength: 500, description: 'Honeypot: leave empty' })),
              lang: Lang,
            },
            { additionalProperties: false },
          ),
          response: { 202: Accepted, 400: ProblemSchema },
        },
      },
      async (request, reply) => {
        const form = isFormPost(request);
        const lang = pageLanguage(request);
        if (request.validationError) {
          if (form) return sendPage(reply, formProblemPage(lang));
          throw request.validationError;
        }
        const body = request.body;
        const outcome = await subscribe(db, keyring, settings, {
          tenantSlug: request.params.tenant,
          email: body.email,
          firstName: body.firstName,
          purposeId: body.purposeId,
          website: body.website,
          language: lang,
          ip: request.ip,
        });
        request.log.info({ outcome }, 'public sign-up');
        if (form) return sendPage(reply, checkInboxPage(lang, null, settings.subscriptions.confirmDays));
        return reply.status(202).send({ status: 'accepted' as const });
      },
    );

    app.get(
      '/api/v1/public/:tenant/subscribe',
      {
        schema: {
          tags: ['public'],
          summary: 'The public sign-up form of a consent purpose (an HTML page posting to /subscriptions)',
          params: TenantParams,
          querystring: Type.Object({ purpose: Type.Optional(Type.String({ maxLength: 100 })), lang: Lang }),
          produces: ['text/html'],
          response: { 200: HtmlPage('The form'), 404: PageOrProblem('No such form') },
        },
      },
      async (request, reply) => {
        const lang = pageLanguage(request);
        const purposeId = request.query.purpose ?? '';
        const form = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(purposeId)
          ? await signupForm(db, request.params.tenant, purposeId, lang)
          : undefined;
        return answerPage(
          request,
          reply,
          signupFormPage(lang, form),
          form ? null : ['signup_form_not_found', 'there is no sign-up form for this purpose'],
        );
      },
    );

    app.get(
      '/api/v1/public/:tenant/subscriptions/confirm',
      {
        schema: {
          tags: ['public'],
          summary: 'The page of a confirmation link: shows the purpose and notice with a Confirm button; opening it changes nothing',
          params: TenantParams,
          querystring: Type.Object({ token: Type.Optional(Token), lang: Lang }),
          produces: ['text/html'],
          response: { 200: HtmlPage('The confirmation page'), 404: ProblemSchema, 410: HtmlPage('The link does not work (any more)') },
        },
      },
      async (request, reply) => {
        const token = request.query.token ?? '';
        const view = await signupForToken(db, request.params.tenant, token);
        const problem = view.state === 'confirmed' ? null : signupProblem(view.state);
        return answerPage(request, reply, confirmPage(pageLanguage(request, view.language), request.params.tenant, token, view), problem);
      },
    );

    app.post(
      '/api/v1/public/:tenant/subscriptions/confirm',
      {
        preValidation: noBodyIsEmpty,
        schema: {
          tags: ['public'],
          summary:
            'Confirm a sign-up (the page form posts the token): once only; the consent is recorded with IP address, user agent and notice hash',
          params: TenantParams,
          body: Type.Object({ token: Type.Optional(Token), lang: Lang }, { additionalProperties: false }),
          response: {
            200: {
              description: 'Confirmed: a thank-you page, or { status } for Accept: application/json',
              content: {
                'text/html': { schema: Type.String() },
                'application/json': { schema: Type.Object({ status: Type.Literal('confirmed') }) },
              },
            },
            404: ProblemSchema,
            409: ProblemSchema,
            410: HtmlPage('Nothing was changed: the link is invalid, expired or its list closed'),
          },
        },
      },
      async (request, reply) => {
        const view = await confirmSignup(db, keyring, {
          tenantSlug: request.params.tenant,
          token: request.body.token ?? '',
          ...origin(request),
        });
        const justConfirmed = view.person !== undefined;
        request.log.info({ state: justConfirmed ? 'confirmed' : view.state }, 'public sign-up confirmation');
        if (justConfirmed && wantsJson(request)) return reply.send({ status: 'confirmed' as const });
        const problem = justConfirmed ? null : (signupProblem(view.state) ?? SIGNUP_PROBLEMS.invalid);
        // A second click in a browser is told politely that it was confirmed before (200); other clients get 409.
        const quiet = view.state === 'confirmed' && acceptsPage(request) && !wantsJson(request);
        return answerPage(request, reply, confirmedPage(pageLanguage(request, view.language), view, justConfirmed), quiet ? null : problem);
      },
    );

    app.get(
      '/api/v1/public/:tenant/unsubscribe',
      {
        schema: {
          tags: ['public'],
          summary: 'The page of a withdrawal link: a Withdraw button; opening it changes nothing',
          params: TenantParams,
          querystring: Type.Object({ token: Type.Optional(Token), lang: Lang }),
          produces: ['text/html'],
          response: { 200: HtmlPage('The withdrawal page'), 404: ProblemSchema, 410: HtmlPage('The link does not work') },
        },
      },
      async (request, reply) => {
        const token = request.query.token ?? '';
        const view = await withdrawalForToken(db, keyring, request.params.tenant, token);
        return answerPage(
          request,
          reply,
          unsubscribePage(pageLanguage(request), request.params.tenant, token, view),
          view.state === 'invalid' ? WITHDRAWAL_INVALID : null,
        );
      },
    );

    app.post(
      '/api/v1/public/:tenant/unsubscribe',
      {
        preValidation: noBodyIsEmpty,
        schema: {
          tags: ['public'],
          summary:
            'Withdraw at once (the page button, or RFC 8058 one-click: List-Unsubscribe=One-Click with the token in the URL); already withdrawn changes nothing',
          params: TenantParams,
          querystring: Type.Object({ token: Type.Optional(Token), lang: Lang }),
          body: Type.Object(
            { token: Type.Optional(Token), lang: Lang, 'List-Unsubscribe': Type.Optional(Type.String({ maxLength: 50 })) },
            { additionalProperties: false },
          ),
          response: {
            200: {
              description: 'Withdrawn or already withdrawn: a page, or { status } for Accept: application/json',
              content: {
                'text/html': { schema: Type.String() },
                'application/json': {
                  schema: Type.Object({ status: Type.Union([Type.Literal('withdrawn'), Type.Literal('already_withdrawn')]) }),
                },
              },
            },
            404: ProblemSchema,
            410: HtmlPage('Nothing was changed: the link is not valid'),
          },
        },
      },
      async (request, reply) => {
        const token = request.query.token ?? request.body.token ?? '';
        const view = await withdrawByLink(db, keyring, { tenantSlug: request.params.tenant, token, ...origin(request) });
        request.log.info({ state: view.state }, 'withdrawal link');
        return answerWithdrawal(request, reply, view);
      },
    );
  });
}

const WITHDRAWAL_INVALID: [PrivacyErrorCode, string] = [
  'withdrawal_link_invalid',
  'this withdrawal link is not valid; nothing was changed',
];

function answerWithdrawal(request: FastifyRequest, reply: FastifyReply, view: Awaited<ReturnType<typeof withdrawByLink>>) {
  if (view.state !== 'invalid' && wantsJson(request))
    return reply.send({ status: view.state === 'withdrawn' ? ('withdrawn' as const) : ('already_withdrawn' as const) });
  return answerPage(request, reply, withdrawnPage(pageLanguage(request), view), view.state === 'invalid' ? WITHDRAWAL_INVALID : null);
}
