import type { Keyring } from '../keys/keyring.js';
import type { SignInHooks } from '../http/request-context.js';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { listSecurityEvents, recordSecurityEvent } from '../audit/security-events.js';
import type { DatabaseHandle } from '../db/database.js';
import { actorOf, originOf } from '../http/request-context.js';
import { ProblemSchema, SecurityEventSchema } from '../http/schemas.js';
import { TenantError } from './tenants.errors.js';
import { isMfaRequired, setMfaRequired } from './tenants.service.js';

const Problems = { 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema };
const SecurityPolicy = Type.Object({
  requireMfa: Type.Boolean({ description: 'Every user must use two-factor sign-in; users without it must enrol first' }),
});

/** The tenant's own settings, as its administrators see them. */
export function registerTenantRoutes(server: FastifyInstance, database: DatabaseHandle, keyring: Keyring, signIn: SignInHooks): void {
  const app = server.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = database;
  const admin = signIn.admin;
  const assertAdmin = (isAdmin: boolean) => {
    if (!isAdmin) throw new TenantError('admin_required', 'only administrators of this tenant can do this');
  };

  app.get(
    '/api/v1/settings/security',
    {
      onRequest: signIn.user,
      schema: { tags: ['settings'], summary: "The tenant's security policy", response: { 200: SecurityPolicy, ...Problems } },
    },
    async (request) => ({ requireMfa: await isMfaRequired(db, actorOf(request).tenantId) }),
  );

  app.put(
    '/api/v1/settings/security',
    {
      onRequest: admin,
      schema: {
        tags: ['settings'],
        summary: "Set the tenant's security policy (admins)",
        body: Type.Object({ requireMfa: Type.Boolean() }, { additionalProperties: false }),
        response: { 200: SecurityPolicy, ...Problems },
      },
    },
    async (request) => {
      const actor = actorOf(request);
      assertAdmin(actor.user.isAdmin);
      const tenant = await db.transaction().execute(async (trx) => {
        const updated = await setMfaRequired(trx, actor.tenantId, request.body.requireMfa);
        await recordSecurityEvent(trx, keyring, {
          tenantId: actor.tenantId,
          type: 'tenant.security_policy_changed',
          actorUserId: actor.user.id,
          ...originOf(request),
          details: { requireMfa: request.body.requireMfa },
        });
        return updated;
      });
      return { requireMfa: tenant.requireMfa };
    },
  );

  app.get(
    '/api/v1/security-events',
    {
      onRequest: admin,
      schema: {
        tags: ['settings'],
        summary: 'Recent security events of the tenant (admins)',
        querystring: Type.Object(
          {
            userId: Type.Optional(Type.String({ format: 'uuid' })),
            type: Type.Optional(Type.String({ maxLength: 64 })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            items: Type.Array(SecurityEventSchema),
          }),
          ...Problems,
        },
      },
    },
    async (request) => {
      const actor = actorOf(request);
      assertAdmin(actor.user.isAdmin);
      const { userId, type, limit } = request.query;
      return {
        items: await listSecurityEvents(db, keyring, actor.tenantId, {
          ...(userId ? { userId } : {}),
          ...(type ? { type } : {}),
          ...(limit ? { limit } : {}),
        }),
      };
    },
  );
}
